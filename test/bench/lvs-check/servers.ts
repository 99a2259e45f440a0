// Real servers for the lvs-check benchmark, run inside a lab namespace:
//   node servers.ts CONTROL_SOCKET ADDR,ADDR,... FIRST_PORT COUNT
// Listens on every address x port (accepts and closes), prints "ready" once all listen. A line
// "close ADDR:PORT" or "open ADDR:PORT" on the control socket (a path: reachable from any
// namespace) stops or restarts that one listener and answers "closed|opened ADDR:PORT MS" with
// the wall clock at which the listener was gone (the benchmark's detection starts there).
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { rmSync } from 'node:fs';

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
        listeners.get(key)!.close();
        c.write(`closed ${key} ${Date.now()}\n`);
      } else if (verb === 'open') {
        listen(key).then(() => c.write(`opened ${key} ${Date.now()}\n`), (e: Error) => c.write(`error ${key}: ${e.message}\n`));
      } else {
        c.write(`error unknown command ${verb}\n`);
      }
    }
  });
}).listen(control, () => process.stdout.write('ready\n'));
