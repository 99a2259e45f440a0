// The control socket's face: the protocol (protocol.ts), its client (client.ts) and the views the
// daemon answers with and `stockade ctl` prints: daemon-status.ts, vrrp-status.ts, sync-view.ts.
// The daemon serves it (src/daemon/control.ts); the CLI, the console and the config transaction
// use it.
export { CONTROL_REJECTS, CONTROL_SOCKET_ENV, DEFAULT_CONTROL_SOCKET, MAX_LINE, controlSocketPath, requestLine } from './protocol.ts';
export type { ControlAnswer, ControlReject, ControlRequest, ControlStats } from './protocol.ts';
export { controlRequest } from './client.ts';
export type { DaemonStatusView } from './daemon-status.ts';
export { vrrpStatusView } from './vrrp-status.ts';
export type { VrrpInstanceView, VrrpStatusView } from './vrrp-status.ts';
export { entryView, formatEntry, formatSyncStatus } from './sync-view.ts';
export type { FailoverStats, SyncCacheCounters, SyncCommitView, SyncEntryView, SyncFailoverView, SyncStatusView } from './sync-view.ts';
