// VRRP timer formulas, in milliseconds.
//   version 2 (RFC 3768): Skew = (256 - Priority) / 256 s, independent of the interval.
//   version 3 (RFC 5798): Skew = ((256 - Priority) x Master_Adver_Interval) / 256.
//   both: Master_Down_Interval = 3 x Master_Adver_Interval + Skew.
// keepalived (vrrp.h VRRP_TIMER_SKEW, VRRP_MS_DOWN_TIMER) computes the same.
import { DOWN_TIMER_ADVERTS } from './constants.ts';
import type { VrrpVersion } from './codec.ts';

export function skewMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  return version === 2 ? ((256 - priority) * 1000) / 256 : ((256 - priority) * masterAdverIntervalMs) / 256;
}

export function masterDownMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  return DOWN_TIMER_ADVERTS * masterAdverIntervalMs + skewMs(version, priority, masterAdverIntervalMs);
}

