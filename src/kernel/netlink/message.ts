// Netlink message framing: struct nlmsghdr + payload, each message padded to 4 bytes, several
// messages per datagram. Netlink is host byte order; both target arches (x86_64, arm64) are
// little-endian, so LE is used throughout (checked once in assertLittleEndian).
import { endianness } from 'node:os';
import {
  NLMSG_ALIGNTO, NLMSG_HDRLEN, NLMSG_OFF_FLAGS, NLMSG_OFF_LEN, NLMSG_OFF_PID, NLMSG_OFF_SEQ, NLMSG_OFF_TYPE,
} from './constants.ts';
import { putU32, type AttributeEncoder } from './attributes.ts';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  /** Port id: of the requester in replies, of the sender (or 0) in events. */
  pid: number;
  /** Bytes after the header, without trailing alignment padding. */
  payload: Buffer;
}

export class NetlinkParseError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`netlink: ${message} at byte ${offset}`);
    this.name = 'NetlinkParseError';
    this.offset = offset;
  }
}

export function nlmsgAlign(len: number): number {
  return (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

let checkedEndianness = false;
export function assertLittleEndian(): void {
  if (checkedEndianness) return;
  if (endianness() !== 'LE') throw new Error('netlink codec supports little-endian hosts only');
  checkedEndianness = true;
}

/** One message, padded to alignment so messages can be concatenated. */
export function encodeMessage(m: NetlinkMessage): Buffer {
  assertLittleEndian();
  const len = NLMSG_HDRLEN + m.payload.length;
  const out = Buffer.alloc(nlmsgAlign(len));
  out.writeUInt32LE(len, NLMSG_OFF_LEN);
  out.writeUInt16LE(m.type, NLMSG_OFF_TYPE);
  out.writeUInt16LE(m.flags, NLMSG_OFF_FLAGS);
  out.writeUInt32LE(m.seq >>> 0, NLMSG_OFF_SEQ);
  out.writeUInt32LE(m.pid >>> 0, NLMSG_OFF_PID);
  m.payload.copy(out, NLMSG_HDRLEN);
  return out;
}

/**
 * A message written straight into a batch being built: beginMessage() appends room for the
 * header, the caller appends the payload, endMessage() fills the header in (length, type, flags,
 * seq, pid 0). Payloads made of attributes stay 4-aligned, so the next message follows directly.
 */
export function beginMessage(e: AttributeEncoder): number {
  return e.raw(NLMSG_HDRLEN);
}

export function endMessage(e: AttributeEncoder, start: number, type: number, flags: number, seq: number): void {
  assertLittleEndian();
  const b = e.buffer;
  putU32(b, start + NLMSG_OFF_LEN, e.offset - start);
  b[start + NLMSG_OFF_TYPE] = type & 0xff;
  b[start + NLMSG_OFF_TYPE + 1] = type >>> 8;
  b[start + NLMSG_OFF_FLAGS] = flags & 0xff;
  b[start + NLMSG_OFF_FLAGS + 1] = flags >>> 8;
  putU32(b, start + NLMSG_OFF_SEQ, seq);
  putU32(b, start + NLMSG_OFF_PID, 0);
}

/** Several messages in one datagram (a batch). */
export function encodeMessages(ms: readonly NetlinkMessage[]): Buffer {
  return Buffer.concat(ms.map(encodeMessage));
}

/** All messages of one datagram. Payloads are views into `buf`, not copies. */
export function decodeMessages(buf: Uint8Array): NetlinkMessage[] {
  assertLittleEndian();
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < NLMSG_HDRLEN) throw new NetlinkParseError(`${b.length - off} trailing bytes, less than a header`, off);
    const len = b.readUInt32LE(off + NLMSG_OFF_LEN);
    if (len < NLMSG_HDRLEN) throw new NetlinkParseError(`nlmsg_len ${len} shorter than the header`, off);
    if (len > b.length - off) throw new NetlinkParseError(`nlmsg_len ${len} runs past the datagram (${b.length - off} left)`, off);
    out.push({
      type: b.readUInt16LE(off + NLMSG_OFF_TYPE),
      flags: b.readUInt16LE(off + NLMSG_OFF_FLAGS),
      seq: b.readUInt32LE(off + NLMSG_OFF_SEQ),
      pid: b.readUInt32LE(off + NLMSG_OFF_PID),
      payload: b.subarray(off + NLMSG_HDRLEN, off + len),
    });
    // The last message's padding may be missing; alignment never runs past the buffer.
    off = Math.min(b.length, off + nlmsgAlign(len));
  }
  return out;
}
