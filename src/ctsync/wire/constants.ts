// conntrackd's sync protocol, version 1 (conntrack-tools include/network.h), as confirmed against
// conntrackd 1.4.7 from Debian in the lab (fixtures: test/unit/ctsync/fixtures/).

export const PROTOCOL_VERSION = 1;

/** struct nethdr: u8 version<<4|type, u8 flags, be16 len, be32 seq. */
export const NETHDR_LEN = 8;
/** struct nethdr_ack: nethdr + be32 from + be32 to (ACK, NACK, RESYNC). */
export const NETHDR_ACK_LEN = 16;
export const HDR_OFF_VERTYPE = 0;
export const HDR_OFF_FLAGS = 1;
export const HDR_OFF_LEN = 2;
export const HDR_OFF_SEQ = 4;
export const HDR_OFF_FROM = 8;
export const HDR_OFF_TO = 12;
export const VERSION_SHIFT = 4;
export const TYPE_MASK = 0x0f;

/** conntrackd builds each message in a 4096-byte buffer: nothing longer is valid. */
export const MAX_MESSAGE_LEN = 4096;
/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_LEN = 65507;

/** Message types (low nibble). */
export const NET_T_STATE_CT_NEW = 0;
export const NET_T_STATE_CT_UPD = 1;
export const NET_T_STATE_CT_DEL = 2;
export const NET_T_STATE_EXP_NEW = 3;
export const NET_T_STATE_EXP_UPD = 4;
export const NET_T_STATE_EXP_DEL = 5;
export const NET_T_STATE_MAX = 5;
export const NET_T_CTL = 10;

/** Flags. */
export const NET_F_RESYNC = 0x02;
export const NET_F_NACK = 0x04;
export const NET_F_ACK = 0x08;
export const NET_F_ALIVE = 0x10;
export const NET_F_HELLO = 0x20;
export const NET_F_HELLO_BACK = 0x40;
export const HELLO_FLAGS = NET_F_HELLO | NET_F_HELLO_BACK;

/** TLV attribute header: be16 len (header included, padding not), be16 type; payload padded to 4. */
export const NTA_HDR_LEN = 4;
export const NTA_ALIGN = 4;

/** Conntrack attribute types (enum nta_attr). */
export const NTA_IPV4 = 0;
export const NTA_IPV6 = 1;
export const NTA_L4PROTO = 2;
export const NTA_PORT = 3;
export const NTA_TCP_STATE = 4;
export const NTA_STATUS = 5;
export const NTA_TIMEOUT = 6;
export const NTA_MARK = 7;
export const NTA_MASTER_IPV4 = 8;
export const NTA_MASTER_IPV6 = 9;
export const NTA_MASTER_L4PROTO = 10;
export const NTA_MASTER_PORT = 11;
export const NTA_SNAT_IPV4 = 12;
export const NTA_DNAT_IPV4 = 13;
export const NTA_SPAT_PORT = 14;
export const NTA_DPAT_PORT = 15;
export const NTA_NAT_SEQ_ADJ = 16;
export const NTA_SCTP_STATE = 17;
export const NTA_SCTP_VTAG_ORIG = 18;
export const NTA_SCTP_VTAG_REPL = 19;
export const NTA_DCCP_STATE = 20;
export const NTA_DCCP_ROLE = 21;
export const NTA_ICMP_TYPE = 22;
export const NTA_ICMP_CODE = 23;
export const NTA_ICMP_ID = 24;
export const NTA_TCP_WSCALE_ORIG = 25;
export const NTA_TCP_WSCALE_REPL = 26;
export const NTA_HELPER_NAME = 27;
export const NTA_LABELS = 28;
export const NTA_SNAT_IPV6 = 29;
export const NTA_DNAT_IPV6 = 30;
export const NTA_SYNPROXY = 31;
export const NTA_ZONE = 32;
export const NTA_MAX = 33;

/** Payload size of each fixed-size attribute; conntrackd rejects any other length. */
export const NTA_SIZE: ReadonlyMap<number, number> = new Map([
  [NTA_IPV4, 8], [NTA_IPV6, 32], [NTA_L4PROTO, 1], [NTA_PORT, 4], [NTA_TCP_STATE, 1], [NTA_STATUS, 4],
  [NTA_TIMEOUT, 4], [NTA_MARK, 4], [NTA_MASTER_IPV4, 8], [NTA_MASTER_IPV6, 32], [NTA_MASTER_L4PROTO, 1],
  [NTA_MASTER_PORT, 4], [NTA_SNAT_IPV4, 4], [NTA_DNAT_IPV4, 4], [NTA_SPAT_PORT, 2], [NTA_DPAT_PORT, 2],
  [NTA_NAT_SEQ_ADJ, 24], [NTA_SCTP_STATE, 1], [NTA_SCTP_VTAG_ORIG, 4], [NTA_SCTP_VTAG_REPL, 4],
  [NTA_DCCP_STATE, 1], [NTA_DCCP_ROLE, 1], [NTA_ICMP_TYPE, 1], [NTA_ICMP_CODE, 1], [NTA_ICMP_ID, 2],
  [NTA_TCP_WSCALE_ORIG, 1], [NTA_TCP_WSCALE_REPL, 1], [NTA_SNAT_IPV6, 16], [NTA_DNAT_IPV6, 16],
  [NTA_SYNPROXY, 12], [NTA_ZONE, 2],
]);
/** NFCT_HELPER_NAME_MAX: conntrackd counts the 4-byte header toward it. */
export const NTA_HELPER_NAME_MAX_LEN = 16;
/** Labels: at most 1024 bytes of words. */
export const NTA_LABELS_MAX_LEN = 1028;

/** IP protocols that carry NTA_PORT. */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_UDP = 17;
export const IPPROTO_DCCP = 33;
export const IPPROTO_SCTP = 132;
export const IPPROTO_UDPLITE = 136;
export const PORT_PROTOCOLS: ReadonlySet<number> = new Set([IPPROTO_TCP, IPPROTO_UDP, IPPROTO_DCCP, IPPROTO_SCTP, IPPROTO_UDPLITE]);

/** IPS_* bits the codec looks at (same values as the kernel's). */
export const IPS_EXPECTED = 1 << 0;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;

/** Default sync port (conntrackd's examples and Stockade's schema). */
export const DEFAULT_PORT = 3780;
