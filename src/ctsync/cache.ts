// The internal cache (this box's connections, as the kernel reported them) and the external
// cache (the peer's, as it synced them): entries by original tuple + zone, each with the time of
// its last update so the remaining timeout is known at commit; expiry; conntrackd-like counters.
import { entryKey } from './convert.ts';
import type { SyncEntry } from './wire/codec.ts';

export interface CacheStats {
  active: number;
  created: number;
  updated: number;
  destroyed: number;
  /** Removed because their timeout ran out without an update. */
  expired: number;
  /** Refused because the cache was full. */
  full: number;
}

export interface CachedEntry {
  entry: SyncEntry;
  createdAt: number;
  updatedAt: number;
}

export interface CacheOptions {
  /** Most entries (conntrackd's HashLimit). */
  limit?: number;
  /** Lifetime of entries without a timeout, in seconds. Default 180 (conntrackd's CacheTimeout). */
  defaultTimeout?: number;
  /** Seconds every entry lives after its last update, whatever its own timeout (ALARM mode). */
  fixedLifetime?: number;
}

export class EntryCache {
  readonly name: string;
  readonly stats: CacheStats = { active: 0, created: 0, updated: 0, destroyed: 0, expired: 0, full: 0 };
  readonly #map = new Map<string, CachedEntry>();
  readonly #limit: number;
  readonly #defaultTimeout: number;
  readonly #fixedLifetime: number | undefined;

  constructor(name: string, opts: CacheOptions = {}) {
    this.name = name;
    this.#limit = opts.limit ?? 262144;
    this.#defaultTimeout = opts.defaultTimeout ?? 180;
    this.#fixedLifetime = opts.fixedLifetime;
  }

  get size(): number {
    return this.#map.size;
  }

  /** Inserts or replaces; returns what happened. */
  upsert(entry: SyncEntry, now: number): 'created' | 'updated' | 'full' {
    const key = entryKey(entry);
    const old = this.#map.get(key);
    if (old !== undefined) {
      old.entry = entry;
      old.updatedAt = now;
      this.stats.updated++;
      return 'updated';
    }
    if (this.#map.size >= this.#limit) {
      this.stats.full++;
      return 'full';
    }
    this.#map.set(key, { entry, createdAt: now, updatedAt: now });
    this.stats.created++;
    this.stats.active = this.#map.size;
    return 'created';
  }

  remove(entry: SyncEntry): boolean {
    const ok = this.#map.delete(entryKey(entry));
    if (ok) {
      this.stats.destroyed++;
      this.stats.active = this.#map.size;
    }
    return ok;
  }

  get(key: string): CachedEntry | undefined {
    return this.#map.get(key);
  }

  /** Seconds left for a cached entry at `now` (its synced timeout minus its age). */
  remaining(c: CachedEntry, now: number): number {
    return (this.#fixedLifetime ?? c.entry.timeout ?? this.#defaultTimeout) - (now - c.updatedAt) / 1000;
  }

  /** Removes entries whose timeout has run out; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [k, c] of this.#map) {
      if (this.remaining(c, now) <= 0) {
        this.#map.delete(k);
        n++;
      }
    }
    this.stats.expired += n;
    this.stats.active = this.#map.size;
    return n;
  }

  flush(): void {
    this.#map.clear();
    this.stats.active = 0;
  }

  *entries(): IterableIterator<CachedEntry> {
    yield* this.#map.values();
  }
}
