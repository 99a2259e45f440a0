// Netlink attributes (struct nlattr: u16 len, u16 type, value, padding to 4), nested attributes
// (NLA_F_NESTED), and value helpers. Integers are host order (LE here) unless a helper says
// "be": big-endian values, as nfnetlink families carry them, with or without the
// NLA_F_NET_BYTEORDER flag (families differ; the caller chooses).
import {
  NLA_ALIGNTO, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_MAX_LEN, NLA_OFF_LEN, NLA_OFF_TYPE, NLA_TYPE_MASK,
} from './constants.ts';
import { NetlinkParseError } from './message.ts';

export interface Attribute {
  /** Type without the flag bits. */
  type: number;
  nested: boolean;
  netByteOrder: boolean;
  /** Value without padding; a view into the decoded buffer. */
  data: Buffer;
}

export function nlaAlign(len: number): number {
  return (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}

/** All attributes in `buf` (a message payload after its fixed header, or a nest's data). */
export function decodeAttributes(buf: Uint8Array): Attribute[] {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Attribute[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < NLA_HDRLEN) throw new NetlinkParseError(`${b.length - off} trailing bytes, less than an attribute header`, off);
    const len = b.readUInt16LE(off + NLA_OFF_LEN);
    const rawType = b.readUInt16LE(off + NLA_OFF_TYPE);
    if (len < NLA_HDRLEN) throw new NetlinkParseError(`nla_len ${len} shorter than the header`, off);
    if (len > b.length - off) throw new NetlinkParseError(`nla_len ${len} runs past the buffer (${b.length - off} left)`, off);
    out.push({
      type: rawType & NLA_TYPE_MASK,
      nested: (rawType & NLA_F_NESTED) !== 0,
      netByteOrder: (rawType & NLA_F_NET_BYTEORDER) !== 0,
      data: b.subarray(off + NLA_HDRLEN, off + len),
    });
    off = Math.min(b.length, off + nlaAlign(len));
  }
  return out;
}

/** Attributes by type; for a repeated type the last one wins (as nla_parse does). */
export function attributeMap(attrs: readonly Attribute[]): Map<number, Attribute> {
  const m = new Map<number, Attribute>();
  for (const a of attrs) m.set(a.type, a);
  return m;
}

function expectLen(a: Attribute, n: number, what: string): void {
  if (a.data.length !== n) throw new NetlinkParseError(`attribute ${a.type}: ${what} needs ${n} bytes, has ${a.data.length}`, 0);
}

export function attrU8(a: Attribute): number { expectLen(a, 1, 'u8'); return a.data.readUInt8(0); }
export function attrU16(a: Attribute): number { expectLen(a, 2, 'u16'); return a.data.readUInt16LE(0); }
export function attrU32(a: Attribute): number { expectLen(a, 4, 'u32'); return a.data.readUInt32LE(0); }
export function attrS32(a: Attribute): number { expectLen(a, 4, 's32'); return a.data.readInt32LE(0); }
export function attrU64(a: Attribute): bigint { expectLen(a, 8, 'u64'); return a.data.readBigUInt64LE(0); }
export function attrBe16(a: Attribute): number { expectLen(a, 2, 'be16'); return a.data.readUInt16BE(0); }
export function attrBe32(a: Attribute): number { expectLen(a, 4, 'be32'); return a.data.readUInt32BE(0); }
export function attrBe64(a: Attribute): bigint { expectLen(a, 8, 'be64'); return a.data.readBigUInt64BE(0); }
/** A string attribute; the kernel NUL-terminates most (NLA_NUL_STRING) but not all (NLA_STRING). */
export function attrString(a: Attribute): string {
  const nul = a.data.indexOf(0);
  return a.data.toString('utf8', 0, nul < 0 ? a.data.length : nul);
}
export function attrNested(a: Attribute): Attribute[] { return decodeAttributes(a.data); }

export interface AttrOptions {
  /** Set NLA_F_NET_BYTEORDER on the type. */
  netByteOrder?: boolean;
}

/**
 * Builds a run of attributes: `new AttributeEncoder().string(IFLA_IFNAME, 'eth0').u32(IFLA_MTU, 1500).encode()`.
 * Every attribute is padded to 4 bytes (padding zeroed); nla_len excludes the padding, as the
 * kernel expects. The one encoder for every family: requests of a network apply and conntrack
 * commits of 100,000 entries alike (see ctnetlink/entry.ts).
 */
export class AttributeEncoder {
  // One growing buffer, values written in place with plain byte stores (Buffer's write* methods
  // check their arguments on every call), nests back-patched: no allocation per attribute. A
  // reused encoder (truncate) serves many messages.
  #buf: Buffer;
  #length: number;
  /** Bytes of the fixed header given to the constructor (not attributes). */
  readonly #headerLength: number;

  /**
   * `header`: a message's fixed part (ifinfomsg, rtmsg, ...) that encode() returns the
   * attributes after, in the same buffer (no concatenation afterwards).
   */
  constructor(header?: Uint8Array, capacity = 128) {
    const h = header?.length ?? 0;
    this.#buf = Buffer.alloc(h + capacity);
    if (header !== undefined) this.#buf.set(header, 0);
    this.#length = h;
    this.#headerLength = h;
  }

  /** What is written so far is buffer[0, offset); a later write may replace the buffer. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /** Bytes written, the header included. */
  get offset(): number {
    return this.#length;
  }

  /** Drops what was written after `offset` (a message that failed or did not fit). */
  truncate(offset: number): void {
    if (offset < this.#headerLength || offset > this.#length) throw new RangeError(`truncate to ${offset}: outside ${this.#headerLength}..${this.#length}`);
    this.#length = offset;
  }

  #ensure(n: number): void {
    if (this.#length + n <= this.#buf.length) return;
    const grown = Buffer.alloc(Math.max(this.#length + n, 2 * this.#buf.length));
    this.#buf.copy(grown, 0, 0, this.#length);
    this.#buf = grown;
  }

  /** Room for `n` bytes the caller writes in full (a message header); returns where they go. */
  raw(n: number): number {
    this.#ensure(n);
    const at = this.#length;
    this.#length += n;
    return at;
  }

  /** An attribute header and room for `dataLength` value bytes (padding zeroed); returns where the value goes. */
  attr(type: number, dataLength: number, flags = 0): number {
    const len = NLA_HDRLEN + dataLength;
    if (len > NLA_MAX_LEN) throw new RangeError(`attribute ${type}: ${dataLength} bytes exceed nla_len`);
    if (type < 0 || type > NLA_TYPE_MASK) throw new RangeError(`attribute type ${type} out of range`);
    const padded = nlaAlign(len);
    this.#ensure(padded);
    const off = this.#length;
    const b = this.#buf;
    b[off + NLA_OFF_LEN] = len & 0xff;
    b[off + NLA_OFF_LEN + 1] = len >>> 8;
    const t = type | flags;
    b[off + NLA_OFF_TYPE] = t & 0xff;
    b[off + NLA_OFF_TYPE + 1] = t >>> 8;
    // The caller writes the value; only the padding (at most 3 bytes) needs zeroing.
    for (let i = off + len; i < off + padded; i++) b[i] = 0;
    this.#length = off + padded;
    return off + NLA_HDRLEN;
  }

  /**
   * Opens a nest, closed by end(at) with what was written in between. NLA_F_NESTED is set, as
   * strict policies require, unless `flagged` is false (iproute2's IFLA_LINKINFO has none).
   */
  begin(type: number, flagged = true): number {
    return this.attr(type, 0, flagged ? NLA_F_NESTED : 0) - NLA_HDRLEN;
  }

  end(at: number): void {
    const len = this.#length - at;
    if (len > NLA_MAX_LEN) throw new RangeError(`nest at ${at}: ${len} bytes exceed nla_len`);
    this.#buf[at + NLA_OFF_LEN] = len & 0xff;
    this.#buf[at + NLA_OFF_LEN + 1] = len >>> 8;
  }

  bytes(type: number, data: Uint8Array, opts: AttrOptions & { nested?: boolean } = {}): this {
    let flags = 0;
    if (opts.nested === true) flags |= NLA_F_NESTED;
    if (opts.netByteOrder === true) flags |= NLA_F_NET_BYTEORDER;
    const at = this.attr(type, data.length, flags);
    this.#buf.set(data, at);
    return this;
  }

  // Values are checked before anything is written: a value out of range adds nothing.
  // attr() may replace the buffer: take the offset first, then the buffer.
  flag(type: number): this { this.attr(type, 0); return this; }
  u8(type: number, v: number): this {
    if ((v & 0xff) !== v) throw new RangeError(`attribute ${type}: ${v} is not a u8`);
    const at = this.attr(type, 1);
    this.#buf[at] = v;
    return this;
  }
  u16(type: number, v: number): this {
    if ((v & 0xffff) !== v) throw new RangeError(`attribute ${type}: ${v} is not a u16`);
    const at = this.attr(type, 2);
    const b = this.#buf;
    b[at] = v & 0xff;
    b[at + 1] = v >>> 8;
    return this;
  }
  u32(type: number, v: number): this {
    const at = this.attr(type, 4);
    putU32(this.#buf, at, v);
    return this;
  }
  s32(type: number, v: number): this {
    if ((v | 0) !== v) throw new RangeError(`attribute ${type}: ${v} is not an s32`);
    const at = this.attr(type, 4);
    this.#buf.writeInt32LE(v, at);
    return this;
  }
  u64(type: number, v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(`attribute ${type}: ${v} is not a u64`);
    const at = this.attr(type, 8);
    this.#buf.writeBigUInt64LE(v, at);
    return this;
  }
  be16(type: number, v: number, opts?: AttrOptions): this {
    if ((v & 0xffff) !== v) throw new RangeError(`attribute ${type}: ${v} is not a u16`);
    const at = this.attr(type, 2, opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0);
    const b = this.#buf;
    b[at] = v >>> 8;
    b[at + 1] = v & 0xff;
    return this;
  }
  be32(type: number, v: number, opts?: AttrOptions): this {
    const at = this.attr(type, 4, opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0);
    putBe32(this.#buf, at, v);
    return this;
  }
  be64(type: number, v: bigint, opts?: AttrOptions): this {
    if (v < 0n || v > U64_MAX) throw new RangeError(`attribute ${type}: ${v} is not a u64`);
    const at = this.attr(type, 8, opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0);
    this.#buf.writeBigUInt64BE(v, at);
    return this;
  }
  /** NUL-terminated, as NLA_NUL_STRING and NLA_STRING policies both accept. */
  string(type: number, s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    const at = this.attr(type, n + 1);
    this.#buf.write(s, at, n, 'utf8');
    this.#buf[at + n] = 0;
    return this;
  }

  /** A nest (NLA_F_NESTED set, as strict policies require) filled by `fill`. */
  nested(type: number, fill: (e: AttributeEncoder) => void): this {
    const at = this.begin(type);
    fill(this);
    this.end(at);
    return this;
  }

  /** Bytes of attributes so far (the header not counted). */
  get length(): number {
    return this.#length - this.#headerLength;
  }

  /** The header and the attributes so far (a view: later additions do not change it). */
  encode(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }
}

const U64_MAX = 0xffffffffffffffffn;

/**
 * A u32, little-endian (host order here), as plain byte stores: Buffer's writeUInt32LE checks its
 * arguments on every call, which an apply's 11,000 messages of a dozen values each pay for.
 */
export function putU32(b: Uint8Array, at: number, v: number): void {
  const n = v >>> 0;
  b[at] = n & 0xff;
  b[at + 1] = (n >>> 8) & 0xff;
  b[at + 2] = (n >>> 16) & 0xff;
  b[at + 3] = n >>> 24;
}

/** A u32 in network order, as plain byte stores. */
export function putBe32(b: Uint8Array, at: number, v: number): void {
  const n = v >>> 0;
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

/**
 * Where the attributes of the wanted types are in b[from, to): at[2 * type] = the value's start,
 * at[2 * type + 1] its end, -1 for a type not there (`at` holds 2 * (highest wanted type + 1)).
 * For the decoders of big dumps: a link carries some 50 attributes, most not read, and making
 * an Attribute (and a Buffer view) for each, then switching over them, is what a dump's decoding
 * cost. Same checks as decodeAttributes; for a repeated type the last one wins (as nla_parse).
 */
export function indexAttributes(b: Buffer, from: number, to: number, wanted: Uint8Array, at: Int32Array): void {
  at.fill(-1);
  let off = from;
  while (off < to) {
    const left = to - off;
    if (left < NLA_HDRLEN) throw new NetlinkParseError(`${left} trailing bytes, less than an attribute header`, off - from);
    const len = b[off + NLA_OFF_LEN]! | (b[off + NLA_OFF_LEN + 1]! << 8);
    if (len < NLA_HDRLEN) throw new NetlinkParseError(`nla_len ${len} shorter than the header`, off - from);
    if (len > left) throw new NetlinkParseError(`nla_len ${len} runs past the buffer (${left} left)`, off - from);
    const type = (b[off + NLA_OFF_TYPE]! | (b[off + NLA_OFF_TYPE + 1]! << 8)) & NLA_TYPE_MASK;
    if (wanted[type] === 1) {
      at[2 * type] = off + NLA_HDRLEN;
      at[2 * type + 1] = off + len;
    }
    off += nlaAlign(len);
  }
}

/** The `wanted` table of indexAttributes for these types. */
export function wantedTypes(types: readonly number[]): Uint8Array {
  const w = new Uint8Array(Math.max(...types) + 1);
  for (const t of types) w[t] = 1;
  return w;
}

function expectLenAt(type: number, start: number, end: number, n: number, what: string): void {
  if (end - start !== n) throw new NetlinkParseError(`attribute ${type}: ${what} needs ${n} bytes, has ${end - start}`, 0);
}

/** Values in place (see scanAttributes); the same checks as attrU8 and friends. */
export function u8At(b: Buffer, type: number, start: number, end: number): number {
  expectLenAt(type, start, end, 1, 'u8');
  return b[start]!;
}
export function u16At(b: Buffer, type: number, start: number, end: number): number {
  expectLenAt(type, start, end, 2, 'u16');
  return b[start]! | (b[start + 1]! << 8);
}
export function u32At(b: Buffer, type: number, start: number, end: number): number {
  expectLenAt(type, start, end, 4, 'u32');
  return (b[start]! | (b[start + 1]! << 8) | (b[start + 2]! << 16)) + b[start + 3]! * 0x1000000;
}
/** A string attribute in place, up to its NUL if it has one (as attrString). */
export function stringAt(b: Buffer, start: number, end: number): string {
  const nul = b.indexOf(0, start);
  return b.toString('utf8', start, nul < 0 || nul > end ? end : nul);
}
