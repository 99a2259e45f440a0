// Lab child: checks that sockets hold the event loop only while receiving. argv[2]:
//   idle      open a socket and leave it open          -> exits by itself
//   stopped   recvStart then recvStop                   -> exits by itself
//   unref     recvStart then unref                      -> exits by itself
//   receiving recvStart and nothing else                -> keeps running (the test kills it)
//   worker    a worker thread with receiving and idle sockets is terminated -> no crash
//             (a poll handle closing after the worker unloaded the addon used to segfault)
// Prints {"armed":MODE} once set up.
import { Worker } from 'node:worker_threads';
import { loadNative } from '../../../src/kernel/native.ts';
import { NETLINK_ROUTE } from '../../../src/kernel/netlink/constants.ts';

const WORKERS = 3;
const mode = process.argv[2] ?? 'idle';
if (mode === 'worker') {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const m = { exports: {} };
    process.dlopen(m, process.env.STOCKADE_NATIVE);
    const receiving = m.exports.openNetlink(${NETLINK_ROUTE});
    receiving.recvStart(() => {});
    const closed = m.exports.openNetlink(${NETLINK_ROUTE});
    closed.recvStart(() => {});
    closed.close();
    m.exports.openNetlink(${NETLINK_ROUTE});
    parentPort.postMessage('armed');`;
  for (let i = 0; i < WORKERS; i++) {
    const w = new Worker(code, { eval: true });
    await new Promise((r) => w.once('message', r));
    await w.terminate();
  }
  process.stdout.write(`${JSON.stringify({ armed: mode })}\n`);
  process.exit(0);
}
const sock = loadNative().openNetlink(NETLINK_ROUTE);
const noop = () => undefined;
if (mode === 'stopped') { sock.recvStart(noop); sock.recvStop(); }
else if (mode === 'unref') { sock.recvStart(noop); sock.unref(); }
else if (mode === 'receiving') sock.recvStart(noop);
else if (mode !== 'idle') throw new Error(`unknown mode '${mode}'`);
process.stdout.write(`${JSON.stringify({ armed: mode })}\n`);
