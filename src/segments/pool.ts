// The public address pool: single addresses and networks (every host address of a network, as
// Eucalyptus expands VNET_PUBLICIPS), in the order written, each address once.
import { formatIpv4, parsePrefix } from '../common/index.ts';

/** Bound on the pool's size: the expansion of a config-given network must not eat the daemon's memory. */
export const POOL_MAX = 65536;

export function expandPool(pool: readonly string[]): { addresses: string[]; tooLarge: boolean } {
  const out: string[] = [];
  const seen = new Set<number>();
  for (const entry of pool) {
    const p = parsePrefix(entry);
    if (p === undefined) continue;
    // A /31 or /32 has no network or broadcast address to leave out.
    const first = p.length >= 31 ? p.network : p.network + 1;
    const last = p.length >= 31 ? p.broadcast : p.broadcast - 1;
    if (out.length + (last - first + 1) > POOL_MAX) return { addresses: out, tooLarge: true };
    for (let a = first; a <= last; a++) {
      if (seen.has(a)) continue;
      seen.add(a);
      out.push(formatIpv4(a));
    }
  }
  return { addresses: out, tooLarge: false };
}
