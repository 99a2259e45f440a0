// Lab child for IP protocol 112 over the addon's raw IPv4 socket.
//   recv IFNAME COUNT [GROUP]   join GROUP (default 224.0.0.18) on IFNAME, print {"ready":..},
//                               then one JSON line per packet; exit 0 after COUNT, 3 after 10 s.
//   send IFNAME DEST N [SOURCE] send N numbered datagrams (TTL 255) 20 ms apart, then exit.
import { ifNameToIndex } from '../../../src/kernel/native.ts';
import { RawIpSocket } from '../../../src/kernel/raw-ip-socket.ts';
import { IPPROTO_VRRP } from '../../../src/kernel/socket-constants.ts';

const RECV_LIMIT_MS = 10_000;
const SEND_GAP_MS = 20;
const MAX_SEND = 50;
const TTL = 255;

const [mode, ifname, ...rest] = process.argv.slice(2);
if (ifname === undefined) throw new Error('usage: recv|send IFNAME ...');
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === 'recv') {
  const count = Number(rest[0] ?? 1);
  const group = rest[1] ?? '224.0.0.18';
  const ifindex = ifNameToIndex(ifname);
  const sock = RawIpSocket.open(IPPROTO_VRRP, { ifname, multicastAll: false, multicastLoop: false });
  sock.join(group, ifindex);
  let got = 0;
  const timer = setTimeout(() => { out({ timeout: true, got }); process.exit(3); }, RECV_LIMIT_MS);
  sock.receive((p) => {
    out({ source: p.source, destination: p.destination, ttl: p.ttl, ifindex: p.ifindex, payload: p.payload.toString('hex') });
    if (++got >= count) {
      clearTimeout(timer);
      sock.close();
    }
  }, (err) => out({ error: err.code }));
  out({ ready: true, ifindex });
} else if (mode === 'send') {
  const [dest, nText, source] = rest;
  if (dest === undefined) throw new Error('send needs DEST');
  const n = Math.min(Number(nText ?? 1), MAX_SEND);
  const sock = RawIpSocket.open(IPPROTO_VRRP, { ifname, ttl: TTL, multicastTtl: TTL, multicastLoop: false });
  for (let i = 0; i < n; i++) {
    // A VRRPv3-looking advert; the payload only has to be recognisable.
    const payload = Buffer.from([0x31, 0x07, 100, 1, 0x00, 0x64, 0x00, 0x00, 198, 51, 100, 7 + i]);
    const sent = source === undefined ? sock.sendTo(payload, dest) : sock.sendTo(payload, dest, source);
    out({ sent });
    await new Promise((r) => setTimeout(r, SEND_GAP_MS));
  }
  sock.close();
} else {
  throw new Error(`unknown mode '${mode}'`);
}
