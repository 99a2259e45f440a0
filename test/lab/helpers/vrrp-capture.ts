// Lab child: captures IP protocol 112 on IFNAME (multicast 224.0.0.18 joined, unicast too) with the
// addon's raw socket; prints {"ready":true}, then one JSON line per packet
// {t (ms since the epoch, sub-ms), source, destination, ttl, hex}; exits 0 on SIGTERM, 3 after LIMIT_MS (default 20 s).
//   vrrp-capture.ts IFNAME [LIMIT_MS]
import { ifNameToIndex } from '../../../src/kernel/native.ts';
import { RawIpSocket } from '../../../src/kernel/raw-ip-socket.ts';
import { IPPROTO_VRRP } from '../../../src/kernel/socket-constants.ts';

const [ifname, limitText] = process.argv.slice(2);
if (ifname === undefined) throw new Error('usage: vrrp-capture.ts IFNAME [LIMIT_MS]');
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sock = RawIpSocket.open(IPPROTO_VRRP, { ifname, multicastAll: false, multicastLoop: false });
sock.join('224.0.0.18', ifNameToIndex(ifname));
const timer = setTimeout(() => process.exit(3), Number(limitText ?? 20_000));
process.on('SIGTERM', () => {
  clearTimeout(timer);
  sock.close();
  process.exit(0);
});
sock.receive((p) => out({ t: performance.timeOrigin + performance.now(), source: p.source, destination: p.destination, ttl: p.ttl, hex: p.payload.toString('hex') }), (err) => out({ error: err.code }));
out({ ready: true });
