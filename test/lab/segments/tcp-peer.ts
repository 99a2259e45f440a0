// A TCP end for the segments lab, run in a lab namespace on the pinned Node:
//   serve NAME PORT...   answers each line with "NAME <peer address> <line>" (connections stay
//                        open: a long-lived flow is one connection sending a line now and then)
//   probe HOST PORT [FROM]  connects (2 s; from address FROM if given), sends "probe", prints
//                        the answer or "blocked"
//   stream HOST PORT     one long-lived connection: a numbered line every 200 ms, each answer
//                        printed; "error ..." or "closed" and exit 1 when the connection ends
import { createConnection, createServer } from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
  const [name, ...ports] = args;
  for (const port of ports) {
    createServer((sock) => {
      let buf = '';
      sock.on('data', (d) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          sock.write(`${name} ${(sock.remoteAddress ?? "").replace(/^::ffff:/, "")} ${line}\n`);
        }
      });
      sock.on('error', () => undefined);
    }).listen(Number(port), () => console.log(`listening ${port}`));
  }
} else if (mode === 'probe') {
  const [host, port, from] = args;
  const sock = createConnection({ host: host!, port: Number(port), ...(from ? { localAddress: from } : {}) });
  const timer = setTimeout(() => {
    console.log('blocked');
    sock.destroy();
  }, 2000);
  sock.on('connect', () => sock.write('probe\n'));
  sock.on('data', (d) => {
    clearTimeout(timer);
    console.log(d.toString().trim());
    sock.destroy();
  });
  sock.on('error', (e) => {
    clearTimeout(timer);
    console.log(`blocked (${(e as Error).message})`);
  });
} else if (mode === 'stream') {
  const [host, port] = args;
  const sock = createConnection({ host: host!, port: Number(port) });
  let n = 0;
  let timer: NodeJS.Timeout | undefined;
  sock.on('connect', () => {
    timer = setInterval(() => sock.write(`line ${n++}\n`), 200);
  });
  sock.on('data', (d) => process.stdout.write(d));
  const end = (what: string): void => {
    clearInterval(timer);
    console.log(what);
    process.exit(1);
  };
  sock.on('error', (e) => end(`error ${(e as Error).message}`));
  sock.on('close', () => end('closed'));
} else {
  console.error('usage: tcp-peer.ts serve NAME PORT... | probe HOST PORT [FROM] | stream HOST PORT');
  process.exit(2);
}
