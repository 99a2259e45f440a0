// The DHCP client's events (busybox udhcpc runs its script with $1 = deconfig | bound | renew |
// leasefail | nak and the lease in the environment: interface, ip, mask or subnet, router, dns,
// domain, lease, broadcast). bound/renew put the leased address and a default route via the
// router on the interface; deconfig takes them off. Everything this adds carries the DHCP mark
// (RTPROT_STOCKADE_DHCP), and this deletes only what carries it: never netsetup's objects (83),
// VRRP's VIPs, or anyone else's.
import { formatIpv4, maskOf, parseIpv4 } from '../common/index.ts';
import { AF_INET, INFINITY_LIFE_TIME, RTN_UNICAST, RTPROT_STOCKADE_DHCP, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, type Address, type AddressRequest, type Route, type RouteRequest, type RtnlApi } from '../kernel/rtnetlink/index.ts';
import { kernelCode } from './errors.ts';

export const DHCP_EVENTS = ['deconfig', 'bound', 'renew', 'leasefail', 'nak'] as const;
export type DhcpEventKind = (typeof DHCP_EVENTS)[number];

export interface Lease {
  local: string;
  prefixLength: number;
  broadcast?: string;
  /** The first router the server offered. */
  router?: string;
  dns: string[];
  domain?: string;
  /** Seconds; undefined when the server sent none (then the address is permanent). */
  seconds?: number;
}

export type DhcpEvent =
  | { kind: 'bound'; interface: string; lease: Lease }
  | { kind: 'renew'; interface: string; lease: Lease }
  | { kind: 'deconfig'; interface: string }
  | { kind: 'leasefail'; interface: string }
  | { kind: 'nak'; interface: string };

/** The event or its environment is not what udhcpc sends: nothing was touched. */
export class DhcpEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DhcpEventError';
  }
}

const IFNAME = /^[^\s/:]{1,15}$/;

function ipv4(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  const v = parseIpv4(text);
  if (v === undefined) throw new DhcpEventError(`${name}='${text}' is not an IPv4 address`);
  return formatIpv4(v);
}

function ipv4List(env: Readonly<Record<string, string | undefined>>, name: string): string[] {
  const words = (env[name] ?? '').split(/\s+/).filter((w) => w !== '');
  return words.map((w) => {
    const v = parseIpv4(w);
    if (v === undefined) throw new DhcpEventError(`${name} has '${w}', not an IPv4 address`);
    return formatIpv4(v);
  });
}

/** mask= (busybox: the prefix length) or subnet= (the dotted netmask, which must be contiguous). */
function prefixLength(env: Readonly<Record<string, string | undefined>>): number {
  const mask = env.mask?.trim();
  if (mask !== undefined && mask !== '') {
    if (!/^\d{1,2}$/.test(mask) || Number(mask) < 1 || Number(mask) > 32) throw new DhcpEventError(`mask='${mask}' is not a prefix length 1-32`);
    return Number(mask);
  }
  const subnet = env.subnet?.trim();
  if (subnet === undefined || subnet === '') throw new DhcpEventError('neither mask nor subnet is set');
  const v = parseIpv4(subnet);
  if (v === undefined) throw new DhcpEventError(`subnet='${subnet}' is not a netmask`);
  for (let len = 1; len <= 32; len++) if (maskOf(len) >>> 0 === v >>> 0) return len;
  throw new DhcpEventError(`subnet='${subnet}' is not a contiguous netmask`);
}

/** The event from udhcpc's argv ($1) and environment. Throws DhcpEventError. */
export function parseDhcpEvent(args: readonly string[], env: Readonly<Record<string, string | undefined>>): DhcpEvent {
  if (args.length !== 1) throw new DhcpEventError(`expected one event (${DHCP_EVENTS.join(', ')}), got ${args.length === 0 ? 'none' : args.length}`);
  const kind = args[0] as DhcpEventKind;
  if (!DHCP_EVENTS.includes(kind)) throw new DhcpEventError(`unknown event '${args[0]}' (expected ${DHCP_EVENTS.join(', ')})`);
  const ifname = env.interface?.trim();
  if (ifname === undefined || ifname === '') throw new DhcpEventError('interface is not set');
  if (!IFNAME.test(ifname)) throw new DhcpEventError(`interface='${ifname}' is not an interface name`);
  if (kind !== 'bound' && kind !== 'renew') return { kind, interface: ifname };

  const local = ipv4(env, 'ip');
  if (local === undefined) throw new DhcpEventError(`${kind} without ip`);
  const lease: Lease = { local, prefixLength: prefixLength(env), dns: ipv4List(env, 'dns') };
  const broadcast = ipv4(env, 'broadcast');
  if (broadcast !== undefined) lease.broadcast = broadcast;
  const router = ipv4List(env, 'router')[0];
  if (router !== undefined) lease.router = router;
  const domain = env.domain?.trim();
  if (domain !== undefined && /^[A-Za-z0-9.-]{1,253}$/.test(domain)) lease.domain = domain;
  const seconds = env.lease?.trim();
  if (seconds !== undefined && seconds !== '') {
    if (!/^\d{1,10}$/.test(seconds) || Number(seconds) > INFINITY_LIFE_TIME) throw new DhcpEventError(`lease='${seconds}' is not a number of seconds`);
    lease.seconds = Number(seconds);
  }
  return { kind, interface: ifname, lease };
}

function leaseAddressRequest(index: number, lease: Lease): AddressRequest {
  const life = lease.seconds === undefined ? INFINITY_LIFE_TIME : lease.seconds;
  return {
    index, local: lease.local, prefixLength: lease.prefixLength, protocol: RTPROT_STOCKADE_DHCP,
    ...(lease.broadcast !== undefined ? { broadcast: lease.broadcast } : {}),
    validLifetime: life, preferredLifetime: life,
  };
}

function isDefaultMain(r: Route): boolean {
  return r.family === AF_INET && r.dstLength === 0 && r.table === RT_TABLE_MAIN && (r.metric ?? 0) === 0 && r.tos === 0;
}

function defaultRouteRequest(index: number, gateway: string): RouteRequest {
  return { dst: '0.0.0.0', dstLength: 0, table: RT_TABLE_MAIN, protocol: RTPROT_STOCKADE_DHCP, scope: RT_SCOPE_UNIVERSE, type: RTN_UNICAST, gateway, oif: index };
}

/** Deleting what may already be gone (the kernel drops routes with their address) is not an error. */
async function gone(p: Promise<void>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (e) {
    if (['ENOENT', 'ESRCH', 'EADDRNOTAVAIL', 'ENODEV'].includes(kernelCode(e) ?? '')) return false;
    throw e;
  }
}

function addrText(a: { local?: string | undefined; prefixLength: number }, ifname: string): string {
  return `address ${a.local}/${a.prefixLength} on ${ifname}`;
}

async function indexOf(kernel: RtnlApi, ifname: string): Promise<number> {
  const link = await kernel.link(ifname);
  if (link === undefined) throw new DhcpEventError(`no interface ${ifname}`);
  return link.index;
}

function dhcpAddressesOn(all: readonly Address[], index: number): Address[] {
  return all.filter((a) => a.family === AF_INET && a.index === index && a.protocol === RTPROT_STOCKADE_DHCP && a.local !== undefined);
}

/** Removes the DHCP-marked routes and addresses of one interface. Returns what it did, one line each. */
export async function clearDhcp(kernel: RtnlApi, ifname: string, index?: number): Promise<string[]> {
  const ix = index ?? (await kernel.link(ifname))?.index;
  if (ix === undefined) return [];
  const done: string[] = [];
  for (const r of await kernel.routes(AF_INET)) {
    if (r.protocol !== RTPROT_STOCKADE_DHCP || r.oif !== ix) continue;
    const req: RouteRequest = { dstLength: r.dstLength, ...(r.dst !== undefined ? { dst: r.dst } : {}), tos: r.tos, table: r.table, protocol: r.protocol, ...(r.metric !== undefined ? { metric: r.metric } : {}), oif: ix };
    if (await gone(kernel.deleteRoute(req))) done.push(`deleted route ${r.dstLength === 0 ? 'default' : `${r.dst}/${r.dstLength}`}${r.gateway ? ` via ${r.gateway}` : ''} on ${ifname}`);
  }
  for (const a of dhcpAddressesOn(await kernel.addresses(AF_INET), ix)) {
    if (await gone(kernel.deleteAddress({ index: ix, local: a.local!, prefixLength: a.prefixLength }))) done.push(`deleted ${addrText(a, ifname)}`);
  }
  return done;
}

/**
 * bound/renew: the lease's address on the interface (its lifetimes refreshed in place when it is
 * already there; an older DHCP address replaced; the link is not touched) and the default route
 * via its router. Objects of someone else with the same key are left as they are.
 */
export async function applyLease(kernel: RtnlApi, ifname: string, lease: Lease): Promise<string[]> {
  const index = await indexOf(kernel, ifname);
  const done: string[] = [];
  const all = (await kernel.addresses(AF_INET)).filter((a) => a.family === AF_INET && a.index === index);
  const same = all.find((a) => a.local === lease.local && a.prefixLength === lease.prefixLength);
  // An older lease goes first: were it the primary of the same subnet, deleting it after the new
  // one was added would make the kernel delete the new one (a secondary) too.
  for (const old of dhcpAddressesOn(all, index)) {
    if (old === same) continue;
    if (await gone(kernel.deleteAddress({ index, local: old.local!, prefixLength: old.prefixLength }))) done.push(`deleted ${addrText(old, ifname)} (an older lease)`);
  }
  const req = leaseAddressRequest(index, lease);
  const life = lease.seconds === undefined ? 'forever' : `${lease.seconds}s`;
  if (same === undefined) {
    await kernel.addAddress(req);
    done.push(`added ${addrText(lease, ifname)} (lease ${life})`);
  } else if (same.protocol === RTPROT_STOCKADE_DHCP) {
    await kernel.addAddress(req, { replace: true });
    done.push(`renewed ${addrText(lease, ifname)} (lease ${life})`);
  } else {
    done.push(`left ${addrText(lease, ifname)} as it is (there already, not added by DHCP)`);
  }

  const routes = await kernel.routes(AF_INET);
  const cur = routes.find(isDefaultMain);
  if (lease.router === undefined) {
    if (cur !== undefined && cur.protocol === RTPROT_STOCKADE_DHCP && cur.oif === index) {
      if (await gone(kernel.deleteRoute({ dst: '0.0.0.0', dstLength: 0, table: RT_TABLE_MAIN, protocol: RTPROT_STOCKADE_DHCP, oif: index }))) {
        done.push(`deleted route default on ${ifname} (the lease has no router)`);
      }
    }
    return done;
  }
  const want = defaultRouteRequest(index, lease.router);
  if (cur === undefined) {
    await kernel.addRoute(want);
    done.push(`added route default via ${lease.router} on ${ifname}`);
  } else if (cur.protocol === RTPROT_STOCKADE_DHCP) {
    if (cur.gateway !== lease.router || cur.oif !== index) {
      await kernel.addRoute(want, { replace: true });
      done.push(`changed route default to via ${lease.router} on ${ifname}`);
    }
  } else {
    done.push(`left route default as it is (${cur.gateway ? `via ${cur.gateway}, ` : ''}not added by DHCP)`);
  }
  return done;
}
