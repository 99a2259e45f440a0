// Lab child: one Stockade sync node (src/ctsync/shell/driver.ts) on real ctnetlink and UDP, inside a
// namespace. Prints JSON lines: {ready}, then on SIGUSR1 {internal, external, stats}, on SIGUSR2
// the commit result {committed, failed}. Stops on SIGTERM.
//   ctsync-node.ts LOCAL PEER PORT [resync] [key=HEX] [eventbuf=BYTES] [mode=notrack|alarm] [mcast=GROUP]
import { SyncDriver } from '../../../src/ctsync/shell/driver.ts';

const [local, peer, portText, ...opts] = process.argv.slice(2);
const opt = (name: string): string | undefined => opts.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
const keyHex = opt('key');
const eventBuf = opt('eventbuf');

const driver = await SyncDriver.start({
  local: local!, peer: peer!, port: Number(portText), startupResync: opts.includes('resync'),
  ...(opt('mode') === 'notrack' ? { mode: 'notrack' as const } : {}),
  ...(opt('mcast') !== undefined ? { multicastGroup: opt('mcast')! } : {}),
  ...(opt('mode') === 'alarm' ? { mode: 'alarm' as const, refreshS: 5 } : {}),
  ...(keyHex !== undefined ? { authKey: Buffer.from(keyHex, 'hex') } : {}),
  ...(eventBuf !== undefined ? { eventBuffer: Number(eventBuf), overrunResyncMs: 200 } : {}),
});
const node = driver.node;

process.on('SIGUSR1', () => {
  out({
    internal: [...node.internal.entries()].map((c) => c.entry),
    external: [...node.external.entries()].map((c) => c.entry),
    stats: {
      node: node.stats, ftfw: node.ftfw.stats, internal: node.internal.stats, external: node.external.stats,
      driver: driver.stats, eventBuffer: driver.eventBuffer, foreign: driver.transport?.foreign,
    },
  });
});
process.on('SIGUSR2', () => {
  void driver.commit().then((r) => out({ committed: r.sent, failed: r.failed.map((f) => f.error) }));
});
process.on('SIGTERM', () => {
  driver.close();
  process.exit(0);
});
out({ ready: true });
