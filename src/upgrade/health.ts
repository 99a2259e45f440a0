// What a slot on its trial boot must show before it is kept (issue 16 item 3): `stockade boot`
// completed, the daemon up, the config applied (the saved one, not the board default, and its
// firewall in the kernel), VRRP settled (every instance MASTER or BACKUP) and, when sync is
// configured, the peer's bulk sync received. Pure: the daemon's answers come in as plain JSON (the
// shapes below are the parts of its control-socket views this reads), checks go out.

export type Answer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface HealthObservation {
  /** `stockade boot`'s exit status this boot; undefined: it recorded none. */
  readonly bootExit: number | undefined;
  /** /data/config.json exists: the daemon must then run it, not the board default. */
  readonly savedConfig: boolean;
  /** What the config asks for, so an absent part is not taken for a healthy one. */
  readonly expect: { readonly vrrp: boolean; readonly sync: boolean };
  readonly daemon: Answer<{ pid: number; fallback: boolean; config: string }>;
  readonly firewall: Answer<{ applied: boolean; managed: boolean; error: string | null }>;
  readonly vrrp: Answer<{ running: boolean; instances: ReadonlyArray<{ name: string; state: string; fault: boolean }> }>;
  readonly sync: Answer<{ running: boolean; reason?: string; failover?: { startup: string } }>;
  /** Test hook (STOCKADE_TEST_HOOKS=1 only): the check of this name is made to fail. */
  readonly failCheck?: string;
}

export const CHECK_NAMES = ['boot', 'daemon', 'config', 'vrrp', 'sync'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface HealthCheck {
  readonly name: CheckName;
  readonly ok: boolean;
  readonly detail: string;
  /** A failure that waiting cannot mend: the trial ends at once. */
  readonly fatal?: boolean;
  /** A change of this while held restarts the hold (a respawned daemon, a VRRP transition). */
  readonly key?: string;
}

function bootCheck(exit: number | undefined): HealthCheck {
  if (exit === undefined) return { name: 'boot', ok: false, detail: 'stockade boot recorded no result' };
  if (exit !== 0) return { name: 'boot', ok: false, fatal: true, detail: `stockade boot failed (exit ${exit}: board file unusable or base firewall not loaded)` };
  return { name: 'boot', ok: true, detail: 'completed' };
}

function daemonCheck(o: HealthObservation): HealthCheck {
  if (!o.daemon.ok) return { name: 'daemon', ok: false, detail: o.daemon.error };
  return { name: 'daemon', ok: true, detail: `pid ${o.daemon.value.pid}`, key: String(o.daemon.value.pid) };
}

function configCheck(o: HealthObservation): HealthCheck {
  if (!o.daemon.ok) return { name: 'config', ok: false, detail: 'unknown: the daemon does not answer' };
  const d = o.daemon.value;
  if (o.savedConfig && d.fallback) return { name: 'config', ok: false, detail: `the saved config did not load: the daemon runs ${d.config}` };
  if (!o.firewall.ok) return { name: 'config', ok: false, detail: `firewall: ${o.firewall.error}` };
  const f = o.firewall.value;
  if (!f.applied) return { name: 'config', ok: false, detail: `firewall not applied${f.error ? `: ${f.error}` : f.managed ? '' : ' (the kernel does not hold stockade\'s rules)'}` };
  return { name: 'config', ok: true, detail: `${d.config}, firewall applied` };
}

function vrrpCheck(o: HealthObservation): HealthCheck {
  if (!o.expect.vrrp) return { name: 'vrrp', ok: true, detail: 'not configured' };
  if (!o.vrrp.ok) return { name: 'vrrp', ok: false, detail: o.vrrp.error };
  const v = o.vrrp.value;
  if (!v.running || v.instances.length === 0) return { name: 'vrrp', ok: false, detail: 'not running' };
  const states = v.instances.map((i) => `${i.name} ${i.fault ? 'FAULT' : i.state}`).join(', ');
  const settled = v.instances.every((i) => !i.fault && (i.state === 'MASTER' || i.state === 'BACKUP'));
  return { name: 'vrrp', ok: settled, detail: settled ? states : `not settled: ${states}`, key: states };
}

function syncCheck(o: HealthObservation): HealthCheck {
  if (!o.expect.sync) return { name: 'sync', ok: true, detail: 'not configured' };
  if (!o.sync.ok) return { name: 'sync', ok: false, detail: o.sync.error };
  const s = o.sync.value;
  if (!s.running) return { name: 'sync', ok: false, detail: `not running${s.reason ? `: ${s.reason}` : ''}` };
  const startup = s.failover?.startup;
  if (startup === 'held') return { name: 'sync', ok: false, detail: 'waiting for the peer\'s bulk sync' };
  if (startup === 'timeout') return { name: 'sync', ok: false, fatal: true, detail: 'no bulk sync from the peer within startup_sync_wait_s' };
  return { name: 'sync', ok: true, detail: startup === 'synced' ? 'peer re-synced' : 'running' };
}

export function healthChecks(o: HealthObservation): HealthCheck[] {
  const checks = [bootCheck(o.bootExit), daemonCheck(o), configCheck(o), vrrpCheck(o), syncCheck(o)];
  if (o.failCheck === undefined) return checks;
  return checks.map((c) => (c.name === o.failCheck ? { name: c.name, ok: false, detail: `${c.detail} (failed by the test hook)` } : c));
}
