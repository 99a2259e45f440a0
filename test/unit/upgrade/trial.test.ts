// The trial boot's pure core: what the daemon's answers say about health (health.ts), and the
// verdict over time with a fake clock (trial.ts): kept only when every check held, unchanged,
// for the hold time; rebooted at a fatal check or at the timeout, with every unmet check named.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HEALTH_HOLD_MS, TrialJudge, healthChecks, type HealthObservation } from '../../../src/upgrade/index.ts';

const healthy: HealthObservation = {
  bootExit: 0,
  savedConfig: true,
  expect: { vrrp: true, sync: true },
  daemon: { ok: true, value: { pid: 300, fallback: false, config: '/data/config.json' } },
  firewall: { ok: true, value: { applied: true, managed: true, error: null } },
  vrrp: { ok: true, value: { running: true, instances: [{ name: 'lan', state: 'MASTER', fault: false }, { name: 'wan', state: 'MASTER', fault: false }] } },
  sync: { ok: true, value: { running: true, failover: { startup: 'synced' } } },
};

function failing(o: HealthObservation): string[] {
  return healthChecks(o).filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

test('health: all checks met on a settled, synced box', () => {
  assert.equal(failing(healthy), []);
});

test('health: each unmet condition is named', () => {
  assert.equal(failing({ ...healthy, bootExit: undefined }), ['boot: stockade boot recorded no result']);
  assert.ok(healthChecks({ ...healthy, bootExit: 1 }).find((c) => c.name === 'boot')!.fatal);
  const down = failing({ ...healthy, daemon: { ok: false, error: 'the daemon is not running (no /run/stockade.sock)' } });
  assert.equal(down, ['daemon: the daemon is not running (no /run/stockade.sock)', 'config: unknown: the daemon does not answer']);
  assert.equal(failing({ ...healthy, daemon: { ok: true, value: { pid: 1, fallback: true, config: '/usr/share/stockade/default-config.json' } } }),
    ['config: the saved config did not load: the daemon runs /usr/share/stockade/default-config.json']);
  // No saved config: the board default is what the box is meant to run.
  assert.equal(failing({ ...healthy, savedConfig: false, daemon: { ok: true, value: { pid: 1, fallback: true, config: '/usr/share/stockade/default-config.json' } } }), []);
  assert.equal(failing({ ...healthy, firewall: { ok: true, value: { applied: false, managed: true, error: 'ipv4 filter: refused' } } }), ['config: firewall not applied: ipv4 filter: refused']);
  assert.equal(failing({ ...healthy, vrrp: { ok: true, value: { running: true, instances: [{ name: 'lan', state: 'BACKUP', fault: false }, { name: 'wan', state: 'INIT', fault: false }] } } }),
    ['vrrp: not settled: lan BACKUP, wan INIT']);
  assert.equal(failing({ ...healthy, vrrp: { ok: true, value: { running: true, instances: [{ name: 'lan', state: 'BACKUP', fault: true }] } } }), ['vrrp: not settled: lan FAULT']);
  assert.equal(failing({ ...healthy, sync: { ok: true, value: { running: true, failover: { startup: 'held' } } } }), ["sync: waiting for the peer's bulk sync"]);
  assert.equal(failing({ ...healthy, sync: { ok: true, value: { running: false, reason: 'failed to start: EADDRINUSE' } } }), ['sync: not running: failed to start: EADDRINUSE']);
  assert.ok(healthChecks({ ...healthy, sync: { ok: true, value: { running: true, failover: { startup: 'timeout' } } } }).find((c) => c.name === 'sync')!.fatal);
});

test('health: parts the config does not ask for are not required', () => {
  const bare: HealthObservation = { ...healthy, expect: { vrrp: false, sync: false }, vrrp: { ok: true, value: { running: false, instances: [] } }, sync: { ok: true, value: { running: false, reason: 'not configured' } } };
  assert.equal(failing(bare), []);
});

test('health: the test hook fails the named check, saying so', () => {
  assert.equal(failing({ ...healthy, failCheck: 'vrrp' }), ['vrrp: lan MASTER, wan MASTER (failed by the test hook)']);
});

test('verdict: waits, then marks good once every check held unchanged for the hold time', () => {
  const judge = new TrialJudge({ startMs: 0, timeoutMs: 60_000, holdMs: HEALTH_HOLD_MS });
  const settling = { ...healthy, vrrp: { ok: true as const, value: { running: true, instances: [{ name: 'lan', state: 'BACKUP', fault: false }] } } };
  assert.is(judge.judge(healthChecks({ ...healthy, daemon: { ok: false, error: 'not running' } }), 1000).action, 'wait');
  assert.is(judge.judge(healthChecks(settling), 2000).action, 'wait');
  // BACKUP -> MASTER is a change: the hold starts again.
  assert.is(judge.judge(healthChecks(healthy), 2000 + HEALTH_HOLD_MS - 1).action, 'wait');
  assert.is(judge.judge(healthChecks(healthy), 2000 + 2 * HEALTH_HOLD_MS - 2).action, 'wait');
  const v = judge.judge(healthChecks(healthy), 2000 + 2 * HEALTH_HOLD_MS);
  assert.is(v.action, 'mark-good');
});

test('verdict: a daemon respawned during the hold restarts it', () => {
  const judge = new TrialJudge({ startMs: 0, timeoutMs: 60_000, holdMs: 5000 });
  assert.is(judge.judge(healthChecks(healthy), 0).action, 'wait');
  const respawned = { ...healthy, daemon: { ok: true as const, value: { pid: 301, fallback: false, config: '/data/config.json' } } };
  assert.is(judge.judge(healthChecks(respawned), 4000).action, 'wait');
  assert.is(judge.judge(healthChecks(respawned), 8999).action, 'wait');
  assert.is(judge.judge(healthChecks(respawned), 9000).action, 'mark-good');
});

test('verdict: the timeout reboots, naming every unmet check; a fatal check reboots at once', () => {
  const judge = new TrialJudge({ startMs: 1000, timeoutMs: 30_000, holdMs: 5000 });
  const bad = { ...healthy, vrrp: { ok: false as const, error: 'no answer from the daemon within 3000 ms' }, sync: { ok: true as const, value: { running: true, failover: { startup: 'held' } } } };
  assert.is(judge.judge(healthChecks(bad), 30_999).action, 'wait');
  const v = judge.judge(healthChecks(bad), 31_000);
  assert.equal(v, { action: 'reboot', reason: "health did not hold within 30 s: vrrp: no answer from the daemon within 3000 ms; sync: waiting for the peer's bulk sync" });
  const early = new TrialJudge({ startMs: 0, timeoutMs: 600_000, holdMs: 5000 });
  const f = early.judge(healthChecks({ ...healthy, bootExit: 1 }), 10);
  assert.is(f.action, 'reboot');
  assert.match((f as { reason: string }).reason, /^boot: stockade boot failed \(exit 1/);
});

test('verdict: healthy only now and then (a flapping check) never holds; the timeout says so', () => {
  const judge = new TrialJudge({ startMs: 0, timeoutMs: 20_000, holdMs: 5000 });
  let v;
  for (let t = 0; t <= 20_000; t += 1000) {
    v = judge.judge(healthChecks(t % 4000 === 0 ? { ...healthy, daemon: { ok: false, error: 'not running' } } : healthy), t);
    if (v.action !== 'wait') break;
  }
  assert.is(v!.action, 'reboot');
  assert.match((v as { reason: string }).reason, /^health did not hold within 20 s: daemon: not running/);
});

test.run();
