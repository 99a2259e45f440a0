// Real servers for the lvs-check benchmark, run inside a lab namespace:
//   node servers.ts CONTROL_SOCKET ADDR,ADDR,... FIRST_PORT COUNT
// Listens on every address x port (accepts and closes), prints "ready" once all listen. A line
// "close ADDR:PORT" or "open ADDR:PORT" on the control socket (a path: reachable from any
// namespace) stops or restarts that one listener and answers "closed|opened ADDR:PORT MS" with
// the wall clock at which the listener was gone (the benchmark's detection starts there). From
// the close on, a raw TCP socket watches for that listener's first SYN (the first check after
// it, refused); "syn ADDR:PORT" answers "syn ADDR:PORT MS" with its wall clock, or "syn ADDR:PORT
// none": the checker's own reaction is its down line's time less this one, without the phase.
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { rmSync } from 'node:fs';
import { RawIpSocket } from '../../../src/kernel/index.ts';

const [control, addrList, firstText, countText] = process.argv.slice(2);
if (control === undefined || addrList === undefined || firstText === undefined || countText === undefined) throw new Error('usage: servers.ts CONTROL_SOCKET ADDRS FIRST_PORT COUNT');
const listeners = new Map<string, Server>();

function listen(key: string): Promise<void> {
  const i = key.lastIndexOf(':');
  const srv = createServer((s) => {
    s.on('error', () => undefined);
    s.end();
  });
  listeners.set(key, srv);
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(Number(key.slice(i + 1)), key.slice(0, i), resolve);
  });
}

/** Closed listeners whose first SYN since the close is awaited (undefined) or seen (its time). */
const firstSyn = new Map<string, number | undefined>();
let raw: RawIpSocket | undefined;

function watchSyn(key: string): void {
  firstSyn.set(key, undefined);
  if (raw !== undefined) return;
  raw = RawIpSocket.open(6);
  raw.receive((p) => {
    const t = p.payload;
    // A SYN without ACK (TCP flags at byte 13): a new connect to the destination port (bytes 2-3).
    if (t.length < 20 || (t[13]! & 0x12) !== 0x02) return;
    const key = `${p.destination}:${t.readUInt16BE(2)}`;
    if (firstSyn.has(key) && firstSyn.get(key) === undefined) firstSyn.set(key, Date.now());
  }, () => undefined);
}

const keys = addrList.split(',').flatMap((a) => Array.from({ length: Number(countText) }, (_, p) => `${a}:${Number(firstText) + p}`));
await Promise.all(keys.map(listen));

rmSync(control, { force: true });
createServer((c) => {
  c.on('error', () => undefined);
  let buf = '';
  c.on('data', (d) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const [verb, key] = buf.slice(0, nl).trim().split(' ');
      buf = buf.slice(nl + 1);
      if (key === undefined || !keys.includes(key)) {
        c.write(`error unknown listener ${key}\n`);
      } else if (verb === 'close') {
        // close() stops listening at once (new connections are refused); its callback waits for
        // open connections, which the benchmark does not need.
        watchSyn(key);
        listeners.get(key)!.close();
        c.write(`closed ${key} ${Date.now()}\n`);
      } else if (verb === 'syn') {
        c.write(`syn ${key} ${firstSyn.get(key) ?? 'none'}\n`);
      } else if (verb === 'open') {
        firstSyn.delete(key);
        listen(key).then(() => c.write(`opened ${key} ${Date.now()}\n`), (e: Error) => c.write(`error ${key}: ${e.message}\n`));
      } else {
        c.write(`error unknown command ${verb}\n`);
      }
    }
  });
}).listen(control, () => process.stdout.write('ready\n'));
