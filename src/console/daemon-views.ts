// The daemon's control-socket client and the shapes of its answers, in one place (src/control).
export { controlRequest, controlSocketPath } from '../control/index.ts';
export type { DaemonStatusView, SyncStatusView, VrrpStatusView } from '../control/index.ts';
export type { FirewallStatusView } from '../firewall/index.ts';
