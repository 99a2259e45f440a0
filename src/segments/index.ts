// The segments part's face: the networks behind the box (modes system, static, managed),
// compiled to firewall rules (rendered by src/firewall), udhcpd configs and addresses, runtime
// operations as config edits, the running service and its view.
export { groupCapacity, groupNet, segmentRange, type GroupNet } from './carve.ts';
export { expandPool, POOL_MAX } from './pool.ts';
export { nameHash } from './names.ts';
export { METADATA_ADDRESS, POOL_BLOCK, segmentFirewall, type SegmentChainRules, type SegmentFirewall, type SegmentFwRule, type SegmentMatch } from './firewall.ts';
export { dhcpServers, udhcpdConfig, type DhcpServer } from './dhcp.ts';
export { segmentAddresses, type SegmentAddress } from './addresses.ts';
export { parseLeases, type Lease } from './leases.ts';
export { applySegmentOp, SegmentOpError, type SegmentOp } from './operations.ts';
export { formatSegments, segmentsView, type SegmentsView } from './view.ts';
export { reconcileSegments, startSegments, type SegmentsService } from './shell.ts';
export { servedSegments, segmentsFollowing } from './ha.ts';
