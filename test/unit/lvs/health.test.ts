// The health checks wired to the LVS manager (src/lvs/health.ts), on the real checker shell with a
// fake world (which servers answer) and a fake IPVS kernel: a failed server leaves the table and
// comes back, inhibit keeps it at weight 0, the quorum lost puts the sorry server in alone,
// ha_suspend checks only while this box is MASTER for the VIP, a config change keeps the state
// of unchanged checks, and `ctl lvs` / `ctl lvs events` show it with reasons.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { fixtureConfig } from '../config/helpers.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { LvsHealth, LvsManager } from '../../../src/lvs/index.ts';
import type { ShellWorld } from '../../../src/lvs/checkers/index.ts';
import { FakeIpvs } from './fake-ipvs.ts';

// Checks at once and every second, one failure takes a server down, one success brings it back.
const FAST = { type: 'tcp', interval_s: 1, timeout_s: 1, rise: 1, fall: 1, warmup_s: 0 };

function config(mutate: (c: any) => void = () => undefined): Config {
  return fixtureConfig((c) => {
    c.lvs.virtual_services[0].health_check = { ...FAST };
    c.lvs.virtual_services[1].health_check = { ...FAST, quorum: 2, sorry_server: { address: '198.51.100.99' } };
    mutate(c);
  });
}

/** Servers that refuse connections ("address:port"); everything else answers. */
function world(dead: Set<string>, probes: string[] = []): ShellWorld & { close(): void } {
  const no = () => Promise.reject(new Error('not used'));
  return {
    now: () => performance.now(),
    connect: (address, port) => {
      probes.push(`${address}:${port}`);
      return dead.has(`${address}:${port}`) ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) : Promise.resolve();
    },
    exchange: no, datagram: no, ping: no, program: no,
    commandProblem: () => undefined,
    spawn: () => undefined,
    close: () => undefined,
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  // A bound on a hang, not a measure: checks run every second.
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

const quiet = (): void => undefined;
const dests = (k: FakeIpvs, key: string): string[] => (k.services.get(key)?.dests ?? []).map((d) => `${d.address}:${d.port} w${d.weight}`);

test('a failed server leaves the table and comes back; quorum lost -> the sorry server alone; ctl lvs shows why', async () => {
  const dead = new Set<string>();
  const k = new FakeIpvs();
  const c = config();
  const m = new LvsManager(k, c, quiet);
  const h = new LvsHealth(m, quiet, { warmup: () => 0, world: world(dead) });
  try {
    h.start(c);
    await m.apply(c);
    assert.equal(dests(k, 'tcp 203.0.113.10:80'), ['198.51.100.11:8080 w1', '198.51.100.12:8080 w2']);

    dead.add('198.51.100.11:8080');
    await until('.11 out of web', () => !dests(k, 'tcp 203.0.113.10:80').some((d) => d.startsWith('198.51.100.11')));
    assert.equal(dests(k, 'tcp 203.0.113.10:80'), ['198.51.100.12:8080 w2']);
    const st = await m.status();
    const s11 = st.servers.find((s) => s.server === 'web 198.51.100.11:8080')!;
    assert.is(s11.state, 'down');
    assert.match(s11.reason, /ECONNREFUSED/);
    assert.match(s11.reason, /not in the table/);
    const ev = m.events().events.find((e) => e.server === 'web 198.51.100.11:8080')!;
    assert.is(ev.up, false);
    assert.is(ev.weight, null, 'a removed server has no weight');
    assert.match(ev.reason, /ECONNREFUSED.*\(removed\)/);

    dead.delete('198.51.100.11:8080');
    await until('.11 back in web', () => dests(k, 'tcp 203.0.113.10:80').length === 2);

    // web_tls needs weight 2: one server down loses the quorum, and the sorry server serves alone.
    dead.add('198.51.100.12:443');
    await until('the sorry server in', () => dests(k, 'tcp 203.0.113.10:443').join() === '198.51.100.99:443 w1');
    const q = (await m.status()).checks!.services.find((s) => s.name === 'web_tls')!;
    assert.equal([q.quorumUp, q.liveWeight, q.sorryServerIn], [false, 1, true]);
    assert.ok(m.events().events.some((e) => e.server === 'web_tls' && !e.up && /quorum lost \(sorry server in\)/.test(e.reason)));
    dead.delete('198.51.100.12:443');
    await until('the servers back', () => dests(k, 'tcp 203.0.113.10:443').join() === '198.51.100.11:443 w1,198.51.100.12:443 w1');
  } finally {
    h.stop();
  }
});

test('inhibit: a failed server stays at weight 0', async () => {
  const dead = new Set(['198.51.100.12:8080']);
  const k = new FakeIpvs();
  const c = config((x) => (x.lvs.virtual_services[0].health_check.on_failure = 'inhibit'));
  const m = new LvsManager(k, c, quiet);
  const h = new LvsHealth(m, quiet, { warmup: () => 0, world: world(dead) });
  try {
    h.start(c);
    await m.apply(c);
    await until('.12 at weight 0', () => dests(k, 'tcp 203.0.113.10:80').includes('198.51.100.12:8080 w0'));
    assert.match(m.events().events.find((e) => e.server === 'web 198.51.100.12:8080')!.reason, /inhibited: weight 0/);
  } finally {
    h.stop();
  }
});

test('ha_suspend: checks run only while the VIP\'s VRRP instance is MASTER here', async () => {
  const probes: string[] = [];
  const dead = new Set(['198.51.100.11:8080']);
  const k = new FakeIpvs();
  const c = config((x) => (x.lvs.virtual_services[0].health_check.ha_suspend = true));
  const m = new LvsManager(k, c, quiet);
  const h = new LvsHealth(m, quiet, { warmup: () => 0, world: world(dead, probes) });
  try {
    h.start(c);
    await m.apply(c);
    h.vrrpTransition('vi_ext', 'BACKUP');
    await new Promise((r) => setTimeout(r, 300));
    assert.not.ok(probes.some((p) => p.endsWith(':8080')), 'no web checks while BACKUP');
    assert.is((await m.status()).servers.find((s) => s.server === 'web 198.51.100.11:8080')!.state, 'suspended');
    h.vrrpTransition('vi_ext', 'MASTER');
    await until('.11 out once checked', () => !dests(k, 'tcp 203.0.113.10:80').some((d) => d.startsWith('198.51.100.11')));
  } finally {
    h.stop();
  }
});

test('a config change keeps unchanged checks\' state: a dead server does not come back', async () => {
  const dead = new Set(['198.51.100.11:8080']);
  const k = new FakeIpvs();
  const c = config();
  const m = new LvsManager(k, c, quiet);
  const h = new LvsHealth(m, quiet, { warmup: () => 1000, world: world(dead) });
  try {
    h.start(c);
    await m.apply(c);
    await until('.11 out', () => dests(k, 'tcp 203.0.113.10:80').length === 1);
    const next = config((x) => (x.lvs.virtual_services[1].real_servers[1].weight = 3));
    k.writes = [];
    h.start(next);
    await m.apply(next);
    assert.equal(k.writes, ['edit-dest tcp 203.0.113.10:443 198.51.100.12:443'], 'only the weight written; .11 stays out');
    assert.equal(dests(k, 'tcp 203.0.113.10:80'), ['198.51.100.12:8080 w2']);
  } finally {
    h.stop();
  }
});

test.run();
