// Lab child: a plain UDP endpoint standing in for a sync peer. Prints JSON lines.
//   listen ADDR PORT               {ready:true}, then every datagram: {from, hex}
//   send ADDR PORT DEST HEX...     sends each hex string as one datagram to DEST:PORT from ADDR:PORT
//   send ADDR PORT DEST:DPORT HEX... the same to another destination port
import { createSocket } from 'node:dgram';

const [mode, addr, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const sock = createSocket('udp4');
const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };

if (mode === 'listen') {
  sock.on('message', (msg, rinfo) => out({ from: `${rinfo.address}:${rinfo.port}`, hex: msg.toString('hex') }));
  sock.bind(port, addr, () => out({ ready: true }));
} else if (mode === 'send') {
  const [destText, ...hexes] = rest;
  const [dest, dportText] = destText!.split(':');
  const dport = dportText === undefined ? port : Number(dportText);
  sock.bind(port, addr, () => {
    let n = 0;
    const next = (): void => {
      const h = hexes[n++];
      if (h === undefined) { out({ sent: hexes.length }); sock.close(); return; }
      sock.send(Buffer.from(h, 'hex'), dport, dest, (err) => { if (err) throw err; setTimeout(next, 20); });
    };
    next();
  });
} else {
  throw new Error(`ctsync-udp: unknown mode ${mode}`);
}
