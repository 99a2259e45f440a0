// The internal cache (this box's connections, as the kernel reported them) and the external
// cache (the peer's, as it synced them): entries by original tuple + zone, each with the time of
// its last update so the remaining timeout is known at commit; expiry; conntrackd-like counters.
// The entries themselves are compact records (compact-cache.ts): callers get copies.
import { RecordStore } from './compact-cache.ts';
import type { CachedEntry, EntryKeyFields } from './compact-cache.ts';
import type { SyncEntry } from './wire/codec.ts';

export type { CachedEntry } from './compact-cache.ts';

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
  readonly #store: RecordStore;
  readonly #defaultTimeout: number;
  readonly #fixedLifetime: number | undefined;

  constructor(name: string, opts: CacheOptions = {}) {
    this.name = name;
    this.#store = new RecordStore({ limit: opts.limit ?? 262144 });
    this.#defaultTimeout = opts.defaultTimeout ?? 180;
    this.#fixedLifetime = opts.fixedLifetime;
  }

  get size(): number {
    return this.#store.size;
  }

  get limit(): number {
    return this.#store.limit;
  }

  /** Inserts or replaces; returns what happened. */
  upsert(entry: SyncEntry, now: number): 'created' | 'updated' | 'full' {
    const r = this.#store.set(entry, now, now);
    this.stats[r]++;
    this.stats.active = this.#store.size;
    return r;
  }

  /** Stores a fresher copy of an entry already cached (a new timeout), counting nothing. */
  refresh(entry: SyncEntry, now: number): void {
    this.#store.set(entry, now, now);
  }

  remove(entry: EntryKeyFields): boolean {
    const ok = this.#store.delete(entry);
    if (ok) {
      this.stats.destroyed++;
      this.stats.active = this.#store.size;
    }
    return ok;
  }

  get(key: EntryKeyFields): CachedEntry | undefined {
    return this.#store.get(key);
  }

  has(key: EntryKeyFields): boolean {
    return this.#store.has(key);
  }

  /** Seconds left for a cached entry at `now` (its synced timeout minus its age). */
  remaining(c: CachedEntry, now: number): number {
    return (this.#fixedLifetime ?? c.entry.timeout ?? this.#defaultTimeout) - (now - c.updatedAt) / 1000;
  }

  /** Removes entries whose timeout has run out; returns how many. */
  expire(now: number): number {
    const n = this.#store.deleteWhere((c) => this.remaining(c, now) <= 0);
    this.stats.expired += n;
    this.stats.active = this.#store.size;
    return n;
  }

  flush(): void {
    this.#store.clear();
    this.stats.active = 0;
  }

  /** Copies of the entries. */
  entries(): IterableIterator<CachedEntry> {
    return this.#store.values();
  }
}
