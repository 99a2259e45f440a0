// How Stockade marks what it owns in the kernel, so that an apply deletes only its own objects
// and never an interface, address, route or rule that someone else made (an admin, the DHCP
// client, the VRRP daemon's VIPs).
//
// - Links it creates (bonds, VLANs, bridges): the interface alias (IFLA_IFALIAS) "stockade", or
//   "stockade: <description>". Links have no protocol field; the alias is kept by the kernel for
//   the link's life, shown by `ip link`, and settable without bouncing the link. Ports are
//   never deleted, so they carry no mark.
// - Addresses: IFA_PROTO = RTPROT_STOCKADE (kernel >= 6.1), updated in place with NLM_F_REPLACE
//   when an existing address is adopted.
// - Routes: rtm_protocol = RTPROT_STOCKADE (the field routing daemons use for the same purpose).
// - Policy rules: FRA_PROTOCOL = RTPROT_STOCKADE (kernel >= 4.17).
// - The DHCP client path marks its lease address and default route RTPROT_STOCKADE_DHCP: the
//   reconcile neither deletes, adopts nor changes those (see dhcpMarked); only the DHCP path does.
import { RTPROT_STOCKADE, RTPROT_STOCKADE_DHCP, type Address, type Link, type Route, type Rule } from '../kernel/rtnetlink/index.ts';

export const LINK_MARK = 'stockade';
/** IFALIASZ - 1. */
const ALIAS_MAX_BYTES = 255;

export { RTPROT_STOCKADE, RTPROT_STOCKADE_DHCP };

export function aliasFor(description: string | undefined): string {
  if (description === undefined || description === '') return LINK_MARK;
  let alias = `${LINK_MARK}: ${description}`;
  while (Buffer.byteLength(alias) > ALIAS_MAX_BYTES) alias = alias.slice(0, -1);
  return alias;
}

export function ownsLink(l: Link): boolean {
  // A port (no kind) is never Stockade's to delete, whatever its alias says.
  return l.kind !== undefined && (l.alias === LINK_MARK || (l.alias?.startsWith(`${LINK_MARK}: `) ?? false));
}

export function ownsAddress(a: Address): boolean {
  return a.protocol === RTPROT_STOCKADE;
}

export function ownsRoute(r: Route): boolean {
  return r.protocol === RTPROT_STOCKADE;
}

export function ownsRule(r: Rule): boolean {
  return r.protocol === RTPROT_STOCKADE;
}

/** Added by `stockade net dhcp-event` (a lease): the reconcile leaves it alone. */
export function dhcpMarked(o: Address | Route): boolean {
  return o.protocol === RTPROT_STOCKADE_DHCP;
}
