// Lab child for the ctnetlink tests, run inside a namespace. Prints JSON lines.
//   dump                      every entry: {hex (payload), entry}
//   events N TIMEOUT_MS       {ready:true}, then the first N events: {kind, hex, entry}
//   batch FILE                applies the [{op, entry}] in FILE (JSON) with CtBatchWriter: {sent, sends, ms, failed}
import { readFileSync } from 'node:fs';
import { NETLINK_NETFILTER } from '../../../src/kernel/netlink/constants.ts';
import { NetlinkSocket } from '../../../src/kernel/netlink/socket.ts';
import { CtBatchWriter, CtEventStream, dumpConntrack } from '../../../src/kernel/ctnetlink/socket.ts';
import type { CtBatchItem } from '../../../src/kernel/ctnetlink/socket.ts';

const out = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
};
const [mode, ...args] = process.argv.slice(2);

if (mode === 'dump') {
  const sock = NetlinkSocket.open(NETLINK_NETFILTER);
  const stats = await dumpConntrack(sock, (entry, m) => out({ hex: m.payload.toString('hex'), type: m.type, flags: m.flags, entry }));
  out({ stats });
  sock.close();
} else if (mode === 'events') {
  const n = Number(args[0] ?? '1');
  const timeout = Number(args[1] ?? '5000');
  const ev = CtEventStream.open();
  let seen = 0;
  const timer = setTimeout(() => { out({ timeout: true, seen }); ev.close(); process.exit(1); }, timeout);
  ev.on('entry', (kind, entry, m) => {
    out({ kind, hex: m.payload.toString('hex'), type: m.type, flags: m.flags, entry });
    if (++seen >= n) { clearTimeout(timer); ev.close(); }
  });
  ev.on('overrun', () => out({ overrun: true }));
  out({ ready: true });
} else if (mode === 'batch') {
  // Buffers (labels) travel as JSON.stringify writes them: {type: 'Buffer', data: [...]}.
  const revive = (_k: string, v: unknown): unknown => {
    const b = v as { type?: unknown; data?: unknown } | null;
    return b !== null && typeof b === 'object' && b.type === 'Buffer' && Array.isArray(b.data) ? Buffer.from(b.data as number[]) : v;
  };
  const items = JSON.parse(readFileSync(args[0]!, 'utf8'), revive) as CtBatchItem[];
  const w = CtBatchWriter.open();
  const t0 = performance.now();
  const r = await w.apply(items);
  out({ sent: r.sent, sends: r.sends, ms: performance.now() - t0, failed: r.failed.map((f) => ({ error: f.error, entry: f.item.entry })) });
  w.close();
} else {
  throw new Error(`ctnetlink-tool: unknown mode ${mode}`);
}
