// Subnet carving for managed segments, as Eucalyptus carves VNET_SUBNET into per-VLAN networks
// (reference G.2 step 6): group id N gets the N-th block of `addresses_per_group` addresses of
// the segment's range; .0 is the network, .1 the box (the group's router), the last the
// broadcast, and hosts live in between.
import { formatIpv4, formatPrefix, parsePrefix, type Ipv4Prefix } from '../common/index.ts';
import type { Segment, SegmentGroup } from '../config/index.ts';

export interface GroupNet {
  /** "192.0.2.64/26" */
  readonly cidr: string;
  readonly network: number;
  readonly length: number;
  readonly broadcast: number;
  /** The box's address in the group (network + 1). */
  readonly router: number;
  /** First and last address a host may have. */
  readonly firstHost: number;
  readonly lastHost: number;
}

function log2(n: number): number {
  return 31 - Math.clz32(n);
}

export function segmentRange(segment: Pick<Segment, 'subnet'>): Ipv4Prefix | undefined {
  return segment.subnet === undefined ? undefined : parsePrefix(segment.subnet);
}

/** The group's block of the segment's range, or undefined when block `id` lies outside the range. */
export function groupNet(segment: Pick<Segment, 'subnet' | 'addresses_per_group'>, id: number): GroupNet | undefined {
  const range = segmentRange(segment);
  const size = segment.addresses_per_group;
  if (range === undefined || !Number.isInteger(id) || id < 0) return undefined;
  const length = 32 - log2(size);
  if (length < range.length) return undefined;
  const network = range.network + id * size;
  if (network + size - 1 > range.broadcast) return undefined;
  return {
    cidr: formatPrefix({ network, length }),
    network, length,
    broadcast: network + size - 1,
    router: network + 1,
    firstHost: network + 2,
    lastHost: network + size - 2,
  };
}

/** How many groups the range holds (ids 0 .. n-1). */
export function groupCapacity(segment: Pick<Segment, 'subnet' | 'addresses_per_group'>): number {
  const range = segmentRange(segment);
  if (range === undefined) return 0;
  return Math.floor((range.broadcast - range.network + 1) / segment.addresses_per_group);
}

/** Modes with groups (managed: a VLAN per group; managed_novlan: all on one L2 segment). */
export const hasGroups = (segment: Pick<Segment, 'mode'>): boolean => segment.mode === 'managed' || segment.mode === 'managed_novlan';

export function groupRouterText(segment: Segment, group: SegmentGroup): string | undefined {
  const net = groupNet(segment, group.id);
  return net === undefined ? undefined : formatIpv4(net.router);
}
