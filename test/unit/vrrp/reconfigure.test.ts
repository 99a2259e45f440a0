// A config apply on a running VRRP engine (engine.reconfigure): unchanged identity keeps the
// instance's state (no transition, no VIP removed), new settings take effect on the wire at once;
// identity changes restart; instances come and go. Plus: the engine's restart rule and the
// config plan's (src/apply/parts.ts) agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Sim, instanceConfig } from './sim.ts';
import type { SimNode } from './sim.ts';
import { needsRestart } from '../../../src/vrrp/restart-fields.ts';
import type { EngineConfig } from '../../../src/vrrp/engine.ts';
import { planFromConfig } from '../../../src/vrrp/from-config.ts';
import type { InstanceOptions } from '../../../src/vrrp/instance.ts';
import { masterDownMs } from '../../../src/vrrp/timers.ts';
import { loadConfigText } from '../../../src/config/load.ts';
import { EFFECT_RULES } from '../../../src/apply/parts.ts';

function pair(a: Partial<InstanceOptions> = { priority: 200 }, b: Partial<InstanceOptions> = { priority: 100 }) {
  const sim = new Sim();
  const A = sim.add('A', '192.0.2.1', { instances: [instanceConfig('vi', '192.0.2.1', a)] });
  const B = sim.add('B', '192.0.2.2', { instances: [instanceConfig('vi', '192.0.2.2', b)] });
  sim.start(A);
  sim.start(B);
  sim.runUntil(10_000);
  assert.equal(sim.masters(), ['A']);
  return { sim, A, B };
}

/** As the shell does it: retire, carry out its actions (old identities), then reconfigure. */
function apply(sim: Sim, n: SimNode, config: EngineConfig, restart?: Set<string>) {
  const from = n.log.length;
  sim.handle(n, n.engine.retire(sim.now, config, restart));
  const change = n.engine.reconfigure(sim.now, config, restart);
  sim.handle(n, change.actions);
  return { change, actions: n.log.slice(from) };
}

const kinds = (actions: Array<{ kind: string; instance: string }>) => actions.map((a) => `${a.instance}:${a.kind}`);

test('a new priority on the MASTER: no transition, VIPs kept, the new priority advertised at once', () => {
  const { sim, A, B } = pair();
  const { change, actions } = apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 150 })] });
  assert.equal([change.kept, change.restarted, change.added, change.removed], [['vi'], [], [], []]);
  assert.equal(actions.map((a) => a.kind === 'send-advert' ? `advert ${a.priority}` : a.kind), ['advert 150']);
  sim.runUntil(sim.now + 10_000);
  assert.equal(sim.masters(), ['A']);
  assert.is(A.engine.instance('vi')!.effectivePriority, 150);
  assert.ok(B.log.every((a) => a.kind !== 'transition' || a.at < 10_000), 'the backup never moved');
});

test('the MASTER lowered below its preempting peer: the peer takes over on the advert that says so, one master', () => {
  const { sim, A } = pair();
  const t = sim.now;
  apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 50 })] });
  sim.runUntil(t + masterDownMs(3, 100, 1000) + 1);
  assert.equal(sim.masters(), ['B']);
  assert.is(sim.enteredAt(A, 'BACKUP'), sim.enteredAt(sim.node('B'), 'MASTER'), 'A steps down on B\'s first advert');
});

test('a new advert interval: a MASTER keeps its state and sends on the new cadence from now', () => {
  const { sim, A } = pair();
  const t = sim.now;
  apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 200, advertIntervalMs: 200 })] });
  sim.runUntil(t + 1000);
  const adverts = A.log.filter((a) => a.kind === 'send-advert' && a.at >= t).map((a) => a.at - t);
  assert.equal(adverts, [0, 200, 400, 600, 800, 1000]);
  assert.equal(sim.masters(), ['A']);
});

test('a BACKUP given priority 255 (owner) takes over at once', () => {
  const { sim, B } = pair();
  apply(sim, B, { instances: [instanceConfig('vi', '192.0.2.2', { priority: 255 })] });
  sim.runUntil(sim.now + 100);
  assert.equal(sim.masters(), ['B']);
});

test('a new VRID restarts the instance: priority 0 and VIPs removed first, then BACKUP again', () => {
  const { sim, A } = pair();
  const { change, actions } = apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 200, vrid: 8 })] });
  assert.equal(change.restarted, ['vi']);
  assert.equal(actions.map((a) => a.kind === 'transition' ? `${a.to}:${a.reason}` : a.kind === 'send-advert' ? `advert ${a.priority}` : a.kind), [
    'INIT:shutdown', 'advert 0', 'remove-vips', 'BACKUP:start',
  ]);
});

test('instances added and removed; the one that stays is untouched', () => {
  const { sim, A } = pair();
  const second = instanceConfig('vj', '192.0.2.1', { vrid: 9, priority: 120 });
  const add = apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 200 }), second] });
  assert.equal([add.change.kept, add.change.added], [['vi'], ['vj']]);
  assert.equal(kinds(add.actions), ['vj:transition']);
  const remove = apply(sim, A, { instances: [second] });
  assert.equal([remove.change.kept, remove.change.removed], [['vj'], ['vi']]);
  assert.equal(kinds(remove.actions), ['vi:transition', 'vi:send-advert', 'vi:remove-vips']);
  assert.is(A.engine.instance('vi'), undefined);
});

test('a restart the shell asks for (a vMAC interface changed) restarts an otherwise unchanged instance', () => {
  const { sim, A } = pair();
  const { change } = apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 200 })] }, new Set(['vi']));
  assert.equal(change.restarted, ['vi']);
});

test('reconfigure without retire first is refused (the shell would lose the last advert)', () => {
  const { sim, A } = pair();
  assert.throws(() => A.engine.reconfigure(sim.now, { instances: [] }), /vi: retire\(\) it before reconfigure\(\)/);
});

test('drop counters and a kept instance\'s counters carry over', () => {
  const { sim, A } = pair();
  const before = A.engine.instance('vi')!.counters.advertsOut;
  apply(sim, A, { instances: [instanceConfig('vi', '192.0.2.1', { priority: 190 })] });
  assert.is(A.engine.instance('vi')!.counters.advertsOut, before + 1);
});

test('the engine restarts an instance exactly for the config fields `config plan` says restart it', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../fixtures/config/ha-node-a.json', import.meta.url), 'utf8')) as Record<string, any>;
  const facts = {
    primaryAddress: (ifname: string) => ({ ext: '203.0.113.2', int: '192.0.2.2', srv: '198.51.100.2', eth2: '192.0.2.249' } as Record<string, string>)[ifname] ?? '192.0.2.130',
    ownAddresses: () => [],
    keySecret: () => new Uint8Array(32).fill(7),
  };
  const engineOf = (edit: (i: Record<string, any>) => void) => {
    const raw = structuredClone(fixture);
    edit(raw.vrrp.instances[1]);
    const r = loadConfigText(JSON.stringify(raw));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return planFromConfig(r.config.vrrp, facts).engine.instances[1]!;
  };
  const base = engineOf(() => undefined);
  const restartEdits: Record<string, (i: Record<string, any>) => void> = {
    interface: (i) => { i.interface = 'srv'; i.vips = ['198.51.100.50/24']; i.vrid = 31; },
    vrid: (i) => { i.vrid = 21; },
    version: (i) => { i.version = 2; },
    checksum: (i) => { i.checksum = 'message'; },
    unicast_peers: (i) => { i.unicast_peers = ['192.0.2.3']; },
    password: (i) => { i.version = 2; i.password = 'secret'; },
    authentication: (i) => { i.authentication = { keys: [{ id: 1, secret: '00'.repeat(32) }] }; },
    pair: (i) => { i.pair = true; },
  };
  const shellRestarts = ['use_vmac', 'vmac_interface'];
  const rule = EFFECT_RULES.vrrp!;
  assert.equal([...Object.keys(restartEdits), ...shellRestarts].sort(), [...rule.restartOn].sort(), 'every restart field of the plan is tried here');
  for (const [field, edit] of Object.entries(restartEdits)) {
    if (field === 'password') continue; // version 2 alone restarts; the password is compared on its own below
    assert.ok(needsRestart(base, engineOf(edit)), `${field} restarts`);
  }
  const v2 = engineOf((i) => { i.version = 2; });
  assert.ok(needsRestart(v2, engineOf((i) => { i.version = 2; i.password = 'secret'; })), 'password restarts');
  const inPlace: Record<string, (i: Record<string, any>) => void> = {
    priority: (i) => { i.priority = 10; },
    advert_interval_ms: (i) => { i.advert_interval_ms = 200; },
    preempt: (i) => { i.preempt = false; },
    preempt_delay_s: (i) => { i.preempt_delay_s = 30; },
    vips: (i) => { i.vips = ['192.0.2.1/25', '192.0.2.5/25']; },
    garp: (i) => { i.garp = { repeat: 2 }; },
    track_interfaces: (i) => { i.track_interfaces = [{ interface: 'eth0', weight: -10 }]; },
  };
  for (const [field, edit] of Object.entries(inPlace)) {
    assert.not.ok(rule.restartOn.includes(field), `${field} is in place in the plan`);
    assert.not.ok(needsRestart(base, engineOf(edit)), `${field} is applied in place`);
  }
});

test.run();
