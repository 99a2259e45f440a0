// The daemon's log: syslog-style lines on stdout ("<time> stockade[pid]: <level>: <message>");
// busybox init keeps stdout on the console or hands it to syslogd.
export type Level = 'info' | 'warn' | 'error';

export interface Log {
  (level: Level, message: string): void;
}

export function lineLog(write: (line: string) => void, pid = process.pid): Log {
  return (level, message) => write(`${new Date().toISOString()} stockade[${pid}]: ${level}: ${message}\n`);
}
