// Lab child for the addon's UDP socket (test/lab/native/udp.test.ts). Prints JSON lines.
//   listen ADDR PORT DEV|- MS [GROUP]          {ready, ifindex}; each datagram {source, port,
//                                              ifindex, hex}, echoed back with sendTo; exits after MS.
//   send ADDR PORT DEV DEST DPORT HEX [GROUP]  sends HEX from ADDR:PORT on DEV, {sent}; then the
//                                              echo {reply..} or {timeout} after 2 s.
// GROUP: join it on DEV (reuseAddr; loopback off, so a sender never hears itself).
import { ifNameToIndex } from '../../../src/kernel/native.ts';
import { UdpSocket } from '../../../src/kernel/udp-socket.ts';

const REPLY_WAIT_MS = 2000;
const [mode, addr, portText, dev, ...rest] = process.argv.slice(2);
if (addr === undefined || dev === undefined) throw new Error('usage: listen|send ADDR PORT DEV ...');
const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
const device = dev === '-' ? undefined : dev;
const group = mode === 'listen' ? rest[1] : rest[3];
const sock = UdpSocket.open({
  address: addr, port: Number(portText),
  ...(device !== undefined ? { device } : {}),
  ...(group !== undefined ? { multicastGroup: group, reuseAddr: true } : {}),
});

if (mode === 'listen') {
  sock.receive((d) => {
    out({ source: d.source, port: d.port, ifindex: d.ifindex, hex: d.data.toString('hex') });
    sock.sendTo(d.data, d.source, d.port);
  }, (err) => out({ error: err.code }));
  setTimeout(() => sock.close(), Number(rest[0]));
  out({ ready: true, ifindex: device === undefined ? 0 : ifNameToIndex(device) });
} else if (mode === 'send') {
  const [dest, dport, hex] = rest;
  const timer = setTimeout(() => { out({ timeout: true }); sock.close(); }, REPLY_WAIT_MS);
  sock.receive((d) => {
    out({ reply: true, source: d.source, port: d.port, ifindex: d.ifindex, hex: d.data.toString('hex') });
    clearTimeout(timer);
    sock.close();
  }, (err) => out({ error: err.code }));
  out({ sent: sock.sendTo(Buffer.from(hex!, 'hex'), dest!, Number(dport)) });
} else {
  throw new Error(`udp-helper: unknown mode ${mode}`);
}
