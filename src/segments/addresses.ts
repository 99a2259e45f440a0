// The addresses a config's segments put on the box: each managed group's router address on its
// interface, and each assigned public address (a /32) on the public interface, so the box
// answers ARP for it (Eucalyptus: `ip addr add PUB/32 dev VNET_INTERFACE`).
import { formatIpv4 } from '../common/index.ts';
import type { Config } from '../config/index.ts';
import { groupNet, hasGroups } from './carve.ts';

export interface SegmentAddress {
  readonly interface: string;
  readonly cidr: string;
  readonly pointer: string;
  readonly segment: string;
}

export function segmentAddresses(config: Config): SegmentAddress[] {
  const out: SegmentAddress[] = [];
  config.segments.forEach((segment, i) => {
    if (!hasGroups(segment)) return;
    segment.groups.forEach((group, j) => {
      const net = groupNet(segment, group.id);
      if (net) out.push({ interface: group.interface, cidr: `${formatIpv4(net.router)}/${net.length}`, pointer: `/segments/${i}/groups/${j}`, segment: segment.name });
    });
    segment.public?.assign.forEach((a, k) => {
      out.push({ interface: segment.public!.interface, cidr: `${a.address}/32`, pointer: `/segments/${i}/public/assign/${k}`, segment: segment.name });
    });
  });
  return out;
}
