// The network as the config wants it, in the kernel's terms: links (ports, bonds, VLANs,
// bridges) with their settings and masters, addresses, routes, policy rules and sysctls. Pure:
// built from a validated config (defaults filled in), compared with the kernel by plan.ts.
import type { Config } from '../config/index.ts';
import { mustParseIpv4, parsePrefix, type Ipv4 } from '../common/index.ts';
import { BR_CLOCK_T_PER_S, RT_TABLE_MAIN, type RuleSelector } from '../kernel/rtnetlink/index.ts';
import { aliasFor } from './ownership.ts';
import type { BondMode, RouteType, RuleAction, XmitHashPolicy } from './words.ts';
import { LACP_RATE_MODES, PRIMARY_MODES, XMIT_HASH_MODES } from './words.ts';

interface LinkBase {
  name: string;
  /** Admin state wanted. */
  up: boolean;
  /** MTU to set; undefined: not managed (the kernel's or the master's choice). */
  mtu?: number;
  /** MAC override; undefined: not managed. */
  mac?: string;
  /** Bond or bridge this link is a member of. */
  master?: string;
}

export interface DesiredPort extends LinkBase {
  kind: 'port';
  /** No MAC override and not a bond member: put the NIC's own MAC back if it was changed. */
  restorePermanentMac: boolean;
}

export interface DesiredBond extends LinkBase {
  kind: 'bond';
  alias: string;
  mode: BondMode;
  miimonMs: number;
  updelayMs: number;
  downdelayMs: number;
  minLinks: number;
  /** Only in the modes the kernel takes them in (words.ts). */
  lacpRate?: 'slow' | 'fast';
  xmitHashPolicy?: XmitHashPolicy;
  primary?: string;
  members: string[];
}

export interface DesiredVlan extends LinkBase {
  kind: 'vlan';
  alias: string;
  parent: string;
  id: number;
}

export interface DesiredBridge extends LinkBase {
  kind: 'bridge';
  alias: string;
  stp: boolean;
  priority: number;
  forwardDelayCs: number;
  helloTimeCs: number;
  maxAgeCs: number;
  ageingTimeCs: number;
  vlanFiltering: boolean;
  members: string[];
}

export type DesiredLink = DesiredPort | DesiredBond | DesiredVlan | DesiredBridge;

// Addresses are IPv4 numbers from here to the encoders (rtnetlink/inet.ts); text only in messages.

export interface DesiredAddress {
  interface: string;
  local: Ipv4;
  prefixLength: number;
  /** Set at creation (as `ip addr add ... brd +`); not compared afterwards. */
  broadcast?: Ipv4;
}

export interface DesiredRoute {
  table: number;
  /** Network address; 0 with length 0 for the default route. */
  dst: Ipv4;
  dstLength: number;
  type: RouteType;
  gateway?: Ipv4;
  interface?: string;
  metric: number;
  source?: Ipv4;
}

export interface DesiredRule extends RuleSelector<Ipv4> {
  priority: number;
  action: RuleAction;
  /** 0 for the drop actions. */
  table: number;
}

export interface DesiredSysctl {
  name: string;
  value: string;
}

export interface DesiredNetwork {
  /** Ports, then bonds, VLANs, bridges, each in config order. */
  links: DesiredLink[];
  addresses: DesiredAddress[];
  routes: DesiredRoute[];
  rules: DesiredRule[];
  sysctls: DesiredSysctl[];
  /** Interfaces whose address comes from DHCP (the DHCP client's job, not the apply's). */
  dhcp: string[];
}

function cidr(text: string): { address: Ipv4; length: number } {
  const p = parsePrefix(text);
  if (!p) throw new Error(`not a CIDR: ${text}`);
  return { address: p.network, length: p.length };
}

export function desiredFromConfig(config: Config): DesiredNetwork {
  const { addresses, dhcp } = desiredAddresses(config);
  return { links: desiredLinks(config), addresses, routes: desiredRoutes(config), rules: desiredRules(config), sysctls: desiredSysctls(config), dhcp };
}

/** Ports, bonds, VLANs and bridges with their settings, each with its master (bond or bridge). */
function desiredLinks(config: Config): DesiredLink[] {
  const { ports, bonds, vlans, bridges } = config.interfaces;
  const masterOf = new Map<string, string>();
  for (const b of bonds) for (const m of b.members) masterOf.set(m, b.name);
  for (const b of bridges) for (const m of b.members) masterOf.set(m, b.name);
  const bondMembers = new Set(bonds.flatMap((b) => b.members));
  const withMaster = <T extends LinkBase>(l: T): T => {
    const m = masterOf.get(l.name);
    return m === undefined ? l : { ...l, master: m };
  };

  const links: DesiredLink[] = [];
  for (const p of ports) {
    const inBond = bondMembers.has(p.name);
    links.push(withMaster({
      kind: 'port',
      name: p.name,
      up: p.enabled,
      // A bond sets its members' MTU (and, in most modes, their MAC) itself.
      ...(inBond ? {} : { mtu: p.mtu }),
      ...(p.mac !== undefined && !inBond ? { mac: p.mac.toLowerCase() } : {}),
      restorePermanentMac: p.mac === undefined && !inBond,
    }));
  }
  for (const b of bonds) {
    links.push(withMaster({
      kind: 'bond',
      name: b.name,
      alias: aliasFor(b.description),
      up: b.enabled,
      mtu: b.mtu,
      ...(b.mac !== undefined ? { mac: b.mac.toLowerCase() } : {}),
      mode: b.mode,
      miimonMs: b.miimon_ms,
      updelayMs: b.updelay_ms,
      downdelayMs: b.downdelay_ms,
      minLinks: b.min_links,
      ...(LACP_RATE_MODES.includes(b.mode) ? { lacpRate: b.lacp_rate } : {}),
      ...(XMIT_HASH_MODES.includes(b.mode) ? { xmitHashPolicy: b.xmit_hash_policy } : {}),
      ...(b.primary !== undefined && PRIMARY_MODES.includes(b.mode) ? { primary: b.primary } : {}),
      members: [...b.members],
    }));
  }
  for (const v of vlans) {
    links.push(withMaster({
      kind: 'vlan',
      name: v.name,
      alias: aliasFor(v.description),
      up: v.enabled,
      ...(v.mtu !== undefined ? { mtu: v.mtu } : {}),
      ...(v.mac !== undefined ? { mac: v.mac.toLowerCase() } : {}),
      parent: v.parent,
      id: v.id,
    }));
  }
  for (const b of bridges) {
    links.push({
      kind: 'bridge',
      name: b.name,
      alias: aliasFor(b.description),
      up: b.enabled,
      ...(b.mtu !== undefined ? { mtu: b.mtu } : {}),
      ...(b.mac !== undefined ? { mac: b.mac.toLowerCase() } : {}),
      stp: b.stp,
      priority: b.priority,
      forwardDelayCs: b.forward_delay_s * BR_CLOCK_T_PER_S,
      helloTimeCs: b.hello_time_s * BR_CLOCK_T_PER_S,
      maxAgeCs: b.max_age_s * BR_CLOCK_T_PER_S,
      ageingTimeCs: b.ageing_time_s * BR_CLOCK_T_PER_S,
      vlanFiltering: b.vlan_filtering,
      members: [...b.members],
    });
  }
  return links;
}

/** Static addresses (with the broadcast `ip addr add ... brd +` would set), and the DHCP interfaces. */
function desiredAddresses(config: Config): { addresses: DesiredAddress[]; dhcp: string[] } {
  const addresses: DesiredAddress[] = [];
  const dhcp: string[] = [];
  for (const entry of config.addresses) {
    if (entry.dhcp) dhcp.push(entry.interface);
    for (const text of entry.static) {
      const p = parsePrefix(text)!;
      addresses.push({
        interface: entry.interface,
        local: p.address,
        prefixLength: p.length,
        ...(p.length <= 30 ? { broadcast: p.broadcast } : {}),
      });
    }
  }
  return { addresses, dhcp };
}

function desiredRoutes(config: Config): DesiredRoute[] {
  const routes: DesiredRoute[] = config.routes.map((r) => {
    const dst = r.destination === 'default' ? { address: 0, length: 0 } : cidr(r.destination);
    return {
      table: r.table ?? RT_TABLE_MAIN,
      dst: dst.address,
      dstLength: dst.length,
      type: r.type,
      metric: r.metric,
      ...(r.gateway !== undefined ? { gateway: mustParseIpv4(r.gateway) } : {}),
      ...(r.interface !== undefined ? { interface: r.interface } : {}),
      ...(r.source !== undefined ? { source: mustParseIpv4(r.source) } : {}),
    };
  });
  return routes;
}

function desiredRules(config: Config): DesiredRule[] {
  const rules: DesiredRule[] = config.routing_rules.map((r) => {
    // A /0 selector matches everything: the kernel keeps no selector for it.
    const selector = (t: string | undefined): { address: Ipv4; length: number } | undefined => {
      if (t === undefined) return undefined;
      const c = cidr(t.includes('/') ? t : `${t}/32`);
      return c.length === 0 ? undefined : c;
    };
    const from = selector(r.from);
    const to = selector(r.to);
    return {
      priority: r.priority,
      srcLength: from?.length ?? 0,
      dstLength: to?.length ?? 0,
      action: r.action,
      table: r.action === 'lookup' ? (r.table ?? RT_TABLE_MAIN) : 0,
      ...(from ? { src: from.address } : {}),
      ...(to ? { dst: to.address } : {}),
      ...(r.in_interface !== undefined ? { iifname: r.in_interface } : {}),
      ...(r.out_interface !== undefined ? { oifname: r.out_interface } : {}),
      ...(r.fwmark !== undefined ? { fwmark: r.fwmark } : {}),
      ...(r.fwmark !== undefined || r.fwmask !== undefined ? { fwmask: r.fwmask ?? 0xffffffff } : {}),
    };
  });
  return rules;
}

function desiredSysctls(config: Config): DesiredSysctl[] {
  const sysctls: DesiredSysctl[] = Object.entries(config.sysctls).map(([name, value]) => ({ name, value: String(value) }));
  return sysctls;
}
