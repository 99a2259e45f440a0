// VRRP virtual MAC interfaces, as keepalived's use_vmac makes them (vrrp_vmac.c,
// vrrp_if_config.c): a macvlan in private mode over the instance's interface carrying the
// virtual router MAC, IPv6 off (no EUI-64 link-local address from the shared MAC, RFC 5798 §7.4),
// and the sysctls that make ARP for a VIP be answered from the macvlan only:
//   macvlan  arp_ignore=1 (answer only for its own addresses), accept_local=1, rp_filter=0
//            (traffic to the VIP arrives here but routes back through the parent)
//   parent   arp_ignore=1, arp_filter=1 (never answer for a VIP with the parent's MAC), and
//            arp_announce=2 (Stockade's addition: replies from the VIP route out of the parent, and
//            an ARP request sent with the VIP as sender would re-point the asker's entry for the
//            VIP at the parent's MAC; with 2 the parent's own address is the sender)
import type { Rtnl } from './rtnetlink/client.ts';
import { MACVLAN_MODE_PRIVATE } from './rtnetlink/constants.ts';
import type { Link } from './rtnetlink/link.ts';
import { writeSysctl } from './sysctl.ts';

export interface VmacSpec {
  /** The macvlan's name (keepalived: vrrp.<VRID>). */
  name: string;
  /** The interface it sits on (the instance's). */
  parent: string;
  /** 00:00:5e:00:01:<VRID> for IPv4. */
  mac: string;
}

/** sysctl names escape a '.' inside an interface name as '/' (see sysctl.ts). */
const conf = (family: 'ipv4' | 'ipv6', ifname: string, key: string) => `net.${family}.conf.${ifname.replace(/\./g, '/')}.${key}`;

function setAll(settings: Array<[string, number]>, onProblem: (message: string) => void): void {
  for (const [name, value] of settings) {
    const r = writeSysctl(name, value);
    if (r.status === 'failed') onProblem(`${name}=${value}: ${r.reason}`);
  }
}

/**
 * Makes sure the macvlan exists over `parent` with the MAC, in private mode, up; reuses one left
 * by an earlier run. Resolves with its ifindex. Sysctl problems are reported, not fatal (IPv6 may
 * be compiled out).
 */
export async function ensureVmac(rtnl: Rtnl, spec: VmacSpec, onProblem: (message: string) => void = () => {}): Promise<number> {
  const parent = await rtnl.link(spec.parent);
  if (!parent) throw new Error(`no interface ${spec.parent} for the virtual MAC ${spec.name}`);
  let link: Link | undefined = await rtnl.link(spec.name);
  if (link && !(link.kind === 'macvlan' && link.parent === parent.index && link.address?.toLowerCase() === spec.mac)) {
    // Ours from before over an older parent (or with another MAC): only a macvlan is replaced.
    if (link.kind !== 'macvlan') throw new Error(`${spec.name} exists and is not a macvlan (kind ${link.kind ?? 'none'})`);
    await rtnl.deleteLink(link.index);
    link = undefined;
  }
  if (!link) {
    await rtnl.createLink({ name: spec.name, parent: parent.index, address: spec.mac, info: { kind: 'macvlan', macvlan: { mode: MACVLAN_MODE_PRIVATE } } });
    link = await rtnl.link(spec.name);
    if (!link) throw new Error(`${spec.name} vanished after it was created`);
  }
  setAll([
    [conf('ipv6', spec.name, 'disable_ipv6'), 1],
    [conf('ipv4', spec.name, 'arp_ignore'), 1],
    [conf('ipv4', spec.name, 'accept_local'), 1],
    [conf('ipv4', spec.name, 'rp_filter'), 0],
    [conf('ipv4', spec.parent, 'arp_ignore'), 1],
    [conf('ipv4', spec.parent, 'arp_filter'), 1],
    [conf('ipv4', spec.parent, 'arp_announce'), 2],
  ], onProblem);
  await rtnl.changeLink({ index: link.index, up: true });
  return link.index;
}

/** Deletes the macvlan if it is there (and is one). */
export async function removeVmac(rtnl: Rtnl, name: string): Promise<void> {
  const link = await rtnl.link(name);
  if (link?.kind === 'macvlan') await rtnl.deleteLink(link.index);
}
