// Lab child for the daemon fuzz test (test/lab/daemon/fuzz.test.ts), run inside one lab host:
// captures real datagrams as seeds for `captureMs` (VRRP adverts heard on `vrrpIface`; UDP on
// `udpIface` to/from the fuzzed ports, both directions, through a packet socket), then sends
// `count` random and mutated datagrams to every target: UDP from this host's own address, and
// VRRP (IP protocol 112, TTL 255) to each `vrrp` destination (multicast or unicast). Seeded PRNG:
// a failure names its seed. Prints JSON lines: {event:'seeds'}, {event:'sent'}.
//   args: one JSON object (see Args)
import { createSocket } from 'node:dgram';
import { loadNative } from '../../../src/kernel/native.ts';
import { seededRandom } from '../../seeded-random.ts';

interface Args {
  seed: number;
  count: number;
  captureMs: number;
  udpIface?: string;
  udp: Array<{ dest: string; port: number }>;
  vrrpIface?: string;
  vrrp: string[];
}

const args = JSON.parse(process.argv[2]!) as Args;
const native = loadNative();

const rnd = seededRandom(args.seed);
const int = (n: number): number => Math.floor(rnd() * n);
const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

/** One mutation of a seed (always differs from it), or random bytes when there is no seed. */
function mutate(seeds: Buffer[]): Buffer {
  if (seeds.length === 0 || int(8) === 0) return bytes(int(2) === 0 ? int(64) : int(1400));
  const s = Buffer.from(seeds[int(seeds.length)]!);
  switch (int(6)) {
    case 0: { // flip 1..4 bits
      const n = 1 + int(4);
      for (let i = 0; i < n && s.length > 0; i++) s[int(s.length)]! ^= 1 << int(8);
      return s.length > 0 ? s : bytes(1);
    }
    case 1: { // set a byte to an edge value
      if (s.length === 0) return bytes(1);
      const i = int(s.length);
      const v = [0, 1, 0x7f, 0x80, 0xff][int(5)]!;
      s[i] = s[i] === v ? v ^ 0xff : v;
      return s;
    }
    case 2: return s.subarray(0, Math.max(0, s.length - 1 - int(Math.max(1, s.length)))); // truncate
    case 3: return Buffer.concat([s, bytes(1 + int(64))]); // extend
    case 4: { // splice two seeds
      const t = seeds[int(seeds.length)]!;
      const out = Buffer.concat([s.subarray(0, int(s.length + 1)), t.subarray(int(t.length + 1))]);
      return out.equals(s) ? Buffer.concat([out, bytes(1)]) : out;
    }
    default: { // overwrite a run with random bytes
      if (s.length === 0) return bytes(8);
      const at = int(s.length);
      bytes(Math.min(s.length - at, 1 + int(16))).copy(s, at);
      return s;
    }
  }
}

async function capture(): Promise<{ vrrp: Buffer[]; udp: Map<number, Buffer[]> }> {
  const vrrp: Buffer[] = [];
  const udp = new Map<number, Buffer[]>(args.udp.map((t) => [t.port, []]));
  const closers: Array<() => void> = [];
  if (args.vrrpIface !== undefined) {
    const ifindex = native.ifNameToIndex(args.vrrpIface);
    const raw = native.openRawIp(112, { ifname: args.vrrpIface });
    raw.addMembership('224.0.0.18', ifindex);
    raw.recvStart((err, data) => { if (err === null && vrrp.length < 200) vrrp.push(Buffer.from(data)); });
    closers.push(() => raw.close());
  }
  if (args.udpIface !== undefined) {
    // ETH_P_IP, SOCK_DGRAM: IPv4 packets in and out of the interface.
    const pkt = native.openPacket(native.ifNameToIndex(args.udpIface), 0x0800, { dgram: true });
    pkt.recvStart((err, data) => {
      if (err !== null || data.length < 28 || data[9] !== 17) return;
      const ihl = (data[0]! & 0x0f) * 4;
      const sport = data.readUInt16BE(ihl);
      const dport = data.readUInt16BE(ihl + 2);
      const list = udp.get(dport) ?? udp.get(sport);
      if (list !== undefined && list.length < 200) list.push(Buffer.from(data.subarray(ihl + 8)));
    });
    closers.push(() => pkt.close());
  }
  await new Promise((r) => setTimeout(r, args.captureMs));
  for (const c of closers) c();
  return { vrrp, udp };
}

const seeds = await capture();
console.log(JSON.stringify({ event: 'seeds', vrrp: seeds.vrrp.length, udp: Object.fromEntries([...seeds.udp].map(([p, l]) => [p, l.length])) }));

const sock = createSocket('udp4');
await new Promise<void>((r) => sock.bind(0, r));
const raw = args.vrrp.length > 0 ? native.openRawIp(112, { ...(args.vrrpIface !== undefined ? { ifname: args.vrrpIface } : {}), ttl: 255, multicastTtl: 255, multicastLoop: false }) : undefined;
const sent = { udp: 0, vrrp: 0, errors: 0 };
for (let i = 0; i < args.count; i++) {
  for (const t of args.udp) {
    const d = mutate(seeds.udp.get(t.port) ?? []);
    await new Promise<void>((r) => sock.send(d, t.port, t.dest, (e) => { if (e) sent.errors++; else sent.udp++; r(); }));
  }
  for (const dest of args.vrrp) {
    try {
      raw!.sendTo(mutate(seeds.vrrp), dest);
      sent.vrrp++;
    } catch {
      sent.errors++; // e.g. EMSGSIZE, EPERM for a zero-length send: bounded, counted
    }
  }
  // Paced: a burst, then a breath, so the run is a flood but not a denial of service.
  if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
}
sock.close();
raw?.close();
console.log(JSON.stringify({ event: 'sent', ...sent }));
