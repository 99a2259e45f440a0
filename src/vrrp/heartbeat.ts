// Sync-link heartbeats for accelerated failover (Stockade peers only; see instance.ts): one small
// UDP datagram every heartbeat interval naming the instances the sender is MASTER of. Pure codec.
//   "SKHB" | version u8 (2) | key id u8 (0: unsigned) | count u8 | zero u8 | counter u64 | echo u64
//   | count x (length u8, name ASCII) | with a key: MAC (16 bytes)
// counter: the sender's, from its wall clock (replay.ts), never repeated; echo: the highest counter
// the sender has taken from its peer (0: none yet), so each side learns how long ago the other
// last heard it, and a heartbeat echoing a counter we sent since our start is no replay from
// before it. MAC: HMAC-SHA256(key, "STKHB2" | sender IPv4 | every byte before the MAC), first 16
// bytes: a heartbeat can stop a takeover or start one, so with a key nothing forged or replayed
// is taken (heartbeat-link.ts).
import { createHmac, timingSafeEqual } from '../common/index.ts';

const MAGIC = [0x53, 0x4b, 0x48, 0x42];
export const HEARTBEAT_VERSION = 2;
const HEADER = 24;
const MAX_NAME = 64;
export const HEARTBEAT_MAC_LENGTH = 16;
const DOMAIN = new TextEncoder().encode('STKHB2');

export interface Heartbeat {
  /** 0: unsigned. */
  keyId: number;
  counter: bigint;
  echo: bigint;
  masters: string[];
}

export interface HeartbeatKey {
  id: number;
  secret: Uint8Array;
}

function macOf(key: Uint8Array, source: number, signed: Uint8Array): Uint8Array {
  const h = createHmac('sha256', key);
  h.update(DOMAIN);
  const src = new Uint8Array(4);
  new DataView(src.buffer).setUint32(0, source >>> 0);
  h.update(src);
  h.update(signed);
  return new Uint8Array(h.digest().subarray(0, HEARTBEAT_MAC_LENGTH));
}

/** `key` given: signed with it for sender address `source` (keyId is taken from the key). */
export function encodeHeartbeat(h: Omit<Heartbeat, 'keyId'>, sign?: { key: HeartbeatKey; source: number }): Uint8Array {
  const names = h.masters.map((n) => Buffer.from(n, 'ascii'));
  if (names.length > 255 || names.some((n) => n.length === 0 || n.length > MAX_NAME)) throw new RangeError('heartbeat: 0..255 names of 1..64 bytes');
  const body = HEADER + names.reduce((s, n) => s + 1 + n.length, 0);
  const out = new Uint8Array(body + (sign ? HEARTBEAT_MAC_LENGTH : 0));
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = HEARTBEAT_VERSION;
  out[5] = sign?.key.id ?? 0;
  out[6] = names.length;
  dv.setBigUint64(8, h.counter);
  dv.setBigUint64(16, h.echo);
  let o = HEADER;
  for (const n of names) {
    out[o++] = n.length;
    out.set(n, o);
    o += n.length;
  }
  if (sign) out.set(macOf(sign.key.secret, sign.source, out.subarray(0, body)), body);
  return out;
}

export type HeartbeatDecode = { ok: true; heartbeat: Heartbeat } | { ok: false; reason: 'malformed' | 'key_id' | 'mac' };

/**
 * One heartbeat from `source`: well-formed, and with `key` signed by it (without a key, only an
 * unsigned one). Never throws.
 */
export function decodeHeartbeat(b: Uint8Array, source: number, key?: HeartbeatKey): HeartbeatDecode {
  if (b.length < HEADER || MAGIC.some((m, i) => b[i] !== m) || b[4] !== HEARTBEAT_VERSION || b[7] !== 0) return { ok: false, reason: 'malformed' };
  const keyId = b[5]!;
  const end = b.length - (keyId !== 0 ? HEARTBEAT_MAC_LENGTH : 0);
  const count = b[6]!;
  const masters: string[] = [];
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    const len = b[o];
    if (len === undefined || len === 0 || len > MAX_NAME || o + 1 + len > end) return { ok: false, reason: 'malformed' };
    masters.push(Buffer.from(b.subarray(o + 1, o + 1 + len)).toString('ascii'));
    o += 1 + len;
  }
  if (o !== end) return { ok: false, reason: 'malformed' };
  if (keyId !== (key?.id ?? 0)) return { ok: false, reason: 'key_id' };
  if (key && !timingSafeEqual(macOf(key.secret, source, b.subarray(0, end)), b.subarray(end))) return { ok: false, reason: 'mac' };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { ok: true, heartbeat: { keyId, counter: dv.getBigUint64(8), echo: dv.getBigUint64(16), masters } };
}
