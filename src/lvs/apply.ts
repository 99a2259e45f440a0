// Carries out a plan on the kernel: the writes go out in plan order over the one socket, as
// many per datagram as fit (IpvsKernel.writeAll), and a datagram with a refusal ends the sending
// (the rest would only be undone). If the kernel refused any, the writes that did succeed are undone from the dump the
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
  // Stops at the first failure: the writes after it would only be undone.
  const outcomes = await k.writeAll(actions, { stopAtFailure: true });
  const failed = outcomes.findIndex((e) => e !== undefined);
  if (failed < 0) return;
  // Refused by the kernel (an IpvsError): not done. Anything else: perhaps done, so undone too.
  const maybe = (e: Error | undefined): boolean => e !== undefined && !(e instanceof IpvsError);
  const undo = actions.flatMap((a, i) => (outcomes[i] === undefined || maybe(outcomes[i]) ? [{ a, unsure: maybe(outcomes[i]) }] : [])).reverse()
    .flatMap(({ a, unsure }) => inverse(a, before).map((u) => ({ u, unsure })));
  const undoOutcomes = await k.writeAll(undo.map((x) => x.u), { stopAtFailure: false });
  // The undo of a write that never happened finds nothing to delete or finds the original there.
  const undone = undoOutcomes.every((e, i) => e === undefined || (undo[i]!.unsure && e instanceof IpvsError && NOT_THERE.has(e.code)));
  const first = actions[failed]!;
  throw new LvsApplyError(`${outcomes[failed]!.message}${undone ? '; the changes before it were undone, the table is as it was' : '; undoing the changes before it failed too, run stockade lvs plan'}`, first.pointer, undone);
}
