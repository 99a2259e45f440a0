// The few rtnetlink constants the link dump needs (Linux uapi linux/rtnetlink.h,
// linux/if_link.h, linux/if.h). The full rtnetlink codec adds to this file.

export const AF_UNSPEC = 0;

/** Message types. */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;

/** Multicast group numbers (for NETLINK_ADD_MEMBERSHIP). */
export const RTNLGRP_LINK = 1;

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
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;

/** Interface flags (IFF_*). */
export const IFF_UP = 1 << 0;
export const IFF_BROADCAST = 1 << 1;
export const IFF_LOOPBACK = 1 << 3;
export const IFF_RUNNING = 1 << 6;
export const IFF_NOARP = 1 << 7;
export const IFF_MULTICAST = 1 << 12;
export const IFF_LOWER_UP = 1 << 16;

/** ARPHRD_* values of ifinfomsg.ifi_type. */
export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
