// Boot steps 4 to 9: modules, port names, network (with its sysctls), hostname, base firewall. Each reports one
// line and carries on after a failure; only the firewall's failure makes the box unsafe.
import type { Board, Config } from '../config/index.ts';
import { baseRuleset, describeBaseFirewall, lockdownTable, type RulesetTable } from '../firewall/index.ts';
import { listText, type StepReport } from './report.ts';
import type { BootSystem } from './system.ts';
import { HOST_KEY_FILE, VOLATILE_HOST_KEY_FILE, sshPlan } from '../ssh/index.ts';
import { portSpecs } from '../net/index.ts';

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

export async function runPorts(sys: BootSystem, board: Board | undefined, config: Config): Promise<StepReport> {
  if (!board) return { step: 'ports', status: 'failed', detail: 'no usable board file: ports keep their kernel names' };
  const specs = portSpecs(board.ports, config.interfaces.ports);
  if (specs.length === 0) return { step: 'ports', status: 'ok', detail: 'the board lists none' };
  let result;
  try {
    result = await sys.namePorts(specs);
  } catch (err) {
    return { step: 'ports', status: 'failed', detail: `cannot name the ports: ${message(err)}` };
  }
  const renamed = result.named.filter((n) => n.changed).map((n) => `${n.label} <- ${n.from}`);
  const kept = result.named.filter((n) => !n.changed).map((n) => n.label);
  const done = [...(renamed.length ? [`named ${renamed.join(', ')}`] : []), ...(kept.length ? [`${kept.join(', ')} already named`] : [])].join('; ');
  if (result.missing.length > 0) {
    const missing = result.missing.map((label) => {
      const port = specs.find((p) => p.label === label);
      if (port === undefined) return label;
      const by = port.mac !== undefined ? `MAC ${port.mac}${port.assigned ? ', config' : ''}` : `path ${port.path}`;
      return `${label} (${by})`;
    });
    return { step: 'ports', status: 'failed', detail: `no NIC for ${missing.join(', ')}${done ? `; ${done}` : ''}` };
  }
  return { step: 'ports', status: renamed.length > 0 ? 'changed' : 'ok', detail: done };
}

export interface NetworkResult {
  readonly report: StepReport;
  /** The sysctls step's line: its part of the same apply. */
  readonly sysctls: StepReport;
}

const MAX_WARNINGS = 3;

/**
 * The config's network, by the reconcile `stockade net apply` uses (it also sets the sysctls:
 * per-interface ones can only be set once the links exist). A refusal is rolled back by the
 * apply itself, so boot goes on to the firewall with the network as it found it.
 */
export async function runNetwork(sys: BootSystem, config: Config): Promise<NetworkResult> {
  const wanted = Object.keys(config.sysctls).length;
  const none: StepReport = { step: 'sysctls', status: 'ok', detail: 'none in the config' };
  let result;
  try {
    result = await sys.applyNetwork(config);
  } catch (err) {
    const conflict = err instanceof Error && err.name === 'NetConflictError';
    const detail = conflict ? `${message(err)}; nothing was changed` : message(err);
    return {
      report: { step: 'network', status: 'failed', detail },
      sysctls: wanted === 0 ? none : { step: 'sysctls', status: 'failed', detail: 'not set: the network apply failed (see the network line)' },
    };
  }
  const isSysctl = (w: string): boolean => w.startsWith('sysctl ');
  const changes = result.done.filter((a) => a.phase !== 'sysctls').map((a) => `${a.verb} ${a.object}`);
  const warnings = result.warnings.filter((w) => !isSysctl(w));
  const dhcp = result.dhcp.length > 0 ? `; DHCP on ${result.dhcp.join(', ')}` : '';
  const more = warnings.length > MAX_WARNINGS ? [...warnings.slice(0, MAX_WARNINGS), `and ${warnings.length - MAX_WARNINGS} more warnings`] : warnings;
  const report: StepReport = changes.length === 0
    ? { step: 'network', status: 'ok', detail: `no change${dhcp}`, ...(more.length ? { more } : {}) }
    : { step: 'network', status: 'changed', detail: `${changes.length} change${changes.length === 1 ? '' : 's'}: ${listText(changes, 4)}${dhcp}`, ...(more.length ? { more } : {}) };

  if (wanted === 0) return { report, sysctls: none };
  const set = result.done.filter((a) => a.phase === 'sysctls').length;
  // "sysctl NAME: why (hint); skipped" -> "NAME (why)": one line on a serial console.
  const skipped = result.warnings.filter(isSysctl).map((w) => {
    const m = /^sysctl (\S+): (.*?)(?: \(.*\))?(?:; skipped)?$/.exec(w);
    return m ? `${m[1]} (${m[2]})` : w.replace(/^sysctl /, '');
  });
  const done = `${set} set, ${wanted - set - skipped.length} already right`;
  const sysctls: StepReport = skipped.length > 0
    ? { step: 'sysctls', status: 'failed', detail: `${skipped.length} failed: ${listText(skipped, 4)}; ${done}` }
    : { step: 'sysctls', status: set > 0 ? 'changed' : 'ok', detail: done };
  return { report, sysctls };
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
export async function runFirewall(sys: BootSystem, config: Config): Promise<FirewallResult> {
  const failures: string[] = [];
  let tables: RulesetTable[];
  try {
    tables = baseRuleset(config);
  } catch (err) {
    // A validated config cannot get here; should it, the box still ends closed.
    failures.push(`the config cannot be turned into rules (${message(err)})`);
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
  const what = describeBaseFirewall(config);
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

/**
 * SSH: the host key on /data (made at the first boot, kept across upgrades), the authorized keys
 * and dropbear's arguments for init. Without the data partition the key lives in /run and changes
 * at every boot, which clients will notice: a failure, said so.
 */
export async function runSsh(sys: BootSystem, config: Config, dataMounted: boolean): Promise<StepReport> {
  const plan = sshPlan(config, dataMounted ? HOST_KEY_FILE : VOLATILE_HOST_KEY_FILE);
  let prepared;
  try {
    prepared = await sys.prepareSsh(plan);
  } catch (err) {
    return { step: 'ssh', status: 'failed', detail: `not started: ${message(err)}` };
  }
  if (!plan.enabled || !prepared) return { step: 'ssh', status: 'ok', detail: `off: ${plan.why}` };
  const keys = config.management.ssh_authorized_keys.length;
  // Lines fit an 80-column console: the why and the host key go on lines of their own.
  const on = plan.listenNote === undefined ? plan.listen.join(', ') : `port ${plan.port}, every address`;
  const detail = `dropbear on ${on}; ${keys} key${keys === 1 ? '' : 's'}, no passwords`;
  const more = [
    ...(plan.listenNote === undefined ? [] : [`${plan.listenNote}; the firewall lets SSH in on ${config.management.interfaces.join(', ')} only`]),
    `host key ${prepared.hostKey}: ${plan.hostKeyFile}`,
    ...(prepared.fingerprint ? [`host key ${prepared.fingerprint}`] : []),
  ];
  if (!dataMounted) return { step: 'ssh', status: 'failed', detail, more: [...more, 'no data partition: a new host key at every boot'] };
  return { step: 'ssh', status: prepared.hostKey === 'made' ? 'changed' : 'ok', detail, more };
}
