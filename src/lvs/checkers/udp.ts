// UDP checks, pure: keepalived's UDP_CHECK. The payload goes out on a connected socket; an ICMP
// error (port unreachable) is down. With require_reply a reply is needed, between the length
// bounds, matching the expected bytes where the mask says (X nibbles in the config are wildcards);
// without it, a reply or silence until the timeout is up.
import type { ProbeOutcome } from './check.ts';
import type { UdpProbe } from './spec.ts';

/** "01XX0a" -> bytes and a mask (X: any nibble). Throws on anything but hex digits and X. */
export function parseReplyPattern(text: string): { bytes: Uint8Array; mask: Uint8Array } {
  if (!/^([0-9a-fA-FxX]{2})*$/.test(text)) throw new Error(`${JSON.stringify(text)} is not hex bytes (X for any nibble)`);
  const n = text.length / 2;
  const bytes = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    let m = 0;
    for (const ch of text.slice(2 * i, 2 * i + 2)) {
      b <<= 4;
      m <<= 4;
      if (ch !== 'x' && ch !== 'X') {
        b |= parseInt(ch, 16);
        m |= 0xf;
      }
    }
    bytes[i] = b;
    mask[i] = m;
  }
  return { bytes, mask };
}

/** `reply`: the datagram that came back, or undefined when none came before the timeout. */
export function udpVerdict(p: UdpProbe, reply: Buffer | undefined): ProbeOutcome {
  if (reply === undefined) return p.requireReply ? { ok: false, reason: 'no reply' } : { ok: true, detail: 'no ICMP error' };
  if (reply.length < p.minReplyLength || reply.length > p.maxReplyLength) {
    return { ok: false, reason: `a ${reply.length}-byte reply, expected ${p.minReplyLength}-${p.maxReplyLength}` };
  }
  const want = p.requireReply;
  if (want) {
    if (reply.length < want.bytes.length) return { ok: false, reason: `a ${reply.length}-byte reply, shorter than the expected ${want.bytes.length}` };
    for (let i = 0; i < want.bytes.length; i++) {
      if ((reply[i]! & want.mask[i]!) !== (want.bytes[i]! & want.mask[i]!)) return { ok: false, reason: `the reply differs at byte ${i}` };
    }
  }
  return { ok: true, detail: `a ${reply.length}-byte reply` };
}
