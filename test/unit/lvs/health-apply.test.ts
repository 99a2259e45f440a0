// Health-triggered applies (LvsManager.setDestinations): only the services whose destinations
// changed are read and written, updates arriving while an apply runs join one pending apply, a
// refused write leaves only its own service as it was, and nothing outside the set is touched
// even when lvs.exclusive says the table is ours. The kernel is the fake IpvsKernel; its `reads`
// are the table reads asked for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureConfig } from '../config/helpers.ts';
import { LvsManager } from '../../../src/lvs/index.ts';
import type { CheckedDestination, LvsManagerOptions } from '../../../src/lvs/index.ts';
import { FakeIpvs } from './fake-ipvs.ts';

const config = fixtureConfig;

const WEB = 'tcp 203.0.113.10:80';
const TLS = 'tcp 203.0.113.10:443';
const dests = (k: FakeIpvs, key: string): string[] => (k.services.get(key)?.dests ?? []).map((d) => `${d.address}:${d.port} w${d.weight}`);
const down11: CheckedDestination[] = [{ address: '198.51.100.12', port: 8080, weight: 2 }];
const event = (server: string, up: boolean) => [{ server, up, reason: up ? 'check passed' : 'connection refused' }];

/** A manager over a fake kernel holding the fixture's table; `logs` gets what it logs. */
async function applied(c = config(), opts: LvsManagerOptions = {}): Promise<{ k: FakeIpvs; m: LvsManager; logs: string[] }> {
  const k = new FakeIpvs();
  const logs: string[] = [];
  const m = new LvsManager(k, c, (level, msg) => void logs.push(`${level} ${msg}`), opts);
  await m.apply();
  k.reads = [];
  k.writes = [];
  logs.length = 0;
  return { k, m, logs };
}

test('a health update reads only the changed service, writes its change and logs it', async () => {
  const { k, m, logs } = await applied();
  await m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  assert.equal(k.reads, [`service ${WEB}`], 'no whole-table dump');
  assert.equal(k.writes, [`del-dest ${WEB} 198.51.100.11:8080`]);
  assert.equal(dests(k, WEB), ['198.51.100.12:8080 w2']);
  assert.ok(logs.some((l) => l.startsWith(`info lvs: - ${WEB} -> 198.51.100.11:8080 (web: `)), logs.join('\n'));
  const h = (await m.status()).fromHealth;
  assert.is(h.applies, 1);
  assert.is(h.updates, 1);
  assert.ok(h.lastLatencyMs !== null && h.lastLatencyMs >= 0);
});

test('100 updates while an apply is in flight: 2 applies, the last destinations win', async () => {
  const { k, m } = await applied();
  let release!: () => void;
  k.hold = new Promise<void>((r) => (release = r));
  const first = m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  for (let i = 0; i < 100 && k.reads.length === 0; i++) await new Promise((r) => setImmediate(r));
  assert.is(k.reads.length, 1, 'the first apply is reading the kernel');
  const rest: Array<Promise<unknown>> = [];
  for (let i = 1; i < 100; i++) {
    const weight = i;
    // Flapping web, and web_tls losing and regaining .12 along the way.
    rest.push(m.setServiceDestinations('web', [{ address: '198.51.100.11', port: 8080, weight }, { address: '198.51.100.12', port: 8080, weight: 2 }], event('web 198.51.100.11:8080', true)));
    if (i % 10 === 0) rest.push(m.setServiceDestinations('web_tls', i % 20 === 10 ? [{ address: '198.51.100.11', port: 443, weight: 1 }] : [{ address: '198.51.100.11', port: 443, weight: 1 }, { address: '198.51.100.12', port: 443, weight: 1 }], event('web_tls 198.51.100.12:443', i % 20 !== 10)));
  }
  release();
  k.hold = undefined;
  await Promise.all([first, ...rest]);
  assert.is(k.reads.length, 3, `2 applies, each reading only its services: ${k.reads.length} reads`);
  assert.equal(k.reads, [`service ${WEB}`, `service ${WEB}`, `service ${TLS}`]);
  const h = (await m.status()).fromHealth;
  assert.is(h.applies, 2, 'the one in flight and one for everything that came during it');
  assert.is(h.updates, 109);
  assert.is(h.coalesced, 107);
  assert.equal(dests(k, WEB).sort(), ['198.51.100.11:8080 w99', '198.51.100.12:8080 w2']);
  assert.equal(dests(k, TLS), ['198.51.100.11:443 w1'], 'web_tls as its last update (at 90) left it');
  assert.is(m.events().events.length, 109, 'every update\'s events kept');
});

test('a refused write leaves its service as it was; the other service of the same apply is written', async () => {
  const { k, m, logs } = await applied();
  const webBefore = dests(k, WEB);
  k.refuse = '198.51.100.99';
  const r = await m.setDestinations([
    // Quorum lost: the sorry server alone, whose add the kernel refuses.
    { service: 'web', dests: [{ address: '198.51.100.99', port: 8080, weight: 1, sorry: true }], events: event('web', false) },
    { service: 'web_tls', dests: [{ address: '198.51.100.11', port: 443, weight: 1 }], events: event('web_tls 198.51.100.12:443', false) },
  ]);
  assert.equal(dests(k, WEB).sort(), webBefore.sort(), 'web as it was: its deletes undone');
  assert.equal(dests(k, TLS), ['198.51.100.11:443 w1'], 'web_tls written');
  assert.equal(r.actions.map((a) => a.op), ['del-dest']);
  const st = await m.status();
  assert.match(st.lastError ?? '', /198\.51\.100\.99.*undone/);
  assert.ok(logs.some((l) => /^error lvs: .*198\.51\.100\.99/.test(l)), logs.join('\n'));
  assert.ok(logs.some((l) => l.startsWith(`info lvs: - ${TLS} -> 198.51.100.12:443`)));
  // The next health apply that succeeds clears the error it left.
  k.refuse = undefined;
  await m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  assert.is((await m.status()).lastError, null);
});

test('a refused service is tried again later, backing off, until the kernel takes it; then the retries stop', async () => {
  const { k, m, logs } = await applied(config(), { healthRetry: { minMs: 20, maxMs: 40 } });
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  try {
    const webBefore = dests(k, WEB);
    k.refuse = '198.51.100.99';
    await m.setDestinations([{ service: 'web', dests: [{ address: '198.51.100.99', port: 8080, weight: 1, sorry: true }], events: event('web', false) }]);
    assert.equal(dests(k, WEB).sort(), webBefore.sort(), 'refused: web as it was');
    await sleep(200);
    const refused = (await m.status()).fromHealth.applies;
    // Tries at about 0, 20, 60, 100, 140, 180 ms: the delay doubled to its cap, no busy loop.
    assert.ok(refused >= 3 && refused <= 7, `${refused} applies in 200 ms`);
    assert.ok(logs.some((l) => l === 'warn lvs: web: the table is behind the health checks; trying again in 0.02 s'), logs.join('\n'));
    assert.ok(logs.some((l) => l === 'warn lvs: web: the table is behind the health checks; trying again in 0.04 s'), logs.join('\n'));
    k.refuse = undefined;
    await sleep(100);
    assert.equal(dests(k, WEB), ['198.51.100.99:8080 w1'], 'written by a retry, with no new update');
    assert.is((await m.status()).lastError, null, 'the error it left is cleared');
    const done = (await m.status()).fromHealth.applies;
    await sleep(100);
    assert.is((await m.status()).fromHealth.applies, done, 'no retry once written');
  } finally {
    m.stop();
  }
});

test('a service outside the set is never touched, even with lvs.exclusive', async () => {
  const { k, m } = await applied(config((c) => (c.lvs.exclusive = true)));
  // The admin's own service, and a weight changed by hand in a configured one.
  await k.newService({ key: { protocol: 'udp', address: '192.0.2.50', port: 53 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' });
  k.services.get(TLS)!.dests[1]!.weight = 5;
  k.writes = [];
  await m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  assert.ok(k.services.has('udp 192.0.2.50:53'), 'the foreign service stays');
  assert.equal(dests(k, TLS), ['198.51.100.11:443 w1', '198.51.100.12:443 w5'], 'web_tls untouched');
  assert.equal(k.writes, [`del-dest ${WEB} 198.51.100.11:8080`]);
  assert.equal(k.reads, [`service ${WEB}`]);
  // The config apply is the whole table: it is ours, so the foreign service goes.
  await m.apply();
  assert.not.ok(k.services.has('udp 192.0.2.50:53'));
});

test('a service the kernel lost is put back by its health apply', async () => {
  const { k, m } = await applied();
  k.services.delete(WEB);
  await m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  assert.equal(k.writes, [`add-service ${WEB}`, `add-dest ${WEB} 198.51.100.12:8080`]);
});

test('health updates pending when a config apply is queued are written by it, once', async () => {
  const { k, m } = await applied();
  let release!: () => void;
  k.hold = new Promise<void>((r) => (release = r));
  const inFlight = m.setServiceDestinations('web_tls', [{ address: '198.51.100.11', port: 443, weight: 1 }], event('web_tls 198.51.100.12:443', false));
  for (let i = 0; i < 100 && k.reads.length === 0; i++) await new Promise((r) => setImmediate(r));
  const pending = m.setServiceDestinations('web', down11, event('web 198.51.100.11:8080', false));
  const whole = m.apply();
  release();
  k.hold = undefined;
  await Promise.all([inFlight, pending, whole]);
  assert.equal(k.reads, [`service ${TLS}`, 'table'], 'the pending health apply left web to the config apply');
  assert.equal(dests(k, WEB), ['198.51.100.12:8080 w2']);
  const h = (await m.status()).fromHealth;
  assert.is(h.applies, 1);
  assert.ok(h.lastLatencyMs !== null);
});

test.run();
