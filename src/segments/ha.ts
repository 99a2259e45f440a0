// Which segments this box serves now. A segment with a `vrrp` instance is served (DHCP servers,
// router and public addresses) only while that instance is MASTER here; the backup holds none of
// it, so the pair never answers DHCP or ARP for the same addresses twice. The firewall rules are
// on both boxes alike (the NAT entries of existing flows come across with conntrack sync).
import type { Config } from '../config/index.ts';

export function servedSegments(config: Config, masters: ReadonlySet<string>): Set<string> {
  return new Set(config.segments.filter((s) => s.vrrp === undefined || masters.has(s.vrrp)).map((s) => s.name));
}

/** Segments that follow `instance`. */
export function segmentsFollowing(config: Config, instance: string): string[] {
  return config.segments.filter((s) => s.vrrp === instance).map((s) => s.name);
}
