// Seconds since boot, from /proc/uptime (its first field).
import { readFileSync } from 'node:fs';

export function uptimeSeconds(path = '/proc/uptime'): number | undefined {
  try {
    const s = Number(readFileSync(path, 'utf8').split(' ')[0]);
    return Number.isFinite(s) ? s : undefined;
  } catch {
    return undefined;
  }
}
