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
  #parts: Buffer[] = [];
  #length = 0;

  bytes(type: number, data: Uint8Array, opts: AttrOptions & { nested?: boolean } = {}): this {
    const len = NLA_HDRLEN + data.length;
    if (len > NLA_MAX_LEN) throw new RangeError(`attribute ${type}: ${data.length} bytes exceed nla_len`);
    if (type < 0 || type > NLA_TYPE_MASK) throw new RangeError(`attribute type ${type} out of range`);
    const out = Buffer.alloc(nlaAlign(len));
    let t = type;
    if (opts.nested === true) t |= NLA_F_NESTED;
    if (opts.netByteOrder === true) t |= NLA_F_NET_BYTEORDER;
    out.writeUInt16LE(len, NLA_OFF_LEN);
    out.writeUInt16LE(t, NLA_OFF_TYPE);
    out.set(data, NLA_HDRLEN);
    this.#parts.push(out);
    this.#length += out.length;
    return this;
  }

  flag(type: number): this { return this.bytes(type, Buffer.alloc(0)); }
  u8(type: number, v: number): this { const b = Buffer.alloc(1); b.writeUInt8(v); return this.bytes(type, b); }
  u16(type: number, v: number): this { const b = Buffer.alloc(2); b.writeUInt16LE(v); return this.bytes(type, b); }
  u32(type: number, v: number): this { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return this.bytes(type, b); }
  s32(type: number, v: number): this { const b = Buffer.alloc(4); b.writeInt32LE(v); return this.bytes(type, b); }
  u64(type: number, v: bigint): this { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return this.bytes(type, b); }
  be16(type: number, v: number, opts?: AttrOptions): this { const b = Buffer.alloc(2); b.writeUInt16BE(v); return this.bytes(type, b, opts); }
  be32(type: number, v: number, opts?: AttrOptions): this { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return this.bytes(type, b, opts); }
  be64(type: number, v: bigint, opts?: AttrOptions): this { const b = Buffer.alloc(8); b.writeBigUInt64BE(v); return this.bytes(type, b, opts); }
  /** NUL-terminated, as NLA_NUL_STRING and NLA_STRING policies both accept. */
  string(type: number, s: string): this { return this.bytes(type, Buffer.from(`${s}\0`, 'utf8')); }

  /** A nest (NLA_F_NESTED set, as strict policies require) filled by `fill`. */
  nested(type: number, fill: (e: AttributeEncoder) => void): this {
    const inner = new AttributeEncoder();
    fill(inner);
    return this.bytes(type, inner.encode(), { nested: true });
  }

  get length(): number {
    return this.#length;
  }

  encode(): Buffer {
    return Buffer.concat(this.#parts, this.#length);
  }
}
