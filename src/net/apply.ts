// The network reconcile: plan (desired vs the kernel, printed by `stockade net plan`) and apply
// (`stockade net apply`, `stockade boot`). The apply runs phase by phase, each planned from the
// state the previous one left (so a VLAN created in "links" has its index when "addresses"
// needs it, and what the kernel removed by itself is not removed twice). Every change records
// its undo; when the kernel refuses one, the changes this apply made are undone, newest first,
// and the error names the object and the kernel's reason.
import { IFF_UP, type Link, type RtnlApi } from '../kernel/rtnetlink/index.ts';
import { Exec, PHASES } from './action.ts';
import type { Action, ActionInfo, KernelState, Phase, SysctlApi, Undo } from './action.ts';
import type { DesiredNetwork } from './desired.ts';
import { describeKernelError, kernelCode } from './errors.ts';
import { planAddresses, planRoutes, planRules, readPlanRoutes } from './plan-l3.ts';
import { planLinks } from './plan-links.ts';
import { planLinkSettings, predictedLink } from './plan-link-settings.ts';
import type { LinkPlan } from './plan-links.ts';
import { planSysctls } from './plan-sysctls.ts';

export interface NetDeps {
  kernel: RtnlApi;
  sysctl: SysctlApi;
}

export interface NetPlan {
  actions: Action[];
  warnings: string[];
  /** Reasons the plan cannot be applied; nothing is touched when there are any. */
  conflicts: string[];
  /** Interfaces left to the DHCP client. */
  dhcp: string[];
}

export interface ApplyResult {
  /** What was done, in order. */
  done: ActionInfo[];
  warnings: string[];
  dhcp: string[];
  /** DHCP clients started or stopped, leases removed (src/net/dhcp-clients.ts), one line each. */
  dhcpClients?: string[];
  /** resolv.conf written from system.nameservers, or removed (src/net/resolver.ts), one line. */
  resolver?: string;
  /** rtnetlink requests that changed something. */
  writes: number;
  /** How long the apply took, from its first dump to its last ack (ms, this process's clock). */
  ms: number;
}

/** The plan cannot be applied (a same-named interface Stockade does not own, ...). */
export class NetConflictError extends Error {
  readonly conflicts: string[];
  constructor(conflicts: string[]) {
    super(conflicts.length === 1 ? conflicts[0]! : `${conflicts.length} conflicts: ${conflicts.join('; ')}`);
    this.name = 'NetConflictError';
    this.conflicts = conflicts;
  }
}

/** The kernel refused a change; what this apply had changed was undone. */
export class NetApplyError extends Error {
  readonly failed: ActionInfo;
  readonly reason: string;
  /** Changes made and then undone, in the order they were made. */
  readonly undone: ActionInfo[];
  /** Undo steps that failed too (then the kernel is not as it was). */
  readonly rollbackProblems: string[];
  constructor(failed: ActionInfo, reason: string, undone: ActionInfo[], rollbackProblems: string[]) {
    const what = `${failed.verb} ${failed.object}${failed.detail ? ` (${failed.detail})` : ''}`;
    const after = rollbackProblems.length === 0
      ? (undone.length > 0 ? `; the ${undone.length} other change${undone.length === 1 ? '' : 's'} this apply made ${undone.length === 1 ? 'was' : 'were'} undone` : '; nothing had been changed')
      : `; undoing the earlier changes failed too: ${rollbackProblems.join('; ')}`;
    super(`${what}: the kernel refused: ${reason}${after}`);
    this.name = 'NetApplyError';
    this.failed = failed;
    this.reason = reason;
    this.undone = undone;
    this.rollbackProblems = rollbackProblems;
  }
}

const KIND_MODULES: Record<string, string> = { bond: 'bonding', vlan: '8021q', bridge: 'bridge', macvlan: 'macvlan' };

function reasonFor(a: ActionInfo, e: unknown): string {
  const text = describeKernelError(e);
  const kind = a.object.split(' ')[0]!;
  if (a.verb === 'create' && ['EOPNOTSUPP', 'ENOTSUP'].includes(kernelCode(e) ?? '') && KIND_MODULES[kind] !== undefined) {
    return `${text}; is the ${KIND_MODULES[kind]} module loaded? (list it under modules in the board or the config)`;
  }
  return text;
}

/** The links as they will be after phase "links" (for a plan, which changes nothing). */
function predictLinks(d: DesiredNetwork, links: readonly Link[], lp: LinkPlan): Link[] {
  const out = links.filter((l) => !lp.gone.has(l.name));
  for (const dl of d.links) if (lp.fresh.has(dl.name)) out.push(predictedLink(dl, lp.createdUp.has(dl.name)));
  const at = new Map(out.map((l, i) => [l.name, i]));
  const desired = new Map(d.links.map((l) => [l.name, l]));
  for (const dl of d.links) {
    const i = at.get(dl.name);
    const l = i !== undefined ? out[i]! : undefined;
    // A bond opens its members itself (a copy: the kernel's snapshot stays as it was read).
    if (dl.master !== undefined && desired.get(dl.master)?.kind === 'bond' && l !== undefined && (l.flags & IFF_UP) === 0) out[i!] = { ...l, flags: l.flags | IFF_UP };
  }
  return out;
}

/** The plan from one snapshot of the kernel (what `planNetwork` prints). */
function planFromState(d: DesiredNetwork, state: KernelState, lp: LinkPlan, sysctl: SysctlApi): NetPlan {
  const after = predictLinks(d, state.links, lp);
  const ctx = { links: state.links, missing: lp.missing, vanishing: lp.gone, sysctl };
  const sys = planSysctls(d, sysctl, lp.fresh, lp.missing);
  const actions = [
    ...lp.actions,
    ...planLinkSettings(d, after, lp.missing, lp.fresh),
    ...planAddresses(d, ctx, state.addresses),
    ...planRoutes(d, ctx, state.routes),
    ...planRules(d, state.rules),
    ...sys.actions,
  ];
  return { actions, warnings: [...lp.warnings, ...sys.warnings], conflicts: lp.conflicts, dhcp: d.dhcp };
}

/** One snapshot of what the plan compares: links, IPv4 addresses, the routes that matter, rules. */
async function readKernelState(k: RtnlApi, d: DesiredNetwork, links?: Link[]): Promise<KernelState> {
  return {
    links: links ?? await k.links(),
    addresses: await k.addresses(),
    routes: await readPlanRoutes(k, d),
    rules: await k.rules(),
  };
}

/** Everything that would change, and why, without changing anything. */
export async function planNetwork(d: DesiredNetwork, deps: NetDeps): Promise<NetPlan> {
  const state = await readKernelState(deps.kernel, d);
  return planFromState(d, state, planLinks(d, state.links), deps.sysctl);
}

export interface ApplyOptions {
  /** Called after each change is made. */
  onAction?: (a: ActionInfo) => void;
  /** Where the time goes: called at each step (a read, a plan, a run of changes) with the ms since the start. */
  trace?: (step: string, ms: number) => void;
}

/**
 * Makes the kernel match the config; undoes its own changes if the kernel refuses one.
 *
 * Each phase is planned from the kernel as the phases before it left it, read again only where
 * they changed something: the links after "links" (new ones have their index then; names and
 * indexes do not change after it), addresses and routes (and rules) when any change was made
 * since the first snapshot. A run that finds nothing to change reads each table once.
 */
export async function applyNetwork(d: DesiredNetwork, deps: NetDeps, opts: ApplyOptions = {}): Promise<ApplyResult> {
  const started = performance.now();
  const trace = opts.trace === undefined ? undefined : (step: string) => opts.trace!(step, performance.now() - started);
  const writesBefore = deps.kernel.writes;
  const firstLinks = await deps.kernel.links();
  trace?.(`read ${firstLinks.length} links`);
  const lp = planLinks(d, firstLinks);
  trace?.('planned links');
  if (lp.conflicts.length > 0) throw new NetConflictError(lp.conflicts);
  // The common case (every boot after the first, a re-apply): the kernel already matches. Then
  // the plan from this one snapshot is empty, and the phases need not read the kernel again.
  let first: KernelState | undefined;
  if (lp.actions.length === 0) {
    first = await readKernelState(deps.kernel, d, firstLinks);
    trace?.(`read ${first.addresses.length} addresses, ${first.routes.length} routes, ${first.rules.length} rules`);
    const plan = planFromState(d, first, lp, deps.sysctl);
    trace?.('planned the rest');
    if (plan.actions.length === 0) {
      return { done: [], warnings: plan.warnings, dhcp: d.dhcp, writes: deps.kernel.writes - writesBefore, ms: performance.now() - started };
    }
  }
  const warnings = [...lp.warnings];

  const x = new Exec(deps.kernel, deps.sysctl);
  const made: Array<{ action: ActionInfo; undo: Undo }> = [];
  const done: ActionInfo[] = [];

  // The links as the phases after "links" see them (link-settings changes no name or index).
  let links = firstLinks;
  /** The first snapshot's table while nothing has been changed since, else a new read. */
  const current = <T>(snapshot: T | undefined, read: () => Promise<T>): Promise<T> | T =>
    (snapshot !== undefined && made.length === 0 ? snapshot : read());
  const phaseActions = async (phase: Phase): Promise<Action[]> => {
    switch (phase) {
      case 'links': x.prime(firstLinks); return lp.actions;
      case 'link-settings':
        if (made.length > 0) links = await deps.kernel.links();
        x.prime(links);
        return planLinkSettings(d, links, lp.missing, lp.fresh);
      case 'addresses':
        x.prime(links);
        return planAddresses(d, { links, missing: lp.missing, vanishing: new Set(), sysctl: deps.sysctl }, await current(first?.addresses, () => deps.kernel.addresses()));
      case 'routes':
        x.prime(links);
        return planRoutes(d, { links, missing: lp.missing, vanishing: new Set() }, await current(first?.routes, () => readPlanRoutes(deps.kernel, d)));
      case 'rules': return planRules(d, await current(first?.rules, () => deps.kernel.rules()));
      case 'sysctls': {
        const sys = planSysctls(d, deps.sysctl, new Set(), lp.missing);
        warnings.push(...sys.warnings);
        return sys.actions;
      }
    }
  };

  for (const phase of PHASES) {
    let actions: Action[];
    try {
      actions = await phaseActions(phase);
      trace?.(`${phase}: read and planned, ${actions.length} changes`);
    } catch (e) {
      const problems = await rollback(x, made);
      const info: ActionInfo = { phase, verb: 'change', object: `the ${phase} phase`, why: 'reading the kernel state' };
      throw new NetApplyError(info, describeKernelError(e), made.map((m) => m.action), problems);
    }
    for (let i = 0; i < actions.length;) {
      // A run of actions of one group goes out together; alone otherwise.
      const group = actions[i]!.group;
      let j = i + 1;
      if (group !== undefined) while (j < actions.length && actions[j]!.group === group) j++;
      const run = actions.slice(i, j);
      const results = await runTogether(deps.kernel, run, x);
      trace?.(`${phase}: made ${run.length} (${run[0]!.verb} ${run[0]!.object}${run.length > 1 ? ', ...' : ''})`);
      let failed: { action: Action; error: unknown } | undefined;
      results.forEach((r, k) => {
        const a = run[k]!;
        if (r.status === 'rejected') {
          failed ??= { action: a, error: r.reason };
          return;
        }
        const ai = info(a);
        made.push({ action: ai, undo: r.value });
        done.push(ai);
        opts.onAction?.(ai);
      });
      if (failed !== undefined) {
        const problems = await rollback(x, made);
        throw new NetApplyError(info(failed.action), reasonFor(failed.action, failed.error), made.map((m) => m.action), problems);
      }
      i = j;
    }
  }
  return { done, warnings, dhcp: d.dhcp, writes: deps.kernel.writes - writesBefore, ms: performance.now() - started };
}

/**
 * Runs independent actions side by side. With a batching kernel their requests go out in as few
 * datagrams as fit (each request keeps its own seq, so each action still gets its own
 * result): those the actions make at once in one, then those they make after a reply (a
 * lookup first, its change after) in the next, wave by wave.
 */
async function runTogether(kernel: NetDeps['kernel'], run: readonly Action[], x: Exec): Promise<Array<PromiseSettledResult<Undo>>> {
  if (run.length === 1 || kernel.cork === undefined || kernel.uncork === undefined) return Promise.allSettled(run.map((a) => a.run(x)));
  kernel.cork();
  try {
    return await Promise.allSettled(run.map((a) => a.run(x)));
  } finally {
    kernel.uncork();
  }
}

function info(a: Action): ActionInfo {
  return { phase: a.phase, verb: a.verb, object: a.object, why: a.why, ...(a.detail !== undefined ? { detail: a.detail } : {}) };
}

/** Undoes the changes, newest first; returns what could not be undone. */
async function rollback(x: Exec, made: ReadonlyArray<{ action: ActionInfo; undo: Undo }>): Promise<string[]> {
  const problems: string[] = [];
  for (const m of [...made].reverse()) {
    x.invalidate();
    try {
      await m.undo(x);
    } catch (e) {
      problems.push(`undo ${m.action.verb} ${m.action.object}: ${describeKernelError(e)}`);
    }
  }
  x.invalidate();
  return problems;
}
