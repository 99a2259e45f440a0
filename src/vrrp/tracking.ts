// Tracking with keepalived's semantics (keepalived.conf(5) "track_*", vrrp_track.c), pure: link
// states, check-command results and other instances' states come in as inputs; out comes each
// instance's health: FAULT or not, and the effective priority.
//
//   weight 0       the tracked thing failing puts the instance in FAULT
//   weight > 0     +weight while it is OK
//   weight < 0     -|weight| while it has failed
//   reverse        swaps OK and failed for that tracker
//   effective priority = base + sum, clamped to 1..254; an owner (base 255) is never changed
//
// Check commands count results with rise/fall as keepalived does: from failed, `rise` successes in
// a row make it OK; from OK, `fall` failures in a row make it failed. Before the first result it is
// "init": a weight-0 tracker holds the instance in FAULT, a weighted one adds nothing; with
// initFail it starts failed and needs `rise` successes.
// Tracked instances are OK while not in FAULT.
import { PRIORITY_MAX_TRACKED, PRIORITY_MIN_TRACKED, PRIORITY_OWNER } from './constants.ts';

export type TrackKind = 'interface' | 'script' | 'instance';

export interface TrackSpec {
  kind: TrackKind;
  name: string;
  weight: number;
  reverse?: boolean;
}

export type TrackStatus = 'ok' | 'failed' | 'init';

export interface Health {
  fault: boolean;
  priority: number;
}

export interface ScriptSpec {
  name: string;
  rise: number;
  fall: number;
  initFail?: boolean;
}

/** Rise/fall counter of one check command. */
export class ScriptTracker {
  readonly spec: ScriptSpec;
  private statusValue: TrackStatus;
  /** Successes (when failed) or failures (when OK) in a row. */
  private run = 0;

  constructor(spec: ScriptSpec) {
    this.spec = spec;
    this.statusValue = spec.initFail ? 'failed' : 'init';
  }

  get status(): TrackStatus {
    return this.statusValue;
  }

  /** One result; returns true when the status changed. */
  result(success: boolean): boolean {
    const before = this.statusValue;
    if (this.statusValue === 'init') {
      // keepalived starts the counter at rise-1: the first success is enough, a failure fails.
      this.statusValue = success ? 'ok' : 'failed';
      this.run = 0;
    } else if (this.statusValue === 'ok') {
      this.run = success ? 0 : this.run + 1;
      if (this.run >= this.spec.fall) {
        this.statusValue = 'failed';
        this.run = 0;
      }
    } else {
      this.run = success ? this.run + 1 : 0;
      if (this.run >= this.spec.rise) {
        this.statusValue = 'ok';
        this.run = 0;
      }
    }
    return before !== this.statusValue;
  }
}

/** Health of an instance with base priority `base` given the status of each of its trackers. */
export function healthOf(base: number, tracks: readonly TrackSpec[], statusOf: (t: TrackSpec) => TrackStatus): Health {
  let fault = false;
  let sum = 0;
  for (const t of tracks) {
    let s = statusOf(t);
    if (t.reverse && s !== 'init') s = s === 'ok' ? 'failed' : 'ok';
    if (t.weight === 0) {
      if (s !== 'ok') fault = true;
    } else if (t.weight > 0) {
      if (s === 'ok') sum += t.weight;
    } else if (s === 'failed') {
      sum += t.weight;
    }
  }
  if (base === PRIORITY_OWNER) return { fault, priority: PRIORITY_OWNER };
  return { fault, priority: Math.min(PRIORITY_MAX_TRACKED, Math.max(PRIORITY_MIN_TRACKED, base + sum)) };
}
