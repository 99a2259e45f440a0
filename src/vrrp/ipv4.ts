// IPv4 addresses as unsigned 32-bit numbers (what the wire carries and what comparisons need:
// the VRRP tie-break is "the higher primary address wins").

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
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
