// The VIPs of an instance as kernel addresses: "a.b.c.d/nn" as written, or a bare address with
// the prefix of the interface's subnet that holds it (the config's rule), else /32.
import { mustParseIpv4 } from '../ipv4.ts';

export interface Vip {
  address: string;
  prefixLength: number;
}

/** `subnets`: the interface's own addresses as [address, prefixLength]. */
export function resolveVips(vips: readonly string[], subnets: ReadonlyArray<readonly [string, number]>): Vip[] {
  return vips.map((v) => {
    const [addr, len] = v.split('/');
    if (len !== undefined) return { address: addr!, prefixLength: Number(len) };
    const a = mustParseIpv4(addr!);
    const holder = subnets.find(([s, l]) => l > 0 && (((mustParseIpv4(s) ^ a) >>> (32 - l)) === 0));
    return { address: addr!, prefixLength: holder ? holder[1] : 32 };
  });
}
