// IPv6 addresses as text <-> 16 bytes in network order: the one parser and formatter every part
// shares (rtnetlink dumps, ctnetlink entries, conntrack sync's wire codec). Pure; no I/O.
import { isIPv6 } from 'node:net';
import { parseIpv4 } from './ipv4.ts';

/** Writes the 16 bytes of an IPv6 address (any RFC 4291 text form) at out[off]; false if it is not one. */
export function writeIpv6(text: string, out: Uint8Array, off = 0): boolean {
  if (!isIPv6(text)) return false;
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseIpv4(v4[1]!);
    if (n === undefined) return false;
    s = `${s.slice(0, v4.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[off + i * 2] = v >>> 8;
    out[off + i * 2 + 1] = v & 0xff;
  });
  return true;
}

/** The 16 bytes of an IPv6 address, or undefined for anything else. */
export function parseIpv6(text: string): Buffer | undefined {
  const out = Buffer.alloc(16);
  return writeIpv6(text, out) ? out : undefined;
}

/** RFC 5952 text of the 16 bytes at b[off]: lower case, the longest run of zero groups compressed. */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[off + i]! << 8) | b[off + i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Whether an address text is IPv6 (has a colon; IPv4 texts never do). */
export function isIpv6Text(s: string): boolean {
  return s.includes(':');
}
