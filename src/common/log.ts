// The log function every part is handed (the daemon makes it; see src/daemon/log.ts). Parts
// cannot import the daemon, so the shape lives here.
export type Level = 'info' | 'warn' | 'error';

/**
 * `limit`: a key for a line that traffic or a client can repeat at will (a rejected packet or
 * request, e.g. 'vrrp:drop:auth'): such lines go out at most a few times a second per key, the
 * rest are counted (`stockade ctl daemon`). Lines without a key are limited only by an overall
 * ceiling.
 */
export type Log = (level: Level, message: string, limit?: string) => void;

/** What the daemon's log held back (`stockade ctl daemon`). */
export interface LogStats {
  lines: number;
  /** Lines held back, by limit key ('all lines': the overall ceiling). */
  suppressed: Record<string, number>;
  perKeyPerSecond: number;
  totalPerSecond: number;
}
