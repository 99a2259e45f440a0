// DNS checks, pure: one query (recursion desired, as keepalived's DNS_CHECK sends) and the
// verdict on the reply: same id, a response, the question echoed, RCODE NOERROR. An empty answer
// section is still up: the server answered (keepalived checks the same header fields).
import type { ProbeOutcome } from './check.ts';
import type { DnsType } from './spec.ts';

export const DNS_TYPES: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };
const CLASS_IN = 1;
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The name in wire form; "." is the root. Throws on a label over 63 bytes or a name over 255. */
export function encodeName(name: string): Buffer {
  const labels = name === '.' || name === '' ? [] : name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length === 0 || b.length > 63) throw new Error(`bad DNS label ${JSON.stringify(l)} in ${name}`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`DNS name ${name} is longer than 255 bytes`);
  return out;
}

export function dnsQuery(id: number, name: string, type: DnsType): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(DNS_TYPES[type], 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, encodeName(name), tail]);
}

export function dnsVerdict(query: Buffer, reply: Buffer): ProbeOutcome {
  if (reply.length < 12) return { ok: false, reason: `a ${reply.length}-byte reply, shorter than a DNS header` };
  if (reply.readUInt16BE(0) !== query.readUInt16BE(0)) return { ok: false, reason: 'a reply with another query id' };
  const flags = reply.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return { ok: false, reason: 'a query, not a response' };
  const rcode = flags & 0xf;
  if (rcode !== 0) return { ok: false, reason: `rcode ${RCODES[rcode] ?? rcode}` };
  const question = query.subarray(12);
  if (reply.readUInt16BE(4) !== 1 || reply.length < 12 + question.length || !reply.subarray(12, 12 + question.length).equals(question)) {
    return { ok: false, reason: 'the reply does not echo the question' };
  }
  return { ok: true, detail: `NOERROR, ${reply.readUInt16BE(6)} answer(s)` };
}
