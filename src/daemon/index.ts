// `stockade daemon`'s face; only src/cli imports it. What a client of the running daemon needs
// (the control protocol, its client, the views) is src/control's.
export { EXIT_CRASH, installCrashGuard } from './crash-guard.ts';
export { startDaemon } from './daemon.ts';
export type { DaemonHandle } from './daemon.ts';
export { lineLog } from './log.ts';
