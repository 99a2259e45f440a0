// Lab child for AF_PACKET (ETH_P_ARP) over the addon.
//   recv IFNAME         print {"ready":..}, then each ARP frame on IFNAME as a JSON line; exit 0
//                       after the first gratuitous ARP for 198.51.100.7, 3 after 10 s.
//   send IFNAME N       send N gratuitous ARP requests for 198.51.100.7 (at most 20), 20 ms apart.
import { readFileSync } from 'node:fs';
import { ifNameToIndex } from '../../../src/kernel/native.ts';
import { PacketSocket } from '../../../src/kernel/packet-socket.ts';
import { ETH_P_ARP } from '../../../src/kernel/socket-constants.ts';

const VIP = [198, 51, 100, 7];
const RECV_LIMIT_MS = 10_000;
const SEND_GAP_MS = 20;
const MAX_SEND = 20;

const [mode, ifname, nText] = process.argv.slice(2);
if (ifname === undefined) throw new Error('usage: recv|send IFNAME [N]');
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const ifindex = ifNameToIndex(ifname);

if (mode === 'recv') {
  const sock = PacketSocket.open(ifindex, ETH_P_ARP);
  const timer = setTimeout(() => { out({ timeout: true }); process.exit(3); }, RECV_LIMIT_MS);
  sock.receive((f) => {
    out({ frame: f.data.toString('hex'), ifindex: f.ifindex, pkttype: f.pkttype, ethertype: f.ethertype });
    // sender protocol address: Ethernet header 14 + ARP fixed part 8 + sender MAC 6
    if (f.data.subarray(28, 32).equals(Buffer.from(VIP))) {
      clearTimeout(timer);
      sock.close();
    }
  }, (err) => out({ error: err.code }));
  out({ ready: true, ifindex });
} else if (mode === 'send') {
  const mac = Buffer.from(readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim().split(':').map((h) => parseInt(h, 16)));
  const frame = Buffer.concat([
    Buffer.alloc(6, 0xff), mac, Buffer.from([0x08, 0x06]), // Ethernet: broadcast, ours, ARP
    Buffer.from([0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]), // Ethernet/IPv4, request
    mac, Buffer.from(VIP), Buffer.alloc(6, 0xff), Buffer.from(VIP), // gratuitous: target = sender IP
  ]);
  const sock = PacketSocket.open(ifindex, ETH_P_ARP);
  const n = Math.min(Number(nText ?? 1), MAX_SEND);
  for (let i = 0; i < n; i++) {
    out({ sent: sock.send(frame), mac: mac.toString('hex') });
    await new Promise((r) => setTimeout(r, SEND_GAP_MS));
  }
  sock.close();
} else {
  throw new Error(`unknown mode '${mode}'`);
}
