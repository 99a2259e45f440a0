// rtnetlink constants, the one place their numbers live (Linux uapi linux/rtnetlink.h,
// linux/if_link.h, linux/if_addr.h, linux/fib_rules.h, linux/veth.h, linux/if_bonding.h,
// linux/if_bridge.h, linux/if.h). Values checked against the uapi headers with a C program
// (see test/unit/kernel/rtnetlink-constants.test.ts for the spot checks).

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_BRIDGE = 7;
export const AF_INET6 = 10;

/** Message types. */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
export const RTM_GETRULE = 34;

/** Multicast group numbers (for NETLINK_ADD_MEMBERSHIP). */
export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV4_ROUTE = 7;
export const RTNLGRP_IPV4_RULE = 8;

/**
 * Stockade's mark on what it owns: the protocol of its routes (rtm_protocol) and policy rules
 * (FRA_PROTOCOL, kernel >= 4.17) and of its addresses (IFA_PROTO, kernel >= 6.1). Values >= 4
 * are not interpreted by the kernel; 83 ('S') is not in iproute2's rt_protos list. Other parts
 * of Stockade that add addresses (VRRP VIPs) must use a different number, so that a network
 * apply never deletes them.
 */
export const RTPROT_STOCKADE = 83;
/**
 * The mark on VRRP virtual IPs (IFA_PROTO 86, 'V'): not RTPROT_STOCKADE, so `net apply` never
 * deletes a VIP, and the VRRP shell deletes only addresses carrying this mark, never netsetup's.
 */
export const RTPROT_STOCKADE_VRRP = 86;

/** struct ifinfomsg: u8 family, u8 pad, u16 type, s32 index, u32 flags, u32 change. */
export const IFINFOMSG_LEN = 16;
export const IFI_OFF_FAMILY = 0;
export const IFI_OFF_TYPE = 2;
export const IFI_OFF_INDEX = 4;
export const IFI_OFF_FLAGS = 8;
export const IFI_OFF_CHANGE = 12;

/** Link attributes (IFLA_*). */
export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_MASTER = 10;
export const IFLA_PROTINFO = 12;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_LINKINFO = 18;
export const IFLA_NET_NS_PID = 19;
export const IFLA_IFALIAS = 20;
export const IFLA_AF_SPEC = 26;
export const IFLA_GROUP = 27;
export const IFLA_NET_NS_FD = 28;
export const IFLA_EXT_MASK = 29;
export const IFLA_PROMISCUITY = 30;
export const IFLA_CARRIER = 33;
export const IFLA_CARRIER_CHANGES = 35;
export const IFLA_LINK_NETNSID = 37;
export const IFLA_PROTO_DOWN = 39;
export const IFLA_CARRIER_UP_COUNT = 47;
export const IFLA_CARRIER_DOWN_COUNT = 48;
export const IFLA_MIN_MTU = 50;
export const IFLA_MAX_MTU = 51;
export const IFLA_PERM_ADDRESS = 54;
export const IFLA_PARENT_DEV_NAME = 56;
export const IFLA_PARENT_DEV_BUS_NAME = 57;

/** IFLA_EXT_MASK bits: what a link dump leaves out. */
export const RTEXT_FILTER_VF = 1 << 0;
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

/** Nested in IFLA_LINKINFO. */
export const IFLA_INFO_KIND = 1;
export const IFLA_INFO_DATA = 2;
export const IFLA_INFO_SLAVE_KIND = 4;
export const IFLA_INFO_SLAVE_DATA = 5;

/** Bond options, nested in IFLA_INFO_DATA of kind "bond". */
export const IFLA_BOND_MODE = 1; // u8
export const IFLA_BOND_ACTIVE_SLAVE = 2; // u32 ifindex
export const IFLA_BOND_MIIMON = 3; // u32 ms
export const IFLA_BOND_UPDELAY = 4; // u32 ms
export const IFLA_BOND_DOWNDELAY = 5; // u32 ms
export const IFLA_BOND_USE_CARRIER = 6; // u8
export const IFLA_BOND_ARP_INTERVAL = 7; // u32 ms
export const IFLA_BOND_PRIMARY = 11; // u32 ifindex
export const IFLA_BOND_PRIMARY_RESELECT = 12; // u8
export const IFLA_BOND_FAIL_OVER_MAC = 13; // u8
export const IFLA_BOND_XMIT_HASH_POLICY = 14; // u8
export const IFLA_BOND_MIN_LINKS = 18; // u32
export const IFLA_BOND_AD_LACP_RATE = 21; // u8
export const IFLA_BOND_AD_SELECT = 22; // u8

/** Bond member state, nested in IFLA_INFO_SLAVE_DATA of slave kind "bond". */
export const IFLA_BOND_SLAVE_STATE = 1; // u8: BOND_STATE_*
export const IFLA_BOND_SLAVE_MII_STATUS = 2; // u8: BOND_LINK_*
export const IFLA_BOND_SLAVE_LINK_FAILURE_COUNT = 3; // u32
export const IFLA_BOND_SLAVE_PERM_HWADDR = 4; // bytes
export const IFLA_BOND_SLAVE_QUEUE_ID = 5; // u16

export const BOND_MODE_ROUNDROBIN = 0;
export const BOND_MODE_ACTIVEBACKUP = 1;
export const BOND_MODE_XOR = 2;
export const BOND_MODE_BROADCAST = 3;
export const BOND_MODE_8023AD = 4;
export const BOND_MODE_TLB = 5;
export const BOND_MODE_ALB = 6;

export const BOND_XMIT_POLICY_LAYER2 = 0;
export const BOND_XMIT_POLICY_LAYER34 = 1;
export const BOND_XMIT_POLICY_LAYER23 = 2;
export const BOND_XMIT_POLICY_ENCAP23 = 3;
export const BOND_XMIT_POLICY_ENCAP34 = 4;
export const BOND_XMIT_POLICY_VLAN_SRCMAC = 5;

/** IFLA_BOND_AD_LACP_RATE values. */
export const BOND_LACP_RATE_SLOW = 0;
export const BOND_LACP_RATE_FAST = 1;

export const BOND_STATE_ACTIVE = 0;
export const BOND_STATE_BACKUP = 1;
export const BOND_LINK_UP = 0;
export const BOND_LINK_FAIL = 1;
export const BOND_LINK_DOWN = 2;
export const BOND_LINK_BACK = 3;

/** VLAN, nested in IFLA_INFO_DATA of kind "vlan". */
export const IFLA_VLAN_ID = 1; // u16
export const IFLA_VLAN_FLAGS = 2; // struct ifla_vlan_flags { u32 flags; u32 mask; }
export const IFLA_VLAN_PROTOCOL = 5; // be16
export const VLAN_FLAG_REORDER_HDR = 0x1;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;

/** Bridge options, nested in IFLA_INFO_DATA of kind "bridge". Times in clock_t (1/100 s). */
export const IFLA_BR_FORWARD_DELAY = 1; // u32
export const IFLA_BR_HELLO_TIME = 2; // u32
export const IFLA_BR_MAX_AGE = 3; // u32
export const IFLA_BR_AGEING_TIME = 4; // u32
export const IFLA_BR_STP_STATE = 5; // u32
export const IFLA_BR_PRIORITY = 6; // u16
export const IFLA_BR_VLAN_FILTERING = 7; // u8
export const IFLA_BR_VLAN_PROTOCOL = 8; // be16
export const IFLA_BR_NF_CALL_IPTABLES = 36; // u8
export const IFLA_BR_VLAN_DEFAULT_PVID = 39; // u16
/** USER_HZ: the unit of bridge times on the wire (clock_t). */
export const BR_CLOCK_T_PER_S = 100;

/** Bridge port, nested in IFLA_INFO_SLAVE_DATA of slave kind "bridge" (or IFLA_PROTINFO). */
export const IFLA_BRPORT_STATE = 1; // u8: BR_STATE_*
export const IFLA_BRPORT_PRIORITY = 2; // u16
export const IFLA_BRPORT_COST = 3; // u32
export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;

/** macvlan, nested in IFLA_INFO_DATA of kind "macvlan". */
export const IFLA_MACVLAN_MODE = 1; // u32
export const IFLA_MACVLAN_FLAGS = 2; // u16
export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
export const MACVLAN_MODE_PASSTHRU = 8;
export const MACVLAN_MODE_SOURCE = 16;

/** veth, nested in IFLA_INFO_DATA of kind "veth": the peer as an ifinfomsg + attributes. */
export const VETH_INFO_PEER = 1;

/** IFLA_OPERSTATE values (RFC 2863). */
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_NOTPRESENT = 1;
export const IF_OPER_DOWN = 2;
export const IF_OPER_LOWERLAYERDOWN = 3;
export const IF_OPER_TESTING = 4;
export const IF_OPER_DORMANT = 5;
export const IF_OPER_UP = 6;

/** Interface flags (IFF_*). */
export const IFF_UP = 1 << 0;
export const IFF_BROADCAST = 1 << 1;
export const IFF_LOOPBACK = 1 << 3;
export const IFF_POINTOPOINT = 1 << 4;
export const IFF_RUNNING = 1 << 6;
export const IFF_NOARP = 1 << 7;
export const IFF_PROMISC = 1 << 8;
export const IFF_MASTER = 1 << 10;
export const IFF_SLAVE = 1 << 11;
export const IFF_MULTICAST = 1 << 12;
export const IFF_LOWER_UP = 1 << 16;
export const IFF_DORMANT = 1 << 17;

/** ARPHRD_* values of ifinfomsg.ifi_type. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

/** IFNAMSIZ - 1: the longest interface name. */
export const IFNAME_MAX_LEN = 15;

/** struct ifaddrmsg: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index. */
export const IFADDRMSG_LEN = 8;
export const IFA_OFF_FAMILY = 0;
export const IFA_OFF_PREFIXLEN = 1;
export const IFA_OFF_FLAGS = 2;
export const IFA_OFF_SCOPE = 3;
export const IFA_OFF_INDEX = 4;

/** Address attributes (IFA_*). */
export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_ANYCAST = 5;
export const IFA_CACHEINFO = 6;
export const IFA_MULTICAST = 7;
export const IFA_FLAGS = 8;
export const IFA_RT_PRIORITY = 9;
export const IFA_TARGET_NETNSID = 10;
export const IFA_PROTO = 11;

/** Address flags (ifa_flags, IFA_FLAGS). */
export const IFA_F_SECONDARY = 0x01;
export const IFA_F_NODAD = 0x02;
export const IFA_F_DADFAILED = 0x08;
export const IFA_F_DEPRECATED = 0x20;
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_PERMANENT = 0x80;
export const IFA_F_NOPREFIXROUTE = 0x200;

/** struct ifa_cacheinfo: u32 prefered, u32 valid, u32 cstamp, u32 tstamp. */
export const IFA_CACHEINFO_LEN = 16;
/** Lifetime meaning "forever" in ifa_cacheinfo. */
export const INFINITY_LIFE_TIME = 0xffffffff;

/** struct rtmsg: u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags. */
export const RTMSG_LEN = 12;
export const RTM_OFF_FAMILY = 0;
export const RTM_OFF_DST_LEN = 1;
export const RTM_OFF_SRC_LEN = 2;
export const RTM_OFF_TOS = 3;
export const RTM_OFF_TABLE = 4;
export const RTM_OFF_PROTOCOL = 5;
export const RTM_OFF_SCOPE = 6;
export const RTM_OFF_TYPE = 7;
export const RTM_OFF_FLAGS = 8;

/** Route attributes (RTA_*). */
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_VIA = 18;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_EXPIRES = 23;
export const RTA_NH_ID = 30;

/** Route types (rtm_type). */
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;

/** Route protocols (rtm_protocol) the kernel itself sets or reads. */
export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;

/** Route scopes (rtm_scope). */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

/** Routing tables. rtm_table is a u8: tables above 255 travel in RTA_TABLE (rtm_table = RT_TABLE_COMPAT). */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** rtm_flags. */
export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
/** rtnh_flags, also in rtm_flags of single-path routes. */
export const RTNH_F_DEAD = 0x01;
export const RTNH_F_ONLINK = 0x04;
export const RTNH_F_LINKDOWN = 0x10;

/** struct fib_rule_hdr: u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags. */
export const FIB_RULE_HDR_LEN = 12;
export const FRH_OFF_FAMILY = 0;
export const FRH_OFF_DST_LEN = 1;
export const FRH_OFF_SRC_LEN = 2;
export const FRH_OFF_TOS = 3;
export const FRH_OFF_TABLE = 4;
export const FRH_OFF_ACTION = 7;
export const FRH_OFF_FLAGS = 8;

/** Policy rule attributes (FRA_*). */
export const FRA_DST = 1;
export const FRA_SRC = 2;
export const FRA_IIFNAME = 3;
export const FRA_GOTO = 4;
export const FRA_PRIORITY = 6;
export const FRA_FWMARK = 10;
export const FRA_FLOW = 11;
export const FRA_SUPPRESS_IFGROUP = 13;
export const FRA_SUPPRESS_PREFIXLEN = 14;
export const FRA_TABLE = 15;
export const FRA_FWMASK = 16;
export const FRA_OIFNAME = 17;
export const FRA_L3MDEV = 19;
export const FRA_PROTOCOL = 21;

/** Rule actions (fib_rule_hdr.action). */
export const FR_ACT_UNSPEC = 0;
export const FR_ACT_TO_TBL = 1;
export const FR_ACT_GOTO = 2;
export const FR_ACT_NOP = 3;
export const FR_ACT_BLACKHOLE = 6;
export const FR_ACT_UNREACHABLE = 7;
export const FR_ACT_PROHIBIT = 8;

/** Rule flags (fib_rule_hdr.flags). */
export const FIB_RULE_PERMANENT = 0x01;
export const FIB_RULE_INVERT = 0x02;
export const FIB_RULE_IIF_DETACHED = 0x08;
export const FIB_RULE_OIF_DETACHED = 0x10;
