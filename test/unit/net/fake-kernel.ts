// An in-memory kernel behind the RtnlApi interface, for the reconcile's unit tests: links
// (NICs, bonds, VLANs, bridges), addresses, routes, rules and sysctls, with the refusals the
// real kernel gives that the reconcile must respect (a bond member must be down to join, a
// name is unique, a VLAN needs its parent, a kind needs its module, ...), and injected
// failures. It counts writes like Rtnl does. (Not a test file.)
import { NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import type { Address, AddressRequest } from '../../../src/kernel/rtnetlink/address.ts';
import type { RtnlApi } from '../../../src/kernel/rtnetlink/client.ts';
import {
  AF_INET, ARPHRD_ETHER, ETH_P_8021Q, IFF_LOWER_UP, IFF_UP, RT_SCOPE_LINK, RT_TABLE_MAIN, RTN_UNICAST, RTPROT_KERNEL, RTPROT_STATIC,
} from '../../../src/kernel/rtnetlink/constants.ts';
import type { ChangeLinkRequest, Link, NewLinkRequest } from '../../../src/kernel/rtnetlink/link.ts';
import { routeMatches } from '../../../src/kernel/rtnetlink/route.ts';
import type { Route, RouteDumpFilter, RouteRequest } from '../../../src/kernel/rtnetlink/route.ts';
import type { Rule, RuleRequest } from '../../../src/kernel/rtnetlink/rule.ts';
import { ipText, type IpAddress } from '../../../src/kernel/rtnetlink/inet.ts';
import type { SysctlApi } from '../../../src/net/action.ts';

const E = { ENETDOWN: -100, EPERM: -1, ENOENT: -2, ESRCH: -3, EBUSY: -16, EEXIST: -17, ENODEV: -19, EINVAL: -22, EOPNOTSUPP: -95, EADDRNOTAVAIL: -99, ENETUNREACH: -101, ENOTEMPTY: -39 };

export type Op = { op: string; name?: string; req?: unknown };

function refuse(errno: number, message?: string): never {
  throw new NetlinkError(errno, 0, message !== undefined ? { message } : {});
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

export class FakeKernel implements RtnlApi {
  writes = 0;
  /** The filter of each route dump, in order. */
  routeDumps: RouteDumpFilter[] = [];
  /** The dumps asked for, in order ("links", "routes proto 83", ...). */
  reads: string[] = [];
  readonly linkTable = new Map<number, Link>();
  addressList: Address[] = [];
  routeList: Route[] = [];
  ruleList: Rule[] = [];
  /** Kinds whose module is "loaded". */
  kinds = new Set(['bond', 'bridge', 'vlan', 'macvlan', 'veth', 'dummy']);
  /** Throws the returned error instead of doing the op. */
  failWith: ((op: Op) => NetlinkError | undefined) | undefined;
  log: string[] = [];
  #nextIndex = 2;
  #primaryName = new Map<number, string>();

  constructor() {
    this.linkTable.set(1, { index: 1, name: 'lo', flags: IFF_UP | IFF_LOWER_UP, type: 772, mtu: 65536, address: '00:00:00:00:00:00' });
    this.ruleList = [
      { family: AF_INET, action: 1, table: 255, flags: 0, tos: 0, srcLength: 0, dstLength: 0, protocol: 2 },
      { family: AF_INET, action: 1, table: 254, flags: 0, tos: 0, srcLength: 0, dstLength: 0, priority: 32766, protocol: 2 },
      { family: AF_INET, action: 1, table: 253, flags: 0, tos: 0, srcLength: 0, dstLength: 0, priority: 32767, protocol: 2 },
    ];
  }

  /** A NIC (veth-like: no permanent address unless given). */
  addNic(name: string, opts: { up?: boolean; mac?: string; maxMtu?: number; perm?: string } = {}): Link {
    const index = this.#nextIndex++;
    const l: Link = {
      index, name, flags: opts.up === false ? 0 : IFF_UP | IFF_LOWER_UP, type: ARPHRD_ETHER, mtu: 1500,
      address: opts.mac ?? `52:54:00:00:00:${index.toString(16).padStart(2, '0')}`, maxMtu: opts.maxMtu ?? 9000,
      ...(opts.perm !== undefined ? { permAddress: opts.perm } : {}),
    };
    this.linkTable.set(index, l);
    return l;
  }

  byName(name: string): Link | undefined {
    return [...this.linkTable.values()].find((l) => l.name === name);
  }

  #check(op: Op): void {
    const e = this.failWith?.(op);
    if (e !== undefined) throw e;
  }

  #write(op: Op): void {
    this.writes++;
    this.log.push(`${op.op}${op.name !== undefined ? ` ${op.name}` : ''}`);
    this.#check(op);
  }

  // --- links
  async links(): Promise<Link[]> {
    this.reads.push('links');
    return [...this.linkTable.values()].map(clone);
  }

  async link(name: string): Promise<Link | undefined> {
    const l = this.byName(name);
    return l === undefined ? undefined : clone(l);
  }

  async createLink(req: NewLinkRequest, _opts?: { index?: boolean }): Promise<number | undefined> {
    this.#write({ op: `create ${req.info.kind}`, name: req.name, req });
    if (!this.kinds.has(req.info.kind)) refuse(E.EOPNOTSUPP, 'Unknown device type');
    if (this.byName(req.name)) refuse(E.EEXIST);
    const index = this.#nextIndex++;
    const l: Link = { index, name: req.name, flags: req.up ? IFF_UP : 0, type: ARPHRD_ETHER, mtu: req.mtu ?? 1500, address: req.address ?? `02:fa:ce:00:00:${index.toString(16).padStart(2, '0')}`, kind: req.info.kind };
    // Like the kernel, IFLA_IFALIAS is not looked at on creation.
    switch (req.info.kind) {
      case 'bond':
        l.bond = { mode: 0, miimonMs: 0, updelayMs: 0, downdelayMs: 0, minLinks: 0, xmitHashPolicy: 0, lacpRate: 0, ...req.info.bond };
        // Like the kernel: a primary that is not a member yet is kept by name until it joins.
        if (l.bond.primary !== undefined) this.#primaryName.set(index, this.linkTable.get(l.bond.primary)?.name ?? '');
        delete l.bond.primary;
        break;
      case 'bridge':
        l.bridge = { forwardDelayCs: 1500, helloTimeCs: 200, maxAgeCs: 2000, ageingTimeCs: 30000, stpState: 0, priority: 32768, vlanFiltering: false, ...req.info.bridge };
        break;
      case 'vlan': {
        const id = req.info.vlan.id;
        const parent = req.parent !== undefined ? this.linkTable.get(req.parent) : undefined;
        if (!parent) refuse(E.ENODEV, 'vlan: parent missing');
        if ([...this.linkTable.values()].some((o) => o.kind === 'vlan' && o.parent === parent.index && o.vlan?.id === id)) refuse(E.EEXIST);
        if ((req.mtu ?? parent.mtu ?? 1500) > (parent.mtu ?? 1500)) refuse(E.EINVAL, 'mtu greater than the parent\'s');
        l.parent = parent.index;
        l.mtu = req.mtu ?? parent.mtu;
        if (req.address === undefined) l.address = parent.address;
        l.vlan = { id, protocol: ETH_P_8021Q };
        break;
      }
      default: break;
    }
    // Like the kernel: a VLAN opened at creation needs its parent open (vlan_dev_open).
    if (req.up && req.info.kind === 'vlan' && (this.linkTable.get(req.parent!)!.flags & IFF_UP) === 0) refuse(E.ENETDOWN);
    this.linkTable.set(index, l);
    // As Rtnl sends it: the alias in a second message by name; refused, the link goes again.
    if (req.alias !== undefined && req.alias !== '') {
      try {
        this.#write({ op: 'alias', name: req.name, req: { alias: req.alias } });
      } catch (e) {
        this.linkTable.delete(index);
        throw e;
      }
      l.alias = req.alias;
    }
    return index;
  }

  async changeLink(req: ChangeLinkRequest): Promise<void> {
    const l = this.linkTable.get(req.index);
    this.#write({ op: 'change', name: l?.name, req });
    if (!l) refuse(E.ENODEV);
    // The kernel's order: the kind's options (changelink) first, then do_setlink.
    if (req.info !== undefined) {
      if (req.info.kind !== l.kind) refuse(E.EOPNOTSUPP);
      if (req.info.kind === 'bond' && req.info.bond) {
        const b = req.info.bond;
        if (b.mode !== undefined && b.mode !== l.bond?.mode && [...this.linkTable.values()].some((s) => s.master === l.index)) refuse(E.ENOTEMPTY, 'option mode: unable to set because the bond device has slaves');
        if (b.mode !== undefined && b.mode !== l.bond?.mode && (l.flags & IFF_UP) !== 0) refuse(E.EBUSY, 'option mode: unable to set because the bond device is up');
        if (b.lacpRate !== undefined && b.lacpRate !== l.bond?.lacpRate && (l.flags & IFF_UP) !== 0) refuse(E.EBUSY, 'option lacp_rate: unable to set because the bond device is up');
        const { primary, ...rest } = b;
        l.bond = { ...l.bond, ...rest };
        if (primary !== undefined) {
          if (primary === 0) delete l.bond.primary;
          else l.bond.primary = primary;
        }
      }
      if (req.info.kind === 'bridge' && req.info.bridge) l.bridge = { ...l.bridge, ...req.info.bridge };
    }
    if (req.address !== undefined) l.address = req.address;
    if (req.mtu !== undefined) {
      if (req.mtu > (l.maxMtu ?? 65535)) refuse(E.EINVAL, 'mtu greater than device maximum');
      l.mtu = req.mtu;
      if (l.kind === 'bond') for (const s of this.linkTable.values()) if (s.master === l.index) s.mtu = req.mtu;
      for (const v of this.linkTable.values()) if (v.kind === 'vlan' && v.parent === l.index && (v.mtu ?? 0) > req.mtu) v.mtu = req.mtu;
    }
    if (req.name !== undefined && req.name !== l.name) {
      if (this.byName(req.name)) refuse(E.EEXIST);
      if ((l.flags & IFF_UP) !== 0) refuse(E.EBUSY);
      l.name = req.name;
    }
    // The kernel's order (do_setlink): rename, then flags, then master (a member taken down and
    // enslaved in one message).
    if (req.up !== undefined) l.flags = req.up ? l.flags | IFF_UP : l.flags & ~IFF_UP;
    if (req.master !== undefined) {
      if (req.master === 0) {
        const m = l.master !== undefined ? this.linkTable.get(l.master) : undefined;
        delete l.master;
        delete l.slaveKind;
        if (m?.kind === 'bond') l.flags &= ~IFF_UP; // the bond closes a member it releases
      } else {
        const m = this.linkTable.get(req.master);
        if (!m) refuse(E.ENODEV);
        if (l.master !== undefined) refuse(E.EBUSY, 'already enslaved');
        if (m.kind === 'bond') {
          if ((l.flags & IFF_UP) !== 0) refuse(E.EPERM, 'Device can not be enslaved while up');
          l.flags |= IFF_UP; // the bond opens its member
          l.mtu = m.mtu;
        }
        l.master = m.index;
        l.slaveKind = m.kind;
        if (m.kind === 'bond' && this.#primaryName.get(m.index) === l.name) m.bond!.primary = l.index;
      }
    }
    if (req.alias !== undefined) {
      if (req.alias === '') delete l.alias;
      else l.alias = req.alias;
    }
  }

  async deleteLink(index: number): Promise<void> {
    const l = this.linkTable.get(index);
    this.#write({ op: 'delete', name: l?.name });
    if (!l) refuse(E.ENODEV);
    if (l.kind === undefined) refuse(E.EOPNOTSUPP);
    this.#remove(l);
  }

  #remove(l: Link): void {
    this.linkTable.delete(l.index);
    for (const o of [...this.linkTable.values()]) {
      if (o.master === l.index) {
        delete o.master;
        delete o.slaveKind;
        if (l.kind === 'bond') o.flags &= ~IFF_UP;
      }
      if (o.parent === l.index && o.kind === 'vlan') this.#remove(o);
    }
    this.addressList = this.addressList.filter((a) => a.index !== l.index);
    this.routeList = this.routeList.filter((r) => r.oif !== l.index);
  }

  // --- addresses
  async addresses(): Promise<Address[]> {
    this.reads.push('addresses');
    return this.addressList.map(clone);
  }

  #findAddress(req: Textual<AddressRequest>): Address | undefined {
    return this.addressList.find((a) => a.index === req.index && a.local === req.local && a.prefixLength === req.prefixLength);
  }

  async addAddress(request: AddressRequest, opts: { replace?: boolean } = {}): Promise<void> {
    const req = textual(request);
    const l = this.linkTable.get(req.index);
    this.#write({ op: opts.replace ? 'replace address' : 'add address', name: `${req.local}/${req.prefixLength} ${l?.name}`, req });
    if (!l) refuse(E.ENODEV);
    const cur = this.#findAddress(req);
    if (cur && !opts.replace) refuse(E.EEXIST, 'ipv4: Address already assigned');
    if (cur) {
      if (req.protocol !== undefined) cur.protocol = req.protocol;
      return;
    }
    this.addressList.push({
      family: AF_INET, index: req.index, prefixLength: req.prefixLength, flags: 0x80, scope: 0, local: req.local, address: req.local,
      ...(req.broadcast !== undefined ? { broadcast: req.broadcast } : {}),
      ...(req.protocol !== undefined && req.protocol !== 0 ? { protocol: req.protocol } : {}),
    });
    // The kernel adds the prefix route.
    if (req.prefixLength < 32) {
      const mask = req.prefixLength === 0 ? 0 : (0xffffffff << (32 - req.prefixLength)) >>> 0;
      const n = (req.local.split('.').reduce((x, o) => x * 256 + Number(o), 0) & mask) >>> 0;
      const dst = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      this.routeList.push({ family: AF_INET, dst, dstLength: req.prefixLength, srcLength: 0, tos: 0, table: RT_TABLE_MAIN, protocol: RTPROT_KERNEL, scope: RT_SCOPE_LINK, type: RTN_UNICAST, flags: 0, oif: req.index, prefsrc: req.local });
    }
  }

  async deleteAddress(request: AddressRequest): Promise<void> {
    const req = textual(request);
    this.#write({ op: 'delete address', name: `${req.local}/${req.prefixLength}`, req });
    const cur = this.#findAddress(req);
    if (!cur) refuse(E.EADDRNOTAVAIL);
    this.addressList = this.addressList.filter((a) => a !== cur);
    this.routeList = this.routeList.filter((r) => !(r.protocol === RTPROT_KERNEL && r.prefsrc === req.local && r.oif === req.index));
  }

  // --- routes
  /** Filtered as a strict socket's dump is (the reconcile asks for its own routes and some tables). */
  async routes(_family?: number, filter: RouteDumpFilter = {}): Promise<Route[]> {
    this.routeDumps.push(filter);
    this.reads.push(`routes${filter.table !== undefined ? ` table ${filter.table}` : ''}${filter.protocol !== undefined ? ` proto ${filter.protocol}` : ''}`);
    return this.routeList.filter((r) => routeMatches(r, filter)).map(clone);
  }

  #routeKey(r: { table?: number; dst?: string; dstLength: number; tos?: number; metric?: number }): string {
    return `${r.table ?? RT_TABLE_MAIN} ${r.dstLength === 0 ? '' : r.dst}/${r.dstLength} ${r.tos ?? 0} ${r.metric ?? 0}`;
  }

  async addRoute(request: RouteRequest, opts: { replace?: boolean } = {}): Promise<void> {
    const req = textual(request);
    this.#write({ op: opts.replace ? 'replace route' : 'add route', name: `${req.dst ?? 'default'}/${req.dstLength}`, req });
    if (req.oif !== undefined && !this.linkTable.has(req.oif)) refuse(E.ENODEV);
    const key = this.#routeKey(req);
    const i = this.routeList.findIndex((r) => this.#routeKey(r) === key);
    if (i >= 0 && !opts.replace) refuse(E.EEXIST);
    const route: Route = {
      family: AF_INET, dstLength: req.dstLength, srcLength: 0, tos: req.tos ?? 0, table: req.table ?? RT_TABLE_MAIN,
      protocol: req.protocol ?? RTPROT_STATIC, scope: req.scope ?? 0, type: req.type ?? RTN_UNICAST, flags: 0,
      ...(req.dst !== undefined && req.dstLength > 0 ? { dst: req.dst } : {}),
      ...(req.gateway !== undefined ? { gateway: req.gateway } : {}),
      ...(req.oif !== undefined ? { oif: req.oif } : {}),
      ...(req.metric !== undefined && req.metric !== 0 ? { metric: req.metric } : {}),
      ...(req.prefsrc !== undefined ? { prefsrc: req.prefsrc } : {}),
    };
    // A gateway route without an interface goes out where the gateway is connected.
    if (route.oif === undefined && route.gateway !== undefined) {
      const via = this.routeList.find((r) => r.protocol === RTPROT_KERNEL && r.dst !== undefined && sameSubnet(r.dst, r.dstLength, route.gateway!));
      if (!via) refuse(E.ENETUNREACH, 'Nexthop has invalid gateway');
      route.oif = via.oif!;
    }
    if (i >= 0) this.routeList[i] = route;
    else this.routeList.push(route);
  }

  async deleteRoute(request: RouteRequest): Promise<void> {
    const req = textual(request);
    this.#write({ op: 'delete route', name: `${req.dst ?? 'default'}/${req.dstLength}`, req });
    const key = this.#routeKey(req);
    const i = this.routeList.findIndex((r) => this.#routeKey(r) === key);
    if (i < 0) refuse(E.ESRCH);
    this.routeList.splice(i, 1);
  }

  // --- rules
  async rules(): Promise<Rule[]> {
    this.reads.push('rules');
    return this.ruleList.map(clone);
  }

  #ruleMatches(r: Rule, req: Textual<RuleRequest>): boolean {
    return (r.priority ?? 0) === (req.priority ?? 0) && r.table === (req.table ?? 0) && r.action === (req.action ?? 1)
      && r.src === req.src && r.dst === req.dst && r.iifname === req.iifname && r.oifname === req.oifname && r.fwmark === req.fwmark;
  }

  async addRule(request: RuleRequest): Promise<void> {
    const req = textual(request);
    this.#write({ op: 'add rule', name: String(req.priority ?? 0), req });
    if (this.ruleList.some((r) => this.#ruleMatches(r, req))) refuse(E.EEXIST);
    this.ruleList.push({
      family: AF_INET, action: req.action ?? 1, table: req.table ?? 0, flags: 0, tos: 0,
      srcLength: req.src !== undefined ? req.srcLength ?? 32 : 0, dstLength: req.dst !== undefined ? req.dstLength ?? 32 : 0,
      ...(req.priority !== undefined ? { priority: req.priority } : {}),
      ...(req.src !== undefined ? { src: req.src } : {}),
      ...(req.dst !== undefined ? { dst: req.dst } : {}),
      ...(req.iifname !== undefined ? { iifname: req.iifname } : {}),
      ...(req.oifname !== undefined ? { oifname: req.oifname } : {}),
      ...(req.fwmark !== undefined ? { fwmark: req.fwmark } : {}),
      ...(req.fwmask !== undefined ? { fwmask: req.fwmask } : {}),
      ...(req.protocol !== undefined ? { protocol: req.protocol } : {}),
    });
  }

  async deleteRule(request: RuleRequest): Promise<void> {
    const req = textual(request);
    this.#write({ op: 'delete rule', name: String(req.priority ?? 0), req });
    const i = this.ruleList.findIndex((r) => this.#ruleMatches(r, req));
    if (i < 0) refuse(E.ENOENT);
    this.ruleList.splice(i, 1);
  }

  /** Everything, comparable across runs (for "left as it was" checks). */
  snapshot(): unknown {
    return clone({
      links: [...this.linkTable.values()].map((l) => ({ ...l, master: l.master !== undefined ? this.linkTable.get(l.master)?.name : undefined, parent: l.parent !== undefined ? this.linkTable.get(l.parent)?.name : undefined, index: undefined }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      addresses: this.addressList.map((a) => ({ ...a, index: this.linkTable.get(a.index)?.name })).sort((a, b) => `${a.index}${a.local}`.localeCompare(`${b.index}${b.local}`)),
      routes: this.routeList.map((r) => ({ ...r, oif: r.oif !== undefined ? this.linkTable.get(r.oif)?.name : undefined })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      rules: [...this.ruleList].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    });
  }
}

function sameSubnet(net: string, len: number, ip: string): boolean {
  const n = (t: string): number => t.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((n(ip) & mask) >>> 0) === ((n(net) & mask) >>> 0);
}

export class FakeSysctl implements SysctlApi {
  readonly values = new Map<string, string>();
  writes = 0;
  refuse = new Set<string>();

  read(name: string): string | undefined {
    return this.values.get(name);
  }

  write(name: string, value: string): void {
    this.writes++;
    if (this.refuse.has(name)) throw new Error(`${name}: the kernel refused the value`);
    if (!this.values.has(name)) throw new Error(`${name}: no such sysctl`);
    this.values.set(name, value);
  }
}

/** A request with its addresses as text: the kernel reads them as bytes and reports text, so does this fake. */
type Textual<T> = { [K in keyof T]: IpAddress extends NonNullable<T[K]> ? string : T[K] };

function textual<T extends object>(req: T): Textual<T> {
  const out = { ...req } as Record<string, unknown>;
  for (const k of ['local', 'address', 'broadcast', 'dst', 'gateway', 'prefsrc', 'src']) if (out[k] !== undefined) out[k] = ipText(out[k] as IpAddress);
  return out as Textual<T>;
}
