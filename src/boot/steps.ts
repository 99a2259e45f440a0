// Boot steps 4 to 8: modules, port names, sysctls, hostname, base firewall. Each reports one
// line and carries on after a failure; only the firewall's failure makes the box unsafe.
import type { Board } from '../config/board.ts';
import type { Config } from '../config/generated/config.ts';
import { baseRuleset, describeBaseFirewall, lockdownTable, type BaseFirewallSpec, type RulesetTable } from '../firewall/base.ts';
import { listText, type StepReport } from './report.ts';
import type { BootSystem } from './system.ts';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The board's modules, then the config's (a name in both is loaded once, at its board place). */
export async function runModules(sys: BootSystem, board: Board | undefined, config: Config): Promise<StepReport> {
  const names = [...new Set([...(board?.modules ?? []), ...config.modules])];
  const noBoard = board ? '' : 'no usable board file: only the config\'s modules; ';
  if (names.length === 0) return { step: 'modules', status: board ? 'ok' : 'failed', detail: board ? 'none listed' : 'no usable board file: no modules loaded' };
  const loaded: string[] = [];
  const failed: string[] = [];
  let present = 0;
  // In order: a later module may need an earlier one's parameters in place.
  const outcomes = await sys.loadModules(names);
  for (const name of names) {
    const outcome = outcomes.get(name) ?? { status: 'failed', reason: 'no outcome reported' };
    if (outcome.status === 'loaded') loaded.push(name);
    else if (outcome.status === 'present') present++;
    else failed.push(`${name} (${outcome.reason})`);
  }
  const done = `${loaded.length} loaded, ${present} already present`;
  if (failed.length > 0) return { step: 'modules', status: 'failed', detail: `${noBoard}${failed.length} missing: ${listText(failed, 4)}; ${done}` };
  if (!board) return { step: 'modules', status: 'failed', detail: `${noBoard}${done}` };
  return { step: 'modules', status: loaded.length > 0 ? 'changed' : 'ok', detail: loaded.length > 0 ? `${done}: ${listText(loaded)}` : done };
}

export async function runPorts(sys: BootSystem, board: Board | undefined): Promise<StepReport> {
  if (!board) return { step: 'ports', status: 'failed', detail: 'no usable board file: ports keep their kernel names' };
  if (board.ports.length === 0) return { step: 'ports', status: 'ok', detail: 'the board lists none' };
  let result;
  try {
    result = await sys.namePorts(board.ports.map((p) => ({ label: p.label, ...(p.mac !== undefined ? { mac: p.mac } : {}), ...(p.path !== undefined ? { path: p.path } : {}) })));
  } catch (err) {
    return { step: 'ports', status: 'failed', detail: `cannot name the ports: ${message(err)}` };
  }
  const renamed = result.named.filter((n) => n.changed).map((n) => `${n.label} <- ${n.from}`);
  const kept = result.named.filter((n) => !n.changed).map((n) => n.label);
  const done = [...(renamed.length ? [`named ${renamed.join(', ')}`] : []), ...(kept.length ? [`${kept.join(', ')} already named`] : [])].join('; ');
  if (result.missing.length > 0) {
    const missing = result.missing.map((label) => {
      const port = board.ports.find((p) => p.label === label);
      return port ? `${label} (${port.mac !== undefined ? `MAC ${port.mac}` : `path ${port.path}`})` : label;
    });
    return { step: 'ports', status: 'failed', detail: `no NIC for ${missing.join(', ')}${done ? `; ${done}` : ''}` };
  }
  return { step: 'ports', status: renamed.length > 0 ? 'changed' : 'ok', detail: done };
}

export function runSysctls(sys: BootSystem, config: Config): StepReport {
  const entries = Object.entries(config.sysctls);
  if (entries.length === 0) return { step: 'sysctls', status: 'ok', detail: 'none in the config' };
  let set = 0;
  let unchanged = 0;
  const failed: string[] = [];
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    const outcome = sys.writeSysctl(name, value);
    if (outcome.status === 'set') set++;
    else if (outcome.status === 'unchanged') unchanged++;
    else failed.push(`${name} (${outcome.reason})`);
  }
  const done = `${set} set, ${unchanged} already right`;
  if (failed.length > 0) return { step: 'sysctls', status: 'failed', detail: `${failed.length} failed: ${listText(failed, 4)}; ${done}` };
  return { step: 'sysctls', status: set > 0 ? 'changed' : 'ok', detail: done };
}

export function runHostname(sys: BootSystem, config: Config): StepReport {
  const name = config.system.hostname;
  const outcome = sys.setHostname(name);
  if (outcome.status === 'failed') return { step: 'hostname', status: 'failed', detail: `${name}: ${outcome.reason}` };
  return { step: 'hostname', status: outcome.status === 'set' ? 'changed' : 'ok', detail: name };
}

export type FirewallState = 'base' | 'lockdown' | 'open' | 'skipped';

export interface FirewallResult {
  readonly report: StepReport;
  readonly state: FirewallState;
  /** One line for the summary. */
  readonly summary: string;
}

const FAMILY_NAME: Record<string, string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

/**
 * Loads the base ruleset, one table per family. A family whose base table fails gets the
 * lockdown table (loopback only) instead; one where even that fails is open, and says so.
 */
export async function runFirewall(sys: BootSystem, spec: BaseFirewallSpec): Promise<FirewallResult> {
  const failures: string[] = [];
  let tables: RulesetTable[];
  try {
    tables = baseRuleset(spec);
  } catch (err) {
    // A validated config cannot get here; should it, the box still ends closed.
    failures.push(`the management settings cannot be turned into rules (${message(err)})`);
    tables = [];
  }
  const families = tables.length > 0 ? tables : [lockdownTable('ipv4'), lockdownTable('ipv6')];
  const state = new Map<string, FirewallState>(families.map((t) => [t.family, tables.length > 0 ? 'base' : 'lockdown']));
  // The families are independent tables: load them side by side (each atomically).
  const outcomes = await Promise.all(families.map((t) => sys.restoreTable(t.family, t.table, t.text)));
  for (const [i, table] of families.entries()) {
    const outcome = outcomes[i]!;
    if (outcome.ok) continue;
    failures.push(`${table.family} ${table.table}: ${outcome.reason}`);
    const fallback = lockdownTable(table.family);
    if (table.text === fallback.text) {
      state.set(table.family, 'open');
      continue;
    }
    const second = await sys.restoreTable(fallback.family, fallback.table, fallback.text);
    if (second.ok) {
      state.set(table.family, 'lockdown');
    } else {
      failures.push(`${table.family} lockdown: ${second.reason}`);
      state.set(table.family, 'open');
    }
  }
  const what = describeBaseFirewall(spec);
  const states = [...state.values()];
  if (states.every((s) => s === 'base')) {
    return { report: { step: 'firewall', status: 'changed', detail: `fail-closed base rules loaded (IPv4, IPv6); open: ${what}` }, state: 'base', summary: `fail-closed; open: ${what}` };
  }
  const inState = (s: FirewallState): string => [...state].filter(([, v]) => v === s).map(([f]) => FAMILY_NAME[f] ?? f).join(' and ');
  const more: string[] = [];
  const summary: string[] = [];
  if (states.includes('open')) {
    more.push(`THE BOX IS NOT PROTECTED over ${inState('open')}: no fail-closed firewall is loaded`);
    summary.push(`NOT APPLIED over ${inState('open')}: not protected`);
  }
  if (states.includes('lockdown')) {
    more.push(`LOCKDOWN over ${inState('lockdown')}: everything but loopback is dropped; the box is reachable from its console only`);
    summary.push(`LOCKDOWN over ${inState('lockdown')} (base rules failed): console access only`);
  }
  if (states.includes('base')) summary.push(`fail-closed over ${inState('base')}`);
  return {
    report: { step: 'firewall', status: 'failed', detail: `base rules failed: ${failures.join('; ')}`, more, critical: true },
    state: states.includes('open') ? 'open' : 'lockdown',
    summary: summary.join('; '),
  };
}
