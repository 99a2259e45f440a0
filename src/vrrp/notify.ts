// Notify commands with keepalived-compatible arguments (keepalived.conf(5) notify_*): the
// state-specific command runs as configured; the generic one (`any`, keepalived's `notify`) gets
// four more arguments: INSTANCE or GROUP, the name, MASTER|BACKUP|FAULT|STOP, and the priority.
// Pure: says what to run for a transition; the shell runs it (never awaited by failover).
import type { VrrpState } from './instance.ts';

export interface NotifyCommands {
  master?: readonly string[];
  backup?: readonly string[];
  fault?: readonly string[];
  stop?: readonly string[];
  any?: readonly string[];
}

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';

/** keepalived's names: INIT after a shutdown is STOP. */
export function notifyState(to: VrrpState): NotifyState {
  return to === 'INIT' ? 'STOP' : to;
}

/** The argv lists to run, in order, for `name` (an instance or a sync group) entering `to`. */
export function notifyArgv(n: NotifyCommands, scope: 'INSTANCE' | 'GROUP', name: string, to: VrrpState, priority: number): string[][] {
  const state = notifyState(to);
  const specific = { MASTER: n.master, BACKUP: n.backup, FAULT: n.fault, STOP: n.stop }[state];
  const out: string[][] = [];
  if (specific) out.push([...specific]);
  if (n.any) out.push([...n.any, scope, name, state, String(priority)]);
  return out;
}
