// `stockade ctl daemon`: the daemon itself: pid, version, uptime, config, and what it refused or
// held back (control-socket rejects by reason, log lines over the rate limit by key).
import { statusCommand } from './ctl-status.ts';
import type { DaemonStatusView } from '../control/index.ts';

const counts = (c: Record<string, number>): string => Object.entries(c).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';

/** The human view of `daemon.status`. */
export function formatDaemonStatus(s: DaemonStatusView): string {
  const c = s.control;
  return [
    `daemon: pid ${s.pid}, stockade ${s.version}, up ${Math.round(s.uptimeMs / 1000)}s, config ${s.config}${s.fallback ? ' (board default: the config did not load)' : ''}`,
    ...(s.testHooks ? ['test hooks: ON (STOCKADE_TEST_HOOKS; not for production)'] : []),
    `control: ${c.path}, clients ${c.clients}/${c.maxClients}, ${c.group === null ? 'root only' : `root and group ${c.group}`}; accepted ${c.accepted}, requests ${c.requests}, failed ${c.failed}`,
    `control rejects: ${counts(c.rejected)}`,
    s.log ? `log: ${s.log.lines} lines; held back (over ${s.log.perKeyPerSecond}/s per kind, ${s.log.totalPerSecond}/s in all): ${counts(s.log.suppressed)}` : 'log: no counters',
  ].join('\n') + '\n';
}

export const ctlDaemon = statusCommand('daemon', 'daemon.status',
  'the daemon itself: pid, version, uptime, control-socket clients and rejects, log lines held back', formatDaemonStatus);
