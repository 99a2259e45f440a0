// Ethernet MAC addresses as text <-> 6 bytes: the one parser and formatter every part shares
// (rtnetlink's IFLA_ADDRESS, VRRP's gratuitous ARP, port naming). Pure; no I/O.

const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** "02:00:00:00:00:01" in either case. */
export function isMac(text: string): boolean {
  return MAC.test(text);
}

/** "02:00:00:00:00:01" (either case) -> 6 bytes; throws on anything else. */
export function parseMac(text: string): Buffer {
  if (!MAC.test(text)) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  return Buffer.from(text.split(':').map((x) => parseInt(x, 16)));
}

/** b[start, end) as "aa:bb:..." (lower case). */
export function macAt(b: Uint8Array, start = 0, end = b.length): string {
  let out = '';
  for (let i = start; i < end; i++) out += i === start ? HEX[b[i]!]! : `:${HEX[b[i]!]!}`;
  return out;
}
