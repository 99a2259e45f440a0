// The daemon's own part of the control socket's answers (`daemon.status`, `stockade ctl daemon`):
// who it is, and what it refused or held back (control-socket rejects by reason, log lines
// suppressed by the rate limit). VRRP and sync report their own drops in `vrrp.status` / `sync.status`.
import type { LogStats } from '../common/index.ts';
import type { ControlStats } from './protocol.ts';

export interface DaemonStatusView {
  pid: number;
  version: string;
  uptimeMs: number;
  config: string;
  /** The board default runs because the config did not load. */
  fallback: boolean;
  /** STOCKADE_TEST_HOOKS was set at start (never in production: see daemon-command.ts). */
  testHooks: boolean;
  control: ControlStats;
  log: LogStats | null;
}
