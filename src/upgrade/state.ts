// What the box remembers about its slots and its anti-rollback floor, on /data (kept across
// upgrades): /data/upgrade/state.json. Written atomically (temp file, fsync, rename, fsync dir).
// The floor is raised only when a slot is marked good, never at install (console-upgrade.md E.3).
import { readFileSync } from 'node:fs';
import { writeFileDurably } from '../kernel/index.ts';
import { join } from 'node:path';
import type { SlotName } from './slots.ts';

export const DEFAULT_STATE_DIR = '/data/upgrade';
const FILE = 'state.json';

export interface SlotRecord {
  readonly version: string;
  readonly build: string;
  readonly build_date: string;
  readonly security_epoch: number;
  readonly sha256: string;
  readonly size: number;
  readonly installed_at: string;
  /** When it was marked good (its trial passed, or `upgrade mark-good`). */
  readonly activated_at?: string;
  /** When its trial failed, and why. */
  readonly failed_at?: string;
  readonly failure?: string;
}

/** A trial that failed: written by the failing slot before it reboots, completed by the slot GRUB falls back to. */
export interface TrialFailure {
  readonly slot: SlotName;
  readonly version?: string;
  readonly reason: string;
  readonly at: string;
}

export interface UpgradeState {
  readonly epoch_floor: number;
  readonly slots: Partial<Record<SlotName, SlotRecord>>;
  readonly last_failure?: TrialFailure;
}

export const EMPTY_STATE: UpgradeState = { epoch_floor: 0, slots: {} };

/** The state, or the empty one when there is none yet; a damaged file is an error, not a reset. */
export function readState(dir: string): UpgradeState {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_STATE;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${join(dir, FILE)}: not JSON`);
  }
  const v = value as Partial<UpgradeState>;
  if (typeof v !== 'object' || v === null || !Number.isInteger(v.epoch_floor) || typeof v.slots !== 'object' || v.slots === null) {
    throw new Error(`${join(dir, FILE)}: not an upgrade state (epoch_floor, slots)`);
  }
  const f = v.last_failure;
  const failure = typeof f === 'object' && f !== null && (f.slot === 'A' || f.slot === 'B') && typeof f.reason === 'string' && typeof f.at === 'string' ? f : undefined;
  return { epoch_floor: v.epoch_floor!, slots: v.slots, ...(failure ? { last_failure: failure } : {}) };
}

export function writeState(dir: string, state: UpgradeState): void {
  writeFileDurably(join(dir, FILE), JSON.stringify(state, null, 2) + '\n');
}
