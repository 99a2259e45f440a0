// The daemon's firewall manager: applies the full ruleset at start, then checks every
// `checkEveryMs` whether the kernel still holds it. A difference (someone ran iptables) is
// drift: logged once when it appears and when it clears, shown by `ctl firewall`, and undone by
// the next `stockade firewall apply`, not silently (the admin may be debugging).
//
// It takes over only a firewall stockade already holds (STOCKADE-INPUT in the IPv4 filter table,
// loaded by `stockade boot` or an earlier apply): on the appliance boot always has; a daemon
// started on some other machine (or in a test namespace without boot) leaves that machine's
// firewall alone and says so.
import type { Config } from '../config/index.ts';
import { OWN_CHAIN_PREFIX, type Ruleset } from './model.ts';
import { compileRuleset } from './compile.ts';
import { applyRuleset, planAgainstKernel, readKernel, type FirewallKernel } from './apply.ts';
import { driftViews, formatDrift, tableViews, type DriftView, type TableView } from './view.ts';
import { hasWork } from './diff.ts';

type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface FirewallStatusView {
  readonly applied: boolean;
  /** False when the daemon found no stockade ruleset to take over (see above). */
  readonly managed: boolean;
  /** Why the start-up apply failed (the boot ruleset stays in force). */
  readonly error: string | null;
  readonly appliedAt: string | null;
  readonly checkedAt: string | null;
  readonly drift: readonly DriftView[];
}

export interface FirewallManager {
  status(): FirewallStatusView;
  /** The status with the kernel's counters per rule. */
  view(countersKernel: FirewallKernel): Promise<FirewallStatusView & { tables: TableView[] }>;
  /**
   * A config transaction: the full ruleset of `config` applied now (only tables that differ are
   * restored); resolves to what puts the previous ruleset back. Throws, naming the table and the
   * kernel's message, when the kernel refuses; nothing is then changed. Unmanaged: a no-op.
   */
  reapply(config: Config): Promise<() => Promise<void>>;
  stop(): void;
}

export async function startFirewallManager(config: Config, kernel: FirewallKernel, log: LogFn, checkEveryMs = 10_000): Promise<FirewallManager> {
  let ruleset: Ruleset | undefined;
  let error: string | null = null;
  let appliedAt: string | null = null;
  let checkedAt: string | null = null;
  let drift: DriftView[] = [];
  let managed = true;
  try {
    const held = (await readKernel(kernel, ['ipv4'])).get('ipv4')?.get('filter')?.has(`${OWN_CHAIN_PREFIX}INPUT`) ?? false;
    if (!held) {
      managed = false;
      log('info', 'firewall: not managed: the kernel holds no stockade ruleset (stockade boot loads one); stockade firewall apply takes it over');
      return {
        status: () => ({ applied: false, managed, error: null, appliedAt, checkedAt, drift }),
        view: async () => ({ applied: false, managed, error: null, appliedAt, checkedAt, drift, tables: [] }),
        reapply: async () => async () => undefined,
        stop: () => undefined,
      };
    }
    ruleset = compileRuleset(config, { scope: 'full' });
    const result = await applyRuleset(ruleset, kernel);
    const restored = result.tables.filter((t) => t.status === 'restored').map((t) => `${t.family} ${t.table}`);
    appliedAt = new Date().toISOString();
    log('info', `firewall: applied (${restored.length > 0 ? `restored ${restored.join(', ')}` : 'no change'})`);
  } catch (e) {
    error = (e as Error).message;
    log('error', `firewall: not applied: ${error}; the rules loaded before stay in force`);
  }
  let running = false;
  // The nf_tables generation the last comparison saw (unchanged across it): while the kernel
  // still reports it, nobody changed any rule, so the drift is what it was and iptables-save is
  // skipped.
  let comparedAt: { namespace: string; id: number } | undefined;
  const sameGeneration = (a: { namespace: string; id: number } | undefined, b: { namespace: string; id: number } | undefined): boolean =>
    a !== undefined && b !== undefined && a.namespace === b.namespace && a.id === b.id;
  const check = async (): Promise<void> => {
    if (!ruleset || error !== null || running) return;
    running = true;
    try {
      const gen = await kernel.generation?.();
      if (sameGeneration(gen, comparedAt)) {
        checkedAt = new Date().toISOString();
        return;
      }
      const now = driftViews((await planAgainstKernel(ruleset, kernel)).filter(hasWork));
      comparedAt = sameGeneration(gen, await kernel.generation?.()) ? gen : undefined;
      checkedAt = new Date().toISOString();
      const before = formatDrift(drift).join('\n');
      const after = formatDrift(now).join('\n');
      if (after !== before) {
        if (now.length > 0) log('warn', `firewall: drift: the kernel's rules differ from the config (stockade firewall apply restores them): ${formatDrift(now).slice(0, 5).join('; ')}`);
        else log('info', 'firewall: drift cleared: the kernel holds the config\'s rules again');
      }
      drift = now;
    } catch (e) {
      log('warn', `firewall: drift check failed: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void check(), checkEveryMs);
  timer.unref();
  const status = (): FirewallStatusView => ({ applied: error === null && ruleset !== undefined, managed, error, appliedAt, checkedAt, drift });
  return {
    status,
    async view(countersKernel) {
      await check();
      const tables = ruleset ? tableViews(ruleset, await readKernel(countersKernel, [...new Set(ruleset.tables.map((t) => t.family))])) : [];
      return { ...status(), tables };
    },
    async reapply(next) {
      const previous = ruleset;
      const wanted = compileRuleset(next, { scope: 'full' });
      let result;
      try {
        result = await applyRuleset(wanted, kernel);
      } catch (e) {
        // Tables restored before the refused one go back, so the kernel holds the old ruleset whole.
        if (previous !== undefined) await applyRuleset(previous, kernel);
        throw new Error(`firewall: ${(e as Error).message}`);
      }
      ruleset = wanted;
      error = null;
      appliedAt = new Date().toISOString();
      comparedAt = undefined;
      log('info', `firewall: applied by a config transaction (${result.tables.filter((t) => t.status === 'restored').map((t) => `${t.family} ${t.table}`).join(', ') || 'no change'})`);
      return async () => {
        if (previous === undefined) return;
        await applyRuleset(previous, kernel);
        ruleset = previous;
        comparedAt = undefined;
      };
    },
    stop: () => clearInterval(timer),
  };
}
