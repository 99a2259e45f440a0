// `stockade daemon`'s face; only src/cli imports it.
export { DEFAULT_BOARD_CONFIG_FILE, DEFAULT_CONFIG_FILE } from './config.ts';
export { CONTROL_SOCKET_ENV, DEFAULT_CONTROL_SOCKET, controlRequest, controlSocketPath } from './control.ts';
export { EXIT_CRASH, installCrashGuard } from './crash-guard.ts';
export type { DaemonStatusView } from './daemon-status.ts';
export { startDaemon } from './daemon.ts';
export type { DaemonHandle } from './daemon.ts';
export { lineLog } from './log.ts';
export { formatEntry, formatSyncStatus } from './sync-view.ts';
export type { SyncCommitView, SyncEntryView, SyncStatusView } from './sync-view.ts';
export type { VrrpInstanceView, VrrpStatusView } from './vrrp-status.ts';
