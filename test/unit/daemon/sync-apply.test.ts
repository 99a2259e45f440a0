// Sync in a config transaction (src/daemon/sync-apply.ts): which changes restart the sync part
// (config plan's restart keys, the address it sends from) and which keep its caches; a restart
// that fails puts the previous sync back before the transaction hears of it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { haConfig } from '../ha-config.ts';
import { syncApplier, syncChange, type SyncSlot } from '../../../src/daemon/sync-apply.ts';
import { planConfig } from '../../../src/apply/plan.ts';
import { partsToApply } from '../../../src/apply/transaction.ts';
import { syncDriverOptions } from '../../../src/ctsync/index.ts';

const config = haConfig;

const base = config();

test('restart keys and the sending address restart; the filter and failover keys are in place; nothing else: none', () => {
  assert.is(syncChange(base, config((c) => { c.sync.port = 3790; })), 'restart');
  assert.is(syncChange(base, config((c) => { c.sync.hash_limit = 1000; })), 'restart');
  assert.is(syncChange(base, config((c) => { delete c.sync; })), 'restart');
  const eth2 = base.addresses.findIndex((a: { interface: string }) => a.interface === 'eth2');
  assert.is(syncChange(base, config((c) => { c.addresses[eth2].static.unshift('192.0.2.246/29'); })), 'restart', 'the sync link\'s own address');
  assert.is(syncChange(base, config((c) => { c.sync.ignore_addresses = ['198.51.100.0/24']; })), 'in place');
  assert.is(syncChange(base, config((c) => { c.sync.master_commit_timeout_ms = 500; })), 'in place');
  assert.is(syncChange(base, config((c) => { c.firewall.rules.pop(); })), 'in place');
});

function slot(failOn?: number) {
  const log: string[] = [];
  const s: SyncSlot = {
    async restart(c) {
      log.push(`restart ${c.sync?.port}`);
      if (c.sync?.port === failOn) throw new Error(`bind: port ${failOn} in use`);
    },
    retune: (c) => void log.push(`retune ${c.sync?.ignore_addresses.join(',')}`),
    rewire: (c) => void log.push(`rewire ${c.sync?.master_commit_timeout_ms}`),
  };
  return { log, s };
}

test('in place: retuned, the failover wired again only when its settings changed; undo does it back', async () => {
  const { log, s } = slot();
  const next = config((c) => { c.sync.ignore_addresses = ['198.51.100.0/24']; });
  const undo = await syncApplier(s).apply(base, next);
  await undo();
  assert.equal(log, ['retune 198.51.100.0/24', 'retune ']);
  log.length = 0;
  await (await syncApplier(s).apply(base, config((c) => { c.sync.master_commit_timeout_ms = 500; })))();
  assert.equal(log, ['retune ', 'rewire 500', 'retune ', 'rewire 5000']);
});

test('an lvs change alone brings sync along (its filter keeps the LVS-NAT virtual services): retuned in place', async () => {
  const next = config((c) => { c.lvs.virtual_services[0].port = 8000; });
  const plan = planConfig(base, next);
  const { s } = slot();
  const kept: unknown[] = [];
  const applier = syncApplier({ ...s, retune: (c) => void kept.push(syncDriverOptions(c, c.sync!).filter?.keepDestinations) });
  assert.equal(partsToApply(plan, [applier]), ['lvs', 'sync']);
  const undo = await applier.apply(base, next);
  await undo();
  assert.equal(kept, [
    [{ proto: 6, address: '203.0.113.10', port: 8000 }, { proto: 6, address: '203.0.113.10', port: 443 }],
    [{ proto: 6, address: '203.0.113.10', port: 80 }, { proto: 6, address: '203.0.113.10', port: 443 }],
  ]);
});

test('a restart that fails: the previous sync started again, the error names /sync and what failed', async () => {
  const { log, s } = slot(3790);
  try {
    await syncApplier(s).apply(base, config((c) => { c.sync.port = 3790; }));
    assert.unreachable('refused');
  } catch (e) {
    assert.is((e as Error).message, '/sync: not started: bind: port 3790 in use; the previous sync runs again');
  }
  assert.equal(log, ['restart 3790', 'restart 3780']);
});

test.run();
