// The daemon's log: syslog-style lines on stdout ("<time> stockade[pid]: <level>: <message>");
// busybox init keeps stdout on the console or hands it to syslogd. Rate-limited (a flood of bad
// packets or requests must not fill the disk): lines with a `limit` key at most
// PER_KEY_PER_SECOND a second per key, every line under an overall TOTAL_PER_SECOND; what is held
// back is counted by key and announced by the next line that gets out (in the same write: the
// line that a reader waits for is not held up by a second write before it).
import { RateLimiter, type Level, type Log, type LogStats } from '../common/index.ts';

export type { Level, Log, LogStats };

export const PER_KEY_PER_SECOND = 5;
export const TOTAL_PER_SECOND = 200;
const ALL = 'all lines';

export interface LineLog extends Log {
  stats(): LogStats;
}

export interface LineLogOptions {
  pid?: number;
  /** Milliseconds, for the limiter (default performance.now). */
  now?: () => number;
  perKeyPerSecond?: number;
  totalPerSecond?: number;
}

export function lineLog(write: (line: string) => void, opts: LineLogOptions = {}): LineLog {
  const pid = opts.pid ?? process.pid;
  const now = opts.now ?? (() => performance.now());
  const perKey = new RateLimiter(opts.perKeyPerSecond ?? PER_KEY_PER_SECOND);
  const total = new RateLimiter(opts.totalPerSecond ?? TOTAL_PER_SECOND);
  let lines = 0;
  const format = (level: Level, message: string): string => {
    lines++;
    return `${new Date().toISOString()} stockade[${pid}]: ${level}: ${message}\n`;
  };
  const log = ((level, message, limit) => {
    const t = now();
    let note = '';
    if (limit !== undefined) {
      const k = perKey.take(limit, t);
      if (!k.ok) return;
      if (k.suppressedBefore > 0) note = ` (${k.suppressedBefore} more like it held back)`;
    }
    const all = total.take(ALL, t);
    if (!all.ok) return;
    // The count of what was held back goes out with the line, in one write.
    const held = all.suppressedBefore > 0 ? format('warn', `log: ${all.suppressedBefore} lines held back (more than ${total.perSecond} a second)`) : '';
    write(held + format(level, message + note));
  }) as LineLog;
  log.stats = () => ({
    lines,
    suppressed: { ...perKey.suppressed, ...(total.suppressed[ALL] ? { [ALL]: total.suppressed[ALL] } : {}) },
    perKeyPerSecond: perKey.perSecond,
    totalPerSecond: total.perSecond,
  });
  return log;
}
