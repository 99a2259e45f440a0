// The segments part's face: the networks behind the box (modes system, static, managed),
// compiled to firewall rules (rendered by src/firewall), udhcpd configs and addresses, runtime
// operations as config edits, the running service and its view.
export { groupCapacity, groupNet, hasGroups, segmentRange, type GroupNet } from './carve.ts';
export { expandPool, POOL_MAX } from './pool.ts';
export { nameHash } from './names.ts';
export { METADATA_ADDRESS, POOL_BLOCK, segmentFirewall, type SegmentChainRules, type SegmentFirewall, type SegmentFwRule, type SegmentMatch } from './firewall.ts';
export { dhcpByInterface, dhcpdConfig, dhcpServers, dnsmasqConfig, udhcpdConfig, type DhcpProgram, type DhcpServer } from './dhcp.ts';
export { segmentAddresses, type SegmentAddress } from './addresses.ts';
export { parseDnsmasqLeases, parseLeases, type Lease } from './leases.ts';
export { applySegmentOp, SegmentOpError, type SegmentOp } from './operations.ts';
export { formatSegments, segmentsView, type SegmentsView } from './view.ts';
export { reconcileSegments, startSegments, type SegmentsService } from './shell.ts';
export { servedSegments, segmentsFollowing } from './ha.ts';
