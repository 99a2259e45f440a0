// Mutation fuzzing of the VRRP receive path: golden keepalived adverts (and our own, signed and
// unsigned) with bytes flipped, truncated, extended, or replaced by random bytes, fed to the
// decoder, the validator and a running engine with random TTLs, sources and interfaces: never an
// exception, every packet either accepted or counted under exactly one drop reason, and the
// instance always in a valid state with a sane deadline. Bounded: fixed runs and a time limit.
// Re-run a failure with FUZZ_SEED=<seed printed in the failure>.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { property } from './property.ts';
import { decodeAdvert, encodeAdvert } from '../../src/vrrp/codec.ts';
import { AdvertSigner, AdvertVerifier } from '../../src/vrrp/auth.ts';
import { VrrpEngine } from '../../src/vrrp/engine.ts';
import type { EngineInstanceConfig } from '../../src/vrrp/engine.ts';
import { mustParseIpv4 as ip } from '../../src/vrrp/ipv4.ts';
import { DROP_REASONS, validateAdvert } from '../../src/vrrp/receive.ts';
import { Sim, instanceConfig } from '../unit/vrrp/sim.ts';

const TIME_LIMIT_MS = 8000;

const run = <T>(name: string, arb: fc.Arbitrary<T>, runs: number, predicate: (value: T) => void): void =>
  property(test, name, arb, { runs, timeLimitMs: TIME_LIMIT_MS }, predicate);

const dir = join(import.meta.dirname, '../unit/vrrp/fixtures');
const golden: Uint8Array[] = readdirSync(dir).filter((f) => f.endsWith('.json'))
  .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { packets?: Array<{ hex: string }> }).packets ?? [])
  .map((p) => Uint8Array.from(Buffer.from(p.hex, 'hex')));
const SRC = ip('192.0.2.1');
const GROUP = ip('224.0.0.18');
const VIPS = [ip('192.0.2.100'), ip('192.0.2.102')];
const key = new TextEncoder().encode('fuzz-key-0123456789abcdef');
const keys = { keys: new Map([[1, key]]), activeKeyId: 1 };
const signer = new AdvertSigner(keys, SRC);
const own = [2, 3].map((v) => encodeAdvert({ version: v as 2 | 3, vrid: 7, priority: 100, intervalCs: 100, addresses: VIPS }, { source: SRC, destination: GROUP }));
const seeds = [...golden, ...own, ...own.map((m) => new Uint8Array([...m, ...signer.trailer(m, 1_800_000_000_000)]))];

/** A packet: a seed mutated by flips, truncation, extension, splices, or just random bytes. */
const packet: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.option(fc.nat({ max: 80 })), fc.uint8Array({ maxLength: 40 }))
    .map(([s, flips, cut, tail]) => {
      let b: Uint8Array = Uint8Array.from(s);
      for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
      if (cut !== null) b = b.subarray(0, cut);
      return tail.length > 0 && cut === null ? new Uint8Array([...b, ...tail]) : b;
    }),
);

const rxArb = fc.record({
  payload: packet,
  ttl: fc.constantFrom(255, 255, 255, 1, 64, 0),
  source: fc.constantFrom(SRC, ip('192.0.2.9'), ip('192.0.2.2'), 0, 0xffffffff),
  destination: fc.constantFrom(GROUP, GROUP, ip('192.0.2.2'), ip('224.0.0.19')),
  ifname: fc.constantFrom('eth0', 'eth0', 'eth1'),
  dt: fc.double({ min: 0, max: 5000, noNaN: true }),
});

run('decodeAdvert never throws; a decoded advert is self-consistent', packet, 3000, (b) => {
  const d = decodeAdvert(b);
  if (d.ok) {
    assert.ok(d.advert.length <= b.length);
    assert.is(d.advert.addresses.length, b[3]);
    assert.is(d.advert.length + d.trailer.length, b.length);
  } else {
    assert.ok(DROP_REASONS.includes(d.reason));
  }
});

run('validateAdvert never throws and names a known reason', fc.tuple(rxArb, fc.boolean(), fc.constantFrom<'pseudo-header' | 'message'>('pseudo-header', 'message')), 3000, ([p, auth, checksum]) => {
  const r = validateAdvert(p, {
    version: 3, intervalCs: 100, checksum, addresses: VIPS, multicastGroup: GROUP, unicastPeers: [], ownAddresses: [ip('192.0.2.2')],
    ...(auth ? { verifier: new AdvertVerifier(keys) } : {}),
  }, 1_800_000_000_000);
  if (!r.ok) assert.ok(DROP_REASONS.includes(r.reason));
});

const instances = (auth: boolean): EngineInstanceConfig[] => [2, 3].map((version, i) => ({
  name: `v${version}`, vrid: 7, version: version as 2 | 3, priority: 100 + i * 50, advertIntervalMs: 1000, preempt: true, preemptDelayMs: 0,
  primaryAddress: ip('192.0.2.2'), interface: i === 0 ? 'eth1' : 'eth0', accelerated: { heartbeatTimeoutMs: 100, heartbeatIntervalMs: 20 },
  receive: { checksum: 'pseudo-header', addresses: VIPS, multicastGroup: GROUP, unicastPeers: [], ownAddresses: [ip('192.0.2.2')] },
  ...(auth ? { auth: keys } : {}),
}));

run('a running engine takes any packet sequence: no throw, each packet accepted or counted once, valid states',
  fc.tuple(fc.array(rxArb, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.array(fc.boolean(), { maxLength: 40 })), 400, ([pkts, auth, beats]) => {
    const e = new VrrpEngine({ instances: instances(auth), syncGroups: [{ name: 'g', instances: ['v2', 'v3'] }] });
    let now = 0;
    e.start(now);
    const total = () => {
      const s = e.status();
      const drops = [...s.instances.map((i) => i.drops), ...Object.values(s.interfaceDrops)]
        .reduce((n, d) => n + Object.values(d).reduce((a, b) => a + b, 0), 0);
      return drops + s.instances.reduce((n, i) => n + i.counters.advertsIn, 0);
    };
    pkts.forEach((p, k) => {
      now += p.dt;
      const d = e.deadline();
      if (d !== undefined && d <= now) e.timer(now);
      if (beats[k] !== undefined) e.heartbeat(now, new Set(beats[k] ? ['v3'] : []));
      const before = total();
      e.receive(now, 1_800_000_000_000 + now, p.ifname, p);
      assert.is(total(), before + 1);
      for (const s of e.status().instances) {
        assert.ok(['BACKUP', 'MASTER', 'FAULT'].includes(s.state));
        assert.ok(s.deadline === undefined || (Number.isFinite(s.deadline) && s.deadline > now - 1e-6), `deadline ${s.deadline} at ${now}`);
      }
    });
    e.shutdown(now);
  });

// Election convergence: two or three boxes, random priorities, versions and intervals, random
// partitions and restarts; once the network is whole and quiet for long enough, exactly one MASTER,
// the one with the highest (priority, address), and every other box BACKUP.
const electionArb = fc.record({
  prios: fc.array(fc.integer({ min: 1, max: 254 }), { minLength: 2, maxLength: 3 }),
  version: fc.constantFrom<2 | 3>(2, 3),
  intervalMs: fc.constantFrom(100, 1000),
  events: fc.array(fc.record({ at: fc.integer({ min: 0, max: 20_000 }), node: fc.nat(), what: fc.constantFrom('down', 'up', 'restart') }), { maxLength: 8 }),
});

run('elections converge to one MASTER, the highest (priority, address), after any partitions and restarts', electionArb, 150, (c) => {
  const interval = c.version === 2 ? 1000 : c.intervalMs;
  const sim = new Sim();
  const nodes = c.prios.map((p, i) => {
    const addr = `192.0.2.${i + 1}`;
    return sim.add(`n${i}`, addr, { instances: [instanceConfig('vi', addr, { priority: p, version: c.version, advertIntervalMs: interval })] });
  });
  for (const n of nodes) sim.start(n);
  for (const e of [...c.events].sort((x, y) => x.at - y.at)) {
    sim.runUntil(e.at);
    const n = nodes[e.node % nodes.length]!;
    if (e.what === 'down') n.up = false;
    else if (e.what === 'up') n.up = true;
    else {
      sim.handle(n, n.engine.shutdown(sim.now));
      n.engine = new VrrpEngine({ instances: [instanceConfig('vi', `192.0.2.${nodes.indexOf(n) + 1}`, { priority: c.prios[nodes.indexOf(n)]!, version: c.version, advertIntervalMs: interval })] });
      sim.start(n);
    }
  }
  for (const n of nodes) n.up = true;
  sim.runUntil(sim.now + 10 * interval + 5000);
  const best = nodes.reduce((b, n, i) => (c.prios[i]! > c.prios[nodes.indexOf(b)]! || (c.prios[i] === c.prios[nodes.indexOf(b)] && i > nodes.indexOf(b)) ? n : b), nodes[0]!);
  const masters = sim.masters();
  // Equal-priority ties keep the sitting master (a backup accepts equal priority), so with ties
  // the master is any of the top priority; without, it is the best.
  const top = Math.max(...c.prios);
  assert.is(masters.length, 1, `masters ${masters} for ${JSON.stringify(c)}`);
  const m = nodes.find((n) => n.name === masters[0])!;
  if (c.prios.filter((p) => p === top).length === 1) assert.is(m, best);
  else assert.is(c.prios[nodes.indexOf(m)], top);
  for (const n of nodes) if (n !== m) assert.is(sim.state(n), 'BACKUP');
});

test.run();
