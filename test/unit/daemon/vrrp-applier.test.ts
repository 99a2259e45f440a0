// The daemon's vrrp applier (src/daemon/appliers.ts): the running VRRP reconciled to the new
// config, undone by reconciling back; a refusal puts the previous instances back before the
// transaction hears of it; with no VRRP running, instances added start it and the undo stops it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haConfig } from '../ha-config.ts';
import type { Vrrp } from '../../../src/config/generated/config.ts';
import { vrrpApplier, type VrrpSlot } from '../../../src/daemon/appliers.ts';
import type { VrrpRuntime } from '../../../src/vrrp/index.ts';

const config = haConfig;
const before = config();
const after = config((c) => { c.vrrp.instances[0].priority = 120; });
const prio = (v: Vrrp) => v.instances[0]!.priority;

function slot(running: boolean, refuse?: number) {
  const log: string[] = [];
  let current: VrrpRuntime | undefined;
  const runtime = {
    async reconfigure(v: Vrrp) {
      log.push(`reconfigure ${prio(v)}`);
      if (prio(v) === refuse) throw new Error(`/vrrp/instances/0/interface: no interface x on this box`);
      return { actions: [], kept: [], restarted: [], added: [], removed: [] };
    },
  } as unknown as VrrpRuntime;
  if (running) current = runtime;
  const s: VrrpSlot = {
    get: () => current,
    async start(c) { log.push(`start ${c.vrrp.instances.length}`); current = runtime; return runtime; },
    async stop() { log.push('stop'); current = undefined; },
  };
  return { log, s };
}

test('reconciled to the new config; the undo reconciles back', async () => {
  const { log, s } = slot(true);
  const undo = await vrrpApplier(s).apply(before, after);
  await undo();
  assert.equal(log, ['reconfigure 120', `reconfigure ${prio(before.vrrp)}`]);
});

test('refused: the previous instances put back, the error passed on', async () => {
  const { log, s } = slot(true, 120);
  try {
    await vrrpApplier(s).apply(before, after);
    assert.unreachable('refused');
  } catch (e) {
    assert.is((e as Error).message, '/vrrp/instances/0/interface: no interface x on this box');
  }
  assert.equal(log, ['reconfigure 120', `reconfigure ${prio(before.vrrp)}`]);
});

test('no VRRP running: instances added start it, the undo stops it; still none: nothing', async () => {
  const { log, s } = slot(false);
  const none = config((c) => { c.vrrp.instances = []; c.vrrp.sync_groups = []; delete c.sync.vrrp_group; c.lvs.virtual_services = []; });
  const undo = await vrrpApplier(s).apply(none, before);
  await undo();
  await (await vrrpApplier(s).apply(none, none))();
  assert.equal(log, [`start ${before.vrrp.instances.length}`, 'stop']);
});

test.run();
