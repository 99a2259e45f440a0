// `stockade daemon`'s face; only src/cli imports it. What a client of the running daemon needs
// (the control protocol, its client, the views) is src/control's.
export { DEFAULT_BOARD_CONFIG_FILE, DEFAULT_CONFIG_FILE } from './config.ts';
export { EXIT_CRASH, installCrashGuard } from './crash-guard.ts';
export { startDaemon } from './daemon.ts';
export type { DaemonHandle } from './daemon.ts';
export { lineLog } from './log.ts';
