// The daemon's control-socket client and the shapes of its answers, in one place: the client is
// moving from src/daemon/ to src/control/ (its face), and only these lines change when it lands.
export { controlRequest } from '../daemon/control-client.ts';
export { controlSocketPath } from '../daemon/control.ts';
export type { DaemonStatusView } from '../daemon/daemon-status.ts';
export type { VrrpStatusView } from '../daemon/vrrp-status.ts';
export type { SyncStatusView } from '../daemon/sync-view.ts';
export type { FirewallStatusView } from '../firewall/index.ts';
