// rtnetlink's face: the client (links, addresses, routes, rules), link events and the constants
// the reconcile and the checks name.
export type { Address, AddressRequest } from './address.ts';
export { Rtnl } from './client.ts';
export type { RtnlApi } from './client.ts';
export { AF_INET, ARPHRD_ETHER, BOND_LACP_RATE_FAST, BOND_LACP_RATE_SLOW, BOND_MODE_8023AD, BOND_MODE_ACTIVEBACKUP, BOND_MODE_ALB, BOND_MODE_BROADCAST, BOND_MODE_ROUNDROBIN, BOND_MODE_TLB, BOND_MODE_XOR, BOND_XMIT_POLICY_ENCAP23, BOND_XMIT_POLICY_ENCAP34, BOND_XMIT_POLICY_LAYER2, BOND_XMIT_POLICY_LAYER23, BOND_XMIT_POLICY_LAYER34, BR_CLOCK_T_PER_S, ETH_P_8021Q, FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE, IFA_F_SECONDARY, IFF_LOWER_UP, IFF_UP, IFNAME_MAX_LEN, RTM_F_CLONED, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE, RTPROT_KERNEL, RTPROT_STOCKADE, RTPROT_STOCKADE_VRRP, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RT_TABLE_LOCAL, RT_TABLE_MAIN } from './constants.ts';
export { INFINITY_LIFE_TIME, RTPROT_STOCKADE_DHCP } from './dhcp-constants.ts';
export { LinkMonitor } from './events.ts';
export { ipText } from './inet.ts';
export type { IpAddress } from './inet.ts';
export { isAdminUp, linkState } from './link-state.ts';
export { listLinks } from './link.ts';
export type { BondOptions, BridgeOptions, ChangeLinkRequest, Link, LinkInfo, NewLinkRequest } from './link.ts';
export type { Route, RouteRequest } from './route.ts';
export { selectorRequest } from './rule.ts';
export type { Rule, RuleRequest, RuleSelector } from './rule.ts';
