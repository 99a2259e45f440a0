// Sync-link heartbeats for accelerated failover (Stockade peers only; see instance.ts): one small
// UDP datagram every heartbeat interval naming the instances the sender is MASTER of. Pure codec.
//   "SKHB" | version u8 (1) | count u8 | sequence u32 (big-endian) | count x (length u8, name ASCII)
// Not authenticated: it rides the dedicated sync link, and the worst a forged one can do is what
// losing the link does (delay a takeover to the normal Master_Down_Interval), or, claiming no
// masters, speed up a takeover that lost adverts would already cause one interval later.
const MAGIC = [0x53, 0x4b, 0x48, 0x42];
export const HEARTBEAT_VERSION = 1;
const HEADER = 10;
const MAX_NAME = 64;

export interface Heartbeat {
  sequence: number;
  masters: string[];
}

export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  const names = h.masters.map((n) => Buffer.from(n, 'ascii'));
  if (names.length > 255 || names.some((n) => n.length === 0 || n.length > MAX_NAME)) throw new RangeError('heartbeat: 0..255 names of 1..64 bytes');
  const out = new Uint8Array(HEADER + names.reduce((s, n) => s + 1 + n.length, 0));
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = HEARTBEAT_VERSION;
  out[5] = names.length;
  dv.setUint32(6, h.sequence >>> 0);
  let o = HEADER;
  for (const n of names) {
    out[o++] = n.length;
    out.set(n, o);
    o += n.length;
  }
  return out;
}

/** undefined for anything that is not exactly one well-formed heartbeat. */
export function decodeHeartbeat(b: Uint8Array): Heartbeat | undefined {
  if (b.length < HEADER || MAGIC.some((m, i) => b[i] !== m) || b[4] !== HEARTBEAT_VERSION) return undefined;
  const count = b[5]!;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const masters: string[] = [];
  let o = HEADER;
  for (let i = 0; i < count; i++) {
    const len = b[o];
    if (len === undefined || len === 0 || len > MAX_NAME || o + 1 + len > b.length) return undefined;
    masters.push(Buffer.from(b.subarray(o + 1, o + 1 + len)).toString('ascii'));
    o += 1 + len;
  }
  if (o !== b.length) return undefined;
  return { sequence: dv.getUint32(6), masters };
}
