// Socket-level constants (Linux uapi: asm-generic/socket.h, linux/in.h, linux/if_ether.h,
// linux/if_packet.h). Values are the same on x86_64 and arm64.

export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_RCVBUFFORCE = 33;

export const IPPROTO_IP = 0;
/** VRRP (RFC 5798); CARP uses the same number. */
export const IPPROTO_VRRP = 112;

export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IP_RECVTTL = 12;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_MULTICAST_ALL = 49;

/** Ethertypes (host order; the addon converts). */
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_ALEN = 6;
export const ETH_HLEN = 14;

/** sockaddr_ll.sll_pkttype: how a received frame was addressed. */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
