// IPv4 addresses as unsigned 32-bit numbers (what the wire carries and what comparisons need:
// the VRRP tie-break is "the higher primary address wins"). The parser is the shared one.
export { formatIpv4, isMulticast, mustParseIpv4, parseIpv4 } from '../common/index.ts';
