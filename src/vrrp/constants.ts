// VRRP wire constants (RFC 3768 for version 2, RFC 5798 / RFC 9568 for version 3, IPv4 only).
// The one place for VRRP's numbers; everything else in src/vrrp/ names them from here.

export const VRRP_PROTOCOL = 112;
export const VRRP_MULTICAST_GROUP = '224.0.0.18';
export const VRRP_TTL = 255;

export const VRRP_VERSION_2 = 2;
export const VRRP_VERSION_3 = 3;
export const VRRP_TYPE_ADVERTISEMENT = 1;

export const HEADER_LENGTH = 8;
export const IPV4_ADDRESS_LENGTH = 4;
/** Version 2 always carries 8 bytes of authentication data after the addresses (zero if none). */
export const V2_AUTH_DATA_LENGTH = 8;
export const MAX_ADDRESSES = 255;

/** Version 2 authentication types (RFC 2338; removed by RFC 3768, still sent by keepalived). */
export const AUTH_NONE = 0;
export const AUTH_SIMPLE_PASSWORD = 1;
/** IPsec AH: IP protocol 51 in front of VRRP; out of scope here (dropped as an unsupported type). */
export const AUTH_IPSEC_AH = 2;

export const PRIORITY_STOP = 0;
export const PRIORITY_DEFAULT = 100;
export const PRIORITY_OWNER = 255;
export const PRIORITY_MIN_TRACKED = 1;
export const PRIORITY_MAX_TRACKED = 254;

/** Version 2: advert interval in whole seconds, 1..255. */
export const V2_INTERVAL_MIN_S = 1;
export const V2_INTERVAL_MAX_S = 255;
/** Version 3: 12-bit Max Advert Interval in centiseconds, 1..4095. */
export const V3_INTERVAL_MIN_CS = 1;
export const V3_INTERVAL_MAX_CS = 0x0fff;

/** Adverts a backup misses before the master is declared down (RFC: 3). */
export const DOWN_TIMER_ADVERTS = 3;

/** IPv4 pseudo-header for the keepalived-default VRRPv3 checksum: src, dst, zero, proto, length. */
export const IPV4_PSEUDO_HEADER_LENGTH = 12;

/** keepalived's defaults for gratuitous ARP on becoming master (vrrp.h / man page). */
export const GARP_MASTER_REPEAT = 5;
export const GARP_MASTER_DELAY_MS = 5000;
