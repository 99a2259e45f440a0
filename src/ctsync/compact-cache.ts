// The sync caches' storage: each entry as a fixed-size record in typed arrays, found through an
// open-addressing hash index over its key words. Hand-written rather than a Map of objects
// because a cache holds up to HashLimit (262,144) entries and a JS object per entry costs
// about 350 bytes of V8 heap plus GC headroom (a 100,000-entry cache made the daemon 2.9 times
// conntrackd's RSS); a record here is 64 bytes and the index 8 to 16 more, and the GC never walks
// them. Entries the record cannot hold losslessly (not IPv4, out-of-range fields) and the rare
// attributes (NAT sequence adjustment, helper, labels, synproxy, expectation master) live in
// ordinary maps beside the records.
import { parseIpv4, formatIpv4 } from '../common/index.ts';
import { entryKey } from './convert.ts';
import type { SyncEntry } from './wire/codec.ts';
import { IPPROTO_ICMP, PORT_PROTOCOLS } from './wire/constants.ts';

/** The fields that identify an entry (conntrackd's hash key: original tuple and zone). */
export type EntryKeyFields = Pick<SyncEntry, 'src' | 'dst' | 'proto' | 'sport' | 'dport' | 'icmpId' | 'icmpType' | 'icmpCode' | 'zone'>;

/** A cached entry as callers see it: a copy, changing it does not change the cache. */
export interface CachedEntry {
  entry: SyncEntry;
  createdAt: number;
  updatedAt: number;
}

// Record layout, in 32-bit words.
const W_SRC = 0;
const W_DST = 1;
const W_PROTO_ZONE = 2; // proto | zone << 8
const W_L4 = 3; // sport << 16 | dport, or icmpType << 24 | icmpCode << 16 | icmpId
const W_STATUS = 4;
const W_TCP = 5; // tcpState | wscaleOrig << 8 | wscaleReply << 16
const W_TIMEOUT = 6;
const W_MARK = 7;
const W_SNAT = 8;
const W_DNAT = 9;
const W_PAT = 10; // spat << 16 | dpat
const W_HAS = 11; // which optional fields are present (H_*)
const WORDS = 12;

const H_SPORT = 1 << 0;
const H_DPORT = 1 << 1;
const H_ICMP_TYPE = 1 << 2;
const H_ICMP_CODE = 1 << 3;
const H_ICMP_ID = 1 << 4;
const H_TCP_STATE = 1 << 5;
const H_WSCALE_ORIG = 1 << 6;
const H_WSCALE_REPLY = 1 << 7;
const H_TIMEOUT = 1 << 8;
const H_MARK = 1 << 9;
const H_ZONE = 1 << 10;
const H_SNAT = 1 << 11;
const H_DNAT = 1 << 12;
const H_SPAT = 1 << 13;
const H_DPAT = 1 << 14;
const H_EXTRAS = 1 << 15;
const H_USED = 1 << 16;

type Extras = Pick<SyncEntry, 'natSeqAdj' | 'helper' | 'labels' | 'synproxy' | 'master'>;

const EMPTY = 0;
const TOMBSTONE = -1;
const INITIAL_SLOTS = 1024;

function u8(v: number | undefined): boolean {
  return v === undefined || (Number.isInteger(v) && v >= 0 && v <= 0xff);
}
function u16(v: number | undefined): boolean {
  return v === undefined || (Number.isInteger(v) && v >= 0 && v <= 0xffff);
}
function u32(v: number | undefined): boolean {
  return v === undefined || (Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
}
function ipOk(a: string | undefined): boolean {
  return a === undefined || parseIpv4(a) !== undefined;
}

/** Whether the record can hold the entry exactly (else it is kept as an object). */
function fitsRecord(e: SyncEntry): boolean {
  const ports = PORT_PROTOCOLS.has(e.proto);
  const icmp = e.proto === IPPROTO_ICMP;
  if (!ports && (e.sport !== undefined || e.dport !== undefined)) return false;
  if (!icmp && (e.icmpType !== undefined || e.icmpCode !== undefined || e.icmpId !== undefined)) return false;
  return parseIpv4(e.src) !== undefined && parseIpv4(e.dst) !== undefined && ipOk(e.snat) && ipOk(e.dnat)
    && u8(e.proto) && u16(e.zone) && u16(e.sport) && u16(e.dport) && u8(e.icmpType) && u8(e.icmpCode)
    && u16(e.icmpId) && u32(e.status) && u8(e.tcpState) && u8(e.wscaleOrig) && u8(e.wscaleReply)
    && u32(e.timeout) && u32(e.mark) && u16(e.spat) && u16(e.dpat);
}

function l4Word(s: EntryKeyFields): number {
  if (PORT_PROTOCOLS.has(s.proto)) return (((s.sport ?? 0) << 16) | (s.dport ?? 0)) >>> 0;
  if (s.proto === IPPROTO_ICMP) return (((s.icmpType ?? 0) << 24) | ((s.icmpCode ?? 0) << 16) | (s.icmpId ?? 0)) >>> 0;
  return 0;
}

function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

export interface RecordStoreOptions {
  /** Most entries (conntrackd's HashLimit). */
  limit: number;
}

/** Entries by key, as records; no statistics or expiry (EntryCache adds those). */
export class RecordStore {
  readonly #limit: number;
  #rec = new Uint32Array(INITIAL_SLOTS * WORDS);
  #times = new Float64Array(INITIAL_SLOTS * 2);
  /** slot + 1, EMPTY or TOMBSTONE; a power of two, at least twice the slots. */
  #index = new Int32Array(INITIAL_SLOTS * 2);
  #tombstones = 0;
  /** Slots never used yet start here; freed slots go to #free. */
  #next = 0;
  #free: number[] = [];
  #records = 0;
  readonly #extras = new Map<number, Extras>();
  /** Entries that do not fit a record. */
  readonly #objects = new Map<string, CachedEntry>();

  constructor(opts: RecordStoreOptions) {
    this.#limit = opts.limit;
  }

  get limit(): number {
    return this.#limit;
  }

  get size(): number {
    return this.#records + this.#objects.size;
  }

  /** Index position holding the entry's slot, or -1. */
  #find(k0: number, k1: number, k2: number, k3: number): number {
    const mask = this.#index.length - 1;
    const rec = this.#rec;
    for (let i = mix(mix(mix(mix(0x811c9dc5, k0), k1), k2), k3) & mask; ; i = (i + 1) & mask) {
      const v = this.#index[i]!;
      if (v === EMPTY) return -1;
      if (v === TOMBSTONE) continue;
      const b = (v - 1) * WORDS;
      if (rec[b + W_SRC] === k0 && rec[b + W_DST] === k1 && rec[b + W_PROTO_ZONE] === k2 && rec[b + W_L4] === k3) return i;
    }
  }

  #place(slot: number): void {
    const mask = this.#index.length - 1;
    const b = slot * WORDS;
    const rec = this.#rec;
    let i = mix(mix(mix(mix(0x811c9dc5, rec[b + W_SRC]!), rec[b + W_DST]!), rec[b + W_PROTO_ZONE]!), rec[b + W_L4]!) & mask;
    while (this.#index[i]! > 0) i = (i + 1) & mask;
    if (this.#index[i] === TOMBSTONE) this.#tombstones--;
    this.#index[i] = slot + 1;
  }

  #reindex(size: number): void {
    this.#index = new Int32Array(size);
    this.#tombstones = 0;
    for (let s = 0; s < this.#next; s++) if ((this.#rec[s * WORDS + W_HAS]! & H_USED) !== 0) this.#place(s);
  }

  #allocSlot(): number {
    const freed = this.#free.pop();
    if (freed !== undefined) return freed;
    const slots = this.#rec.length / WORDS;
    if (this.#next === slots) {
      const rec = new Uint32Array(slots * 2 * WORDS);
      rec.set(this.#rec);
      this.#rec = rec;
      const times = new Float64Array(slots * 4);
      times.set(this.#times);
      this.#times = times;
    }
    return this.#next++;
  }

  static #keyWords(e: EntryKeyFields): [number, number, number, number] {
    return [parseIpv4(e.src)!, parseIpv4(e.dst)!, (e.proto | ((e.zone ?? 0) << 8)) >>> 0, l4Word(e)];
  }

  /** The entry's index position, or -1 (also for keys a record cannot hold). */
  #lookup(e: EntryKeyFields): number {
    const src = parseIpv4(e.src);
    const dst = parseIpv4(e.dst);
    if (src === undefined || dst === undefined) return -1;
    return this.#find(src, dst, (e.proto | ((e.zone ?? 0) << 8)) >>> 0, l4Word(e));
  }

  #write(slot: number, e: SyncEntry): void {
    const b = slot * WORDS;
    const r = this.#rec;
    const [k0, k1, k2, k3] = RecordStore.#keyWords(e);
    r[b + W_SRC] = k0;
    r[b + W_DST] = k1;
    r[b + W_PROTO_ZONE] = k2;
    r[b + W_L4] = k3;
    r[b + W_STATUS] = e.status >>> 0;
    r[b + W_TCP] = (e.tcpState ?? 0) | ((e.wscaleOrig ?? 0) << 8) | ((e.wscaleReply ?? 0) << 16);
    r[b + W_TIMEOUT] = e.timeout ?? 0;
    r[b + W_MARK] = e.mark ?? 0;
    r[b + W_SNAT] = e.snat !== undefined ? parseIpv4(e.snat)! : 0;
    r[b + W_DNAT] = e.dnat !== undefined ? parseIpv4(e.dnat)! : 0;
    r[b + W_PAT] = (((e.spat ?? 0) << 16) | (e.dpat ?? 0)) >>> 0;
    const extras: Extras = {};
    if (e.natSeqAdj !== undefined) extras.natSeqAdj = e.natSeqAdj;
    if (e.helper !== undefined) extras.helper = e.helper;
    if (e.labels !== undefined) extras.labels = e.labels;
    if (e.synproxy !== undefined) extras.synproxy = e.synproxy;
    if (e.master !== undefined) extras.master = e.master;
    const hasExtras = Object.keys(extras).length > 0;
    if (hasExtras) this.#extras.set(slot, extras);
    else this.#extras.delete(slot);
    r[b + W_HAS] = H_USED
      | (e.sport !== undefined ? H_SPORT : 0) | (e.dport !== undefined ? H_DPORT : 0)
      | (e.icmpType !== undefined ? H_ICMP_TYPE : 0) | (e.icmpCode !== undefined ? H_ICMP_CODE : 0)
      | (e.icmpId !== undefined ? H_ICMP_ID : 0) | (e.tcpState !== undefined ? H_TCP_STATE : 0)
      | (e.wscaleOrig !== undefined ? H_WSCALE_ORIG : 0) | (e.wscaleReply !== undefined ? H_WSCALE_REPLY : 0)
      | (e.timeout !== undefined ? H_TIMEOUT : 0) | (e.mark !== undefined ? H_MARK : 0)
      | (e.zone !== undefined ? H_ZONE : 0) | (e.snat !== undefined ? H_SNAT : 0)
      | (e.dnat !== undefined ? H_DNAT : 0) | (e.spat !== undefined ? H_SPAT : 0)
      | (e.dpat !== undefined ? H_DPAT : 0) | (hasExtras ? H_EXTRAS : 0);
  }

  #read(slot: number): CachedEntry {
    const b = slot * WORDS;
    const r = this.#rec;
    const has = r[b + W_HAS]!;
    const pz = r[b + W_PROTO_ZONE]!;
    const l4 = r[b + W_L4]!;
    const tcp = r[b + W_TCP]!;
    const e: SyncEntry = { src: formatIpv4(r[b + W_SRC]!), dst: formatIpv4(r[b + W_DST]!), proto: pz & 0xff, status: r[b + W_STATUS]! };
    if (has & H_SPORT) e.sport = l4 >>> 16;
    if (has & H_DPORT) e.dport = l4 & 0xffff;
    if (has & H_ICMP_TYPE) e.icmpType = l4 >>> 24;
    if (has & H_ICMP_CODE) e.icmpCode = (l4 >>> 16) & 0xff;
    if (has & H_ICMP_ID) e.icmpId = l4 & 0xffff;
    if (has & H_TCP_STATE) e.tcpState = tcp & 0xff;
    if (has & H_WSCALE_ORIG) e.wscaleOrig = (tcp >>> 8) & 0xff;
    if (has & H_WSCALE_REPLY) e.wscaleReply = (tcp >>> 16) & 0xff;
    if (has & H_TIMEOUT) e.timeout = r[b + W_TIMEOUT]!;
    if (has & H_MARK) e.mark = r[b + W_MARK]!;
    if (has & H_ZONE) e.zone = pz >>> 8;
    if (has & H_SNAT) e.snat = formatIpv4(r[b + W_SNAT]!);
    if (has & H_DNAT) e.dnat = formatIpv4(r[b + W_DNAT]!);
    if (has & H_SPAT) e.spat = r[b + W_PAT]! >>> 16;
    if (has & H_DPAT) e.dpat = r[b + W_PAT]! & 0xffff;
    if (has & H_EXTRAS) Object.assign(e, this.#extras.get(slot));
    return { entry: e, createdAt: this.#times[slot * 2]!, updatedAt: this.#times[slot * 2 + 1]! };
  }

  get(e: EntryKeyFields): CachedEntry | undefined {
    const i = this.#lookup(e);
    if (i >= 0) return this.#read(this.#index[i]! - 1);
    return this.#objects.get(entryKey(e));
  }

  has(e: EntryKeyFields): boolean {
    return this.#lookup(e) >= 0 || this.#objects.has(entryKey(e));
  }

  /**
   * Stores the entry (replacing one with its key, keeping that one's creation time); returns
   * whether it was new, or 'full' (nothing stored).
   */
  set(e: SyncEntry, createdAt: number, updatedAt: number): 'created' | 'updated' | 'full' {
    const i = this.#lookup(e);
    if (i >= 0) {
      const slot = this.#index[i]! - 1;
      if (fitsRecord(e)) {
        this.#write(slot, e);
        this.#times[slot * 2 + 1] = updatedAt;
        return 'updated';
      }
      // The new version no longer fits (e.g. an odd field): it moves to the objects.
      const created = this.#times[slot * 2]!;
      this.#removeAt(i);
      this.#objects.set(entryKey(e), { entry: e, createdAt: created, updatedAt });
      return 'updated';
    }
    const key = fitsRecord(e) ? undefined : entryKey(e);
    if (key !== undefined) {
      const old = this.#objects.get(key);
      if (old !== undefined) {
        this.#objects.set(key, { entry: e, createdAt: old.createdAt, updatedAt });
        return 'updated';
      }
    } else {
      // A record-fitting entry may replace an object with the same key.
      const oldKey = entryKey(e);
      const old = this.#objects.get(oldKey);
      if (old !== undefined) {
        this.#objects.delete(oldKey);
        this.#insertRecord(e, old.createdAt, updatedAt);
        return 'updated';
      }
    }
    if (this.size >= this.#limit) return 'full';
    if (key !== undefined) this.#objects.set(key, { entry: e, createdAt, updatedAt });
    else this.#insertRecord(e, createdAt, updatedAt);
    return 'created';
  }

  #insertRecord(e: SyncEntry, createdAt: number, updatedAt: number): void {
    const slot = this.#allocSlot();
    this.#write(slot, e);
    this.#times[slot * 2] = createdAt;
    this.#times[slot * 2 + 1] = updatedAt;
    this.#records++;
    // Keep the index at most half full, tombstones counted: probes stay short.
    if ((this.#records + this.#tombstones) * 2 > this.#index.length) {
      this.#reindex(this.#records * 2 > this.#index.length / 2 ? this.#index.length * 2 : this.#index.length);
    } else {
      this.#place(slot);
    }
  }

  #removeAt(i: number): void {
    const slot = this.#index[i]! - 1;
    this.#index[i] = TOMBSTONE;
    this.#tombstones++;
    this.#rec[slot * WORDS + W_HAS] = 0;
    this.#extras.delete(slot);
    this.#free.push(slot);
    this.#records--;
  }

  delete(e: EntryKeyFields): boolean {
    const i = this.#lookup(e);
    if (i >= 0) {
      this.#removeAt(i);
      return true;
    }
    return this.#objects.delete(entryKey(e));
  }

  /** Removes every entry for which `drop` says true; returns how many. */
  deleteWhere(drop: (c: CachedEntry) => boolean): number {
    let n = 0;
    for (let s = 0; s < this.#next; s++) {
      if ((this.#rec[s * WORDS + W_HAS]! & H_USED) === 0) continue;
      if (!drop(this.#read(s))) continue;
      const b = s * WORDS;
      const r = this.#rec;
      this.#removeAt(this.#find(r[b + W_SRC]!, r[b + W_DST]!, r[b + W_PROTO_ZONE]!, r[b + W_L4]!));
      n++;
    }
    for (const [k, c] of this.#objects) {
      if (drop(c)) {
        this.#objects.delete(k);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.#rec = new Uint32Array(INITIAL_SLOTS * WORDS);
    this.#times = new Float64Array(INITIAL_SLOTS * 2);
    this.#index = new Int32Array(INITIAL_SLOTS * 2);
    this.#tombstones = 0;
    this.#next = 0;
    this.#free = [];
    this.#records = 0;
    this.#extras.clear();
    this.#objects.clear();
  }

  /** Copies of every entry; the store may change while this runs (changes may or may not show). */
  *values(): IterableIterator<CachedEntry> {
    for (let s = 0; s < this.#next; s++) {
      if ((this.#rec[s * WORDS + W_HAS]! & H_USED) !== 0) yield this.#read(s);
    }
    yield* [...this.#objects.values()];
  }
}
