// The mark on what the DHCP client path (`stockade net dhcp-event`, run by busybox udhcpc) adds:
// IFA_PROTO of the leased address and rtm_protocol of its default route. Not RTPROT_STOCKADE
// (83), so `net apply` never deletes a lease as "owned and not in the config", and the DHCP path
// deletes only what carries this mark, never netsetup's objects. 84 ('T') is not in iproute2's
// rt_protos list (its "dhcp" is 16, which other DHCP clients use: not ours to delete).
export const RTPROT_STOCKADE_DHCP = 84;

/** IFA_CACHEINFO lifetime meaning "forever" (INFINITY_LIFE_TIME). */
export const INFINITY_LIFE_TIME = 0xffffffff;
