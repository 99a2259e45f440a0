import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haConfig } from '../ha-config.ts';
import { applyTransaction, partsToApply, planConfig, type PartApplier, type PartName } from '../../../src/apply/index.ts';

const config = haConfig;

/** Appliers that record what they did; `refuse` names the part that throws. */
function recorder(parts: readonly PartName[], refuse?: PartName, follows: Partial<Record<PartName, PartName[]>> = {}) {
  const log: string[] = [];
  const appliers: PartApplier[] = parts.map((part) => ({
    part,
    ...(follows[part] ? { follows: follows[part] } : {}),
    apply: async () => {
      if (part === refuse) throw new Error(`${part}: the kernel refused /${part}/x`);
      log.push(`apply ${part}`);
      return async () => void log.push(`undo ${part}`);
    },
  }));
  return { log, appliers };
}

const before = config();
const after = config((c) => { c.addresses[0].static = ['203.0.113.3/24']; c.vrrp.instances[0].priority = 120; c.firewall.rules.pop(); });
const plan = planConfig(before, after);

test('only the changed parts are applied, in order (net first); a part that follows another comes along', async () => {
  const { log, appliers } = recorder(['net', 'firewall', 'vrrp', 'sync'], undefined, { firewall: ['vrrp', 'sync', 'management'] });
  assert.equal(partsToApply(planConfig(before, config((c) => { c.sync.port = 3790; })), appliers), ['firewall', 'sync']);
  const r = await applyTransaction(plan, before, after, appliers);
  assert.equal(r, { ok: true, applied: ['net', 'firewall', 'vrrp'] });
  assert.equal(log, ['apply net', 'apply firewall', 'apply vrrp']);
});

test('a part that refuses: the ones already changed are undone in reverse, the error names the part', async () => {
  const { log, appliers } = recorder(['net', 'firewall', 'vrrp'], 'vrrp');
  const r = await applyTransaction(plan, before, after, appliers);
  assert.equal(r, { ok: false, part: 'vrrp', error: 'vrrp: the kernel refused /vrrp/x', undone: ['firewall', 'net'], undoErrors: [] });
  assert.equal(log, ['apply net', 'apply firewall', 'undo firewall', 'undo net']);
});

test('a changed part with no live applier refuses the whole transaction, nothing left changed', async () => {
  const { log, appliers } = recorder(['net', 'firewall']);
  const r = await applyTransaction(plan, before, after, appliers);
  assert.ok(!r.ok);
  if (!r.ok) assert.equal([r.part, r.error], ['vrrp', 'vrrp: changing it on the running box is not supported yet (restart the daemon to apply it)']);
  assert.equal(log, ['apply net', 'apply firewall', 'undo firewall', 'undo net']);
});

test('an undo that fails is reported, the others still run', async () => {
  const appliers: PartApplier[] = [
    { part: 'net', apply: async () => async () => { throw new Error('address busy'); } },
    { part: 'firewall', apply: async () => async () => undefined },
    { part: 'vrrp', apply: async () => { throw new Error('no'); } },
  ];
  const r = await applyTransaction(plan, before, after, appliers);
  assert.equal(r, { ok: false, part: 'vrrp', error: 'no', undone: ['firewall'], undoErrors: ['net: address busy'] });
});

test('a part read where it is used (console) needs no applier: applied with the others; a held part (sync) without one refuses', async () => {
  const { log, appliers } = recorder(['net']);
  const console = config((c) => { c.addresses[0].static = ['203.0.113.3/24']; c.console = { ...c.console, idle_logout_s: 120 }; });
  assert.equal(await applyTransaction(planConfig(before, console), before, console, appliers), { ok: true, applied: ['net', 'console'] });
  const sync = config((c) => { c.console = { ...c.console, idle_logout_s: 120 }; c.sync.port = 3790; });
  const r = await applyTransaction(planConfig(before, sync), before, sync, appliers);
  assert.ok(!r.ok && r.part === 'sync');
  assert.equal(log, ['apply net']);
});

test('a part that only follows is left out when it says it has nothing to follow (not configured)', async () => {
  const { log, appliers } = recorder(['net', 'sync']);
  const sync = appliers.find((a) => a.part === 'sync')!;
  const follower: PartApplier = { ...sync, follows: ['net'], followsWhen: (_p, n) => n.sync?.port === 3790 };
  const net = config((c) => { c.addresses[0].static = ['203.0.113.3/24']; });
  assert.equal(await applyTransaction(planConfig(before, net), before, net, [appliers[0]!, follower]), { ok: true, applied: ['net'] });
  const both = config((c) => { c.addresses[0].static = ['203.0.113.3/24']; c.sync.port = 3790; });
  assert.equal(await applyTransaction(planConfig(before, both), before, both, [appliers[0]!, follower]), { ok: true, applied: ['net', 'sync'] });
  assert.equal(log, ['apply net', 'apply net', 'apply sync']);
});

test('no change: nothing is applied', async () => {
  const { log, appliers } = recorder(['net', 'firewall', 'vrrp']);
  assert.equal(await applyTransaction(planConfig(before, config()), before, config(), appliers), { ok: true, applied: [] });
  assert.equal(log, []);
});

test.run();
