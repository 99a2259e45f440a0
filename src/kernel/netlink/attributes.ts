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
 * Every attribute is padded to 4 bytes; nla_len excludes the padding, as the kernel expects.
 */
export class AttributeEncoder {
  // One growing buffer, values written in place: a request is built with no allocation per
  // attribute (hundreds of requests per network apply).
  #buf: Buffer;
  #length: number;
  /** Bytes of the fixed header given to the constructor (not attributes). */
  readonly #headerLength: number;

  /**
   * `header`: a message's fixed part (ifinfomsg, rtmsg, ...) that encode() returns the
   * attributes after, in the same buffer (no concatenation afterwards).
   */
  constructor(header?: Uint8Array) {
    const h = header?.length ?? 0;
    this.#buf = Buffer.alloc(h + 128);
    if (header !== undefined) this.#buf.set(header, 0);
    this.#length = h;
    this.#headerLength = h;
  }

  /** Room for one attribute with `dataLength` bytes of value; returns where the value goes. */
  #attr(type: number, dataLength: number, flags = 0): number {
    const len = NLA_HDRLEN + dataLength;
    if (len > NLA_MAX_LEN) throw new RangeError(`attribute ${type}: ${dataLength} bytes exceed nla_len`);
    if (type < 0 || type > NLA_TYPE_MASK) throw new RangeError(`attribute type ${type} out of range`);
    const off = this.#length;
    const end = off + nlaAlign(len);
    if (end > this.#buf.length) {
      const grown = Buffer.alloc(Math.max(end, 2 * this.#buf.length));
      this.#buf.copy(grown, 0, 0, off);
      this.#buf = grown;
    }
    this.#buf.writeUInt16LE(len, off + NLA_OFF_LEN);
    this.#buf.writeUInt16LE(type | flags, off + NLA_OFF_TYPE);
    this.#length = end;
    return off + NLA_HDRLEN;
  }

  /** Writes a value with a Buffer writer (which checks its range); nothing is added if it throws. */
  #value(type: number, size: number, write: (b: Buffer, at: number) => void, flags = 0): this {
    const start = this.#length;
    const at = this.#attr(type, size, flags);
    try {
      write(this.#buf, at);
    } catch (e) {
      this.#buf.fill(0, start, this.#length);
      this.#length = start;
      throw e;
    }
    return this;
  }

  bytes(type: number, data: Uint8Array, opts: AttrOptions & { nested?: boolean } = {}): this {
    let flags = 0;
    if (opts.nested === true) flags |= NLA_F_NESTED;
    if (opts.netByteOrder === true) flags |= NLA_F_NET_BYTEORDER;
    const at = this.#attr(type, data.length, flags);
    this.#buf.set(data, at);
    return this;
  }

  flag(type: number): this { this.#attr(type, 0); return this; }
  u8(type: number, v: number): this { return this.#value(type, 1, (b, at) => b.writeUInt8(v, at)); }
  u16(type: number, v: number): this { return this.#value(type, 2, (b, at) => b.writeUInt16LE(v, at)); }
  u32(type: number, v: number): this { const at = this.#attr(type, 4); this.#buf.writeUInt32LE(v >>> 0, at); return this; }
  s32(type: number, v: number): this { return this.#value(type, 4, (b, at) => b.writeInt32LE(v, at)); }
  u64(type: number, v: bigint): this { return this.#value(type, 8, (b, at) => b.writeBigUInt64LE(v, at)); }
  be16(type: number, v: number, opts?: AttrOptions): this { return this.#value(type, 2, (b, at) => b.writeUInt16BE(v, at), opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0); }
  be32(type: number, v: number, opts?: AttrOptions): this {
    const at = this.#attr(type, 4, opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0);
    this.#buf.writeUInt32BE(v >>> 0, at);
    return this;
  }
  be64(type: number, v: bigint, opts?: AttrOptions): this { return this.#value(type, 8, (b, at) => b.writeBigUInt64BE(v, at), opts?.netByteOrder === true ? NLA_F_NET_BYTEORDER : 0); }
  /** NUL-terminated, as NLA_NUL_STRING and NLA_STRING policies both accept. */
  string(type: number, s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    const at = this.#attr(type, n + 1);
    this.#buf.write(s, at, n, 'utf8');
    return this;
  }

  /** A nest (NLA_F_NESTED set, as strict policies require) filled by `fill`. */
  nested(type: number, fill: (e: AttributeEncoder) => void): this {
    const inner = new AttributeEncoder();
    fill(inner);
    return this.bytes(type, inner.encode(), { nested: true });
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
