// IPv4 addresses as unsigned 32-bit numbers: the one parser and formatter every part shares
// (config checks, VRRP's tie-break, conntrack sync's wire codec). Pure; no I/O.

/**
 * An IPv4 address as an unsigned 32-bit number: the one form an address keeps from the config
 * (net/desired.ts) to the kernel encoders (rtnetlink/inet.ts); text only where it is printed.
 */
export type Ipv4 = number;

/**
 * a.b.c.d (four decimal parts, each 0-255, no leading zeros) as an unsigned 32-bit number, or
 * undefined. A character loop rather than split/regex: conntrack sync runs it for every address
 * of every synced entry.
 */
export function parseIpv4(s: string): Ipv4 | undefined {
  let n = 0;
  let parts = 0;
  let digits = 0;
  let v = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || v > 255 || ++parts > 4) return undefined;
      n = n * 256 + v;
      v = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3 && !(digits === 1 && v === 0)) {
      v = v * 10 + (c - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  return parts === 4 ? n >>> 0 : undefined;
}

export function mustParseIpv4(text: string): number {
  const n = parseIpv4(text);
  if (n === undefined) throw new Error(`not an IPv4 address: '${text}'`);
  return n;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** 224.0.0.0/4 */
export function isMulticast(n: number): boolean {
  return n >>> 28 === 0xe;
}
