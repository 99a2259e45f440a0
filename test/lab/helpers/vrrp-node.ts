// Lab child: the pure VRRP engine (src/vrrp) on the addon's raw socket, as a stand-in for the I/O
// shell that is not written yet: adverts only (no VIPs, no gARP). Prints one JSON line per
// transition {t, from, to, reason, priority, priorityZeroIn} and per drop-counter change; SIGTERM shuts down (a MASTER
// sends priority 0) and exits 0.
//   vrrp-node.ts JSON   {ifname, source, vrid, version, priority, intervalMs, vips[], checksum, preempt}
import { performance } from 'node:perf_hooks';
import { ifNameToIndex } from '../../../src/kernel/native.ts';
import { RawIpSocket } from '../../../src/kernel/raw-ip-socket.ts';
import { IPPROTO_VRRP } from '../../../src/kernel/socket-constants.ts';
import { VrrpEngine } from '../../../src/vrrp/engine.ts';
import type { TaggedAction } from '../../../src/vrrp/engine.ts';
import { mustParseIpv4 as ip } from '../../../src/vrrp/ipv4.ts';
import { VRRP_MULTICAST_GROUP, VRRP_TTL } from '../../../src/vrrp/constants.ts';

interface Args { ifname: string; source: string; vrid: number; version: 2 | 3; priority: number; intervalMs: number; vips: string[]; checksum: 'pseudo-header' | 'message'; preempt?: boolean }
const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
const t0 = performance.now();
const now = () => performance.now() - t0;
const group = ip(VRRP_MULTICAST_GROUP);
const source = ip(a.source);

const engine = new VrrpEngine({
  instances: [{
    name: 'vi', interface: a.ifname, vrid: a.vrid, version: a.version, priority: a.priority, advertIntervalMs: a.intervalMs,
    preempt: a.preempt ?? true, preemptDelayMs: 0, primaryAddress: source, garp: { delayMs: 0 },
    receive: { checksum: a.checksum, addresses: a.vips.map(ip), multicastGroup: group, unicastPeers: [], ownAddresses: [source] },
  }],
});
const sock = RawIpSocket.open(IPPROTO_VRRP, { ifname: a.ifname, ttl: VRRP_TTL, multicastTtl: VRRP_TTL, multicastLoop: false, multicastAll: false });
sock.join(VRRP_MULTICAST_GROUP, ifNameToIndex(a.ifname));

let timer: NodeJS.Timeout | undefined;
let lastDrops = '';
function apply(actions: TaggedAction[]): void {
  for (const x of actions) {
    // priorityZeroIn: how many priority-0 adverts the instance had heard by then (why it moved).
    if (x.kind === 'transition') out({ t: Math.round(now()), from: x.from, to: x.to, reason: x.reason, priority: x.priority, priorityZeroIn: engine.status().instances[0]!.counters.priorityZeroIn });
    if (x.kind === 'send-advert') {
      for (const p of engine.advertPackets(x.instance, x.priority, Date.now())) sock.sendTo(p.payload, p.destination, p.source);
    }
  }
  const drops = JSON.stringify(Object.entries(engine.status().instances[0]!.drops).filter(([, n]) => n > 0));
  if (drops !== lastDrops) {
    lastDrops = drops;
    out({ drops: Object.fromEntries(JSON.parse(drops) as Array<[string, number]>) });
  }
  schedule();
}
function schedule(): void {
  if (timer) clearTimeout(timer);
  const d = engine.deadline();
  if (d === undefined) return;
  timer = setTimeout(() => apply(engine.timer(now())), Math.max(0, d - now()));
}
sock.receive((p) => apply(engine.receive(now(), Date.now(), a.ifname, { payload: p.payload, source: ip(p.source), destination: ip(p.destination), ttl: p.ttl })), (err) => out({ error: err.code }));
process.on('SIGTERM', () => {
  apply(engine.shutdown(now()));
  if (timer) clearTimeout(timer);
  setTimeout(() => { sock.close(); process.exit(0); }, 50);
});
apply(engine.start(now()));
out({ ready: true });
