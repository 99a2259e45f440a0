// Carries out a plan on the kernel: every write is sent at once, in plan order, over the one
// socket (the kernel takes them in that order, batched into few datagrams), then the outcomes
// are read. If the kernel refused any, the writes that did succeed are undone from the dump the
// plan was made against, so a refused apply leaves the table as it was: nothing half-programmed.
// A write whose outcome is unknown (no reply in time, replies lost) may have been carried out:
// it is undone too, and its undo may find nothing to undo.
import type { LvsAction } from './plan.ts';
import { destKeyText, IpvsError, serviceKeyText } from '../kernel/ipvs/index.ts';
import type { IpvsKernel, IpvsTableService } from '../kernel/ipvs/index.ts';

export class LvsApplyError extends Error {
  readonly pointer: string | undefined;
  /** Whether undoing the writes that had succeeded worked (false: the table may be mixed). */
  readonly rolledBack: boolean;
  constructor(message: string, pointer: string | undefined, rolledBack: boolean) {
    super(message);
    this.name = 'LvsApplyError';
    this.pointer = pointer;
    this.rolledBack = rolledBack;
  }
}

export function runAction(k: IpvsKernel, a: LvsAction): Promise<void> {
  switch (a.op) {
    case 'add-service': return k.newService(a.service);
    case 'edit-service': return k.setService(a.service);
    case 'del-service': return k.delService(a.key);
    case 'add-dest': return k.newDest(a.key, a.dest);
    case 'edit-dest': return k.setDest(a.key, a.dest);
    case 'del-dest': return k.delDest(a.key, a.dest);
  }
}

/** What undoes `a`, given the table before it. */
export function inverse(a: LvsAction, before: readonly IpvsTableService[]): LvsAction[] {
  const svc = before.find((s) => serviceKeyText(s.key) === serviceKeyText(a.key));
  const why = 'undo';
  switch (a.op) {
    case 'add-service': return [{ op: 'del-service', key: a.key, why }];
    case 'edit-service': return svc ? [{ op: 'edit-service', key: a.key, service: svc, why }] : [];
    case 'del-service': return svc ? [{ op: 'add-service', key: a.key, service: svc, why }, ...svc.dests.map((d): LvsAction => ({ op: 'add-dest', key: a.key, dest: d, why }))] : [];
    case 'add-dest': return [{ op: 'del-dest', key: a.key, dest: a.dest, why }];
    case 'edit-dest':
    case 'del-dest': {
      const old = svc?.dests.find((d) => destKeyText(d) === destKeyText(a.dest));
      return old ? [{ op: a.op === 'edit-dest' ? 'edit-dest' : 'add-dest', key: a.key, dest: old, why }] : [];
    }
  }
}

/** What the undo of a write that did not happen meets: no such service or destination, or the
 * deleted one still there. */
const NOT_THERE = new Set(['ESRCH', 'ENOENT', 'EEXIST']);

async function settleAll(k: IpvsKernel, actions: readonly LvsAction[]): Promise<Array<Error | undefined>> {
  const results = await Promise.allSettled(actions.map((a) => runAction(k, a)));
  return results.map((r) => (r.status === 'rejected' ? (r.reason instanceof Error ? r.reason : new Error(String(r.reason))) : undefined));
}

/** Applies `actions`; on a refusal, undoes the rest and throws LvsApplyError naming the first. */
export async function applyLvsPlan(k: IpvsKernel, actions: readonly LvsAction[], before: readonly IpvsTableService[]): Promise<void> {
  if (actions.length === 0) return;
  const scheds = actions.flatMap((a) => (a.op === 'add-service' || a.op === 'edit-service' ? [a] : []));
  const missing = await k.missingSchedulers(scheds.map((a) => a.service.scheduler));
  if (missing.size > 0) {
    const a = scheds.find((x) => missing.has(x.service.scheduler))!;
    const name = a.service.scheduler;
    throw new LvsApplyError(`the kernel has no IPVS scheduler ${name} (${missing.get(name)}); nothing written`, a.pointer !== undefined ? `${a.pointer}/scheduler` : undefined, true);
  }
  const outcomes = await settleAll(k, actions);
  const failed = outcomes.findIndex((e) => e !== undefined);
  if (failed < 0) return;
  // Refused by the kernel (an IpvsError): not done. Anything else: perhaps done, so undone too.
  const maybe = (e: Error | undefined): boolean => e !== undefined && !(e instanceof IpvsError);
  const undo = actions.flatMap((a, i) => (outcomes[i] === undefined || maybe(outcomes[i]) ? [{ a, unsure: maybe(outcomes[i]) }] : [])).reverse()
    .flatMap(({ a, unsure }) => inverse(a, before).map((u) => ({ u, unsure })));
  const undoOutcomes = await settleAll(k, undo.map((x) => x.u));
  // The undo of a write that never happened finds nothing to delete or finds the original there.
  const undone = undoOutcomes.every((e, i) => e === undefined || (undo[i]!.unsure && e instanceof IpvsError && NOT_THERE.has(e.code)));
  const first = actions[failed]!;
  throw new LvsApplyError(`${outcomes[failed]!.message}${undone ? '; the changes before it were undone, the table is as it was' : '; undoing the changes before it failed too, run stockade lvs plan'}`, first.pointer, undone);
}
