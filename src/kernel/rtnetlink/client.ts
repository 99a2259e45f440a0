// An rtnetlink client: dumps of links, addresses, routes and rules, and the requests that change
// them, over one NETLINK_ROUTE socket. It counts the requests that change something (`writes`),
// so callers and tests can prove that a no-change run wrote nothing.
import { NETLINK_ROUTE, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../netlink/constants.ts';
import { NetlinkSocket } from '../netlink/socket.ts';
import type { NetlinkSocketOptions } from '../netlink/socket.ts';
import type { NetlinkMessage } from '../netlink/message.ts';
import { decodeAddress, encodeAddress, encodeAddressDumpRequest } from './address.ts';
import type { Address, AddressRequest } from './address.ts';
import {
  AF_INET, IFI_OFF_INDEX, IFINFOMSG_LEN, RTM_DELADDR, RTM_DELLINK, RTM_DELROUTE, RTM_DELRULE, RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE, RTM_GETRULE, RTM_NEWADDR,
  RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWRULE, RT_SCOPE_NOWHERE, RTN_UNSPEC, RTPROT_UNSPEC,
} from './constants.ts';
import { decodeLink, encodeAliasByName, encodeChangeLink, encodeDelLink, encodeLinkDumpRequest, encodeLinkGetRequest, encodeNewLink } from './link.ts';
import type { ChangeLinkRequest, Link, NewLinkRequest } from './link.ts';
import { decodeRoute, encodeRoute, encodeRouteDumpRequest, routeMatches } from './route.ts';
import type { Route, RouteDumpFilter, RouteRequest } from './route.ts';
import { decodeRule, encodeRule, encodeRuleDumpRequest } from './rule.ts';
import type { Rule, RuleRequest } from './rule.ts';

/** What the network setup needs from the kernel; Rtnl implements it, tests fake it. */
export interface RtnlApi {
  /** Requests sent that change kernel state. */
  readonly writes: number;
  links(): Promise<Link[]>;
  /** One link by name (a single RTM_GETLINK, not a dump); undefined if there is none. */
  link(name: string): Promise<Link | undefined>;
  /**
   * With req.alias: the alias too, in the same round trip; all or nothing. With opts.index: the
   * new link's ifindex, asked for in that round trip too (else undefined).
   */
  createLink(req: NewLinkRequest, opts?: { index?: boolean }): Promise<number | undefined>;
  changeLink(req: ChangeLinkRequest): Promise<void>;
  deleteLink(index: number): Promise<void>;
  addresses(family?: number): Promise<Address[]>;
  /** replace: update protocol/metric of an existing address in place (no delete, no re-add). */
  addAddress(req: AddressRequest, opts?: { replace?: boolean }): Promise<void>;
  deleteAddress(req: AddressRequest): Promise<void>;
  /** Every route of the family, or those `filter` selects (the kernel filters on a strict socket). */
  routes(family?: number, filter?: RouteDumpFilter): Promise<Route[]>;
  /** replace: change the route with the same key (table, destination, tos, metric) in place. */
  addRoute(req: RouteRequest, opts?: { replace?: boolean }): Promise<void>;
  deleteRoute(req: RouteRequest): Promise<void>;
  rules(family?: number): Promise<Rule[]>;
  addRule(req: RuleRequest): Promise<void>;
  deleteRule(req: RuleRequest): Promise<void>;
  /**
   * Optional batching: requests made until uncork() go out together (several per datagram; those
   * of one turn of the event loop in one), each still answered (and failing) on its own.
   */
  cork?(): void;
  uncork?(): void;
}

export class Rtnl implements RtnlApi {
  readonly sock: NetlinkSocket;
  #writes = 0;

  constructor(sock: NetlinkSocket) {
    this.sock = sock;
  }

  /** A client on a new NETLINK_ROUTE socket in this process's network namespace. */
  static open(opts: NetlinkSocketOptions = {}): Rtnl {
    return new Rtnl(NetlinkSocket.open(NETLINK_ROUTE, opts));
  }

  /**
   * A client whose dumps the kernel filters (NETLINK_GET_STRICT_CHK, kernel >= 4.20); on an
   * older kernel a plain one (its filtered dumps are then filtered here, the same result).
   */
  static openStrict(opts: NetlinkSocketOptions = {}): Rtnl {
    try {
      return Rtnl.open({ ...opts, strictCheck: true });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOPROTOOPT') throw e;
      return Rtnl.open(opts);
    }
  }

  get writes(): number {
    return this.#writes;
  }

  close(): void {
    this.sock.close();
  }

  cork(): void {
    this.sock.cork();
  }

  uncork(): void {
    this.sock.uncork();
  }

  async #write(type: number, payload: Buffer, flags = 0): Promise<void> {
    this.#writes++;
    await this.sock.request(type, payload, { flags });
  }

  async links(): Promise<Link[]> {
    const msgs = await this.sock.dump(RTM_GETLINK, encodeLinkDumpRequest());
    return msgs.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
  }

  async link(name: string): Promise<Link | undefined> {
    try {
      const msgs = await this.sock.request(RTM_GETLINK, encodeLinkGetRequest(name));
      const m = msgs.find((x) => x.type === RTM_NEWLINK);
      return m === undefined ? undefined : decodeLink(m);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENODEV') return undefined;
      throw e;
    }
  }

  /**
   * Creates a link; with an alias, the alias goes in a second message by name, in the same
   * datagram (one round trip). Should the kernel take the link but refuse the alias, the link
   * is deleted again and that refusal thrown: a create either happens whole or not at all.
   */
  async createLink(req: NewLinkRequest, opts: { index?: boolean } = {}): Promise<number | undefined> {
    const alias = req.alias !== undefined && req.alias !== '';
    if (!alias && !opts.index) {
      await this.#write(RTM_NEWLINK, encodeNewLink(req), NLM_F_CREATE | NLM_F_EXCL);
      return undefined;
    }
    this.sock.cork();
    let created: Promise<void>;
    let aliased: Promise<void> = Promise.resolve();
    let got: Promise<NetlinkMessage[]> | undefined;
    try {
      created = this.#write(RTM_NEWLINK, encodeNewLink(req), NLM_F_CREATE | NLM_F_EXCL);
      if (alias) aliased = this.#write(RTM_NEWLINK, encodeAliasByName(req.name, req.alias!));
      // Its index from the reply's header (nothing else of it decoded).
      if (opts.index) got = this.sock.request(RTM_GETLINK, encodeLinkGetRequest(req.name));
    } finally {
      this.sock.uncork();
    }
    const [c, a, g] = await Promise.allSettled([created, aliased, got]);
    if (c.status === 'rejected') {
      // The alias went to a link of that name made by someone else since our dump (EEXIST):
      // take the mark off again (a link just made has no alias yet), so it is not taken for ours.
      if (a.status === 'fulfilled') await this.#aliasOff(req.name);
      throw c.reason;
    }
    if (a.status === 'rejected') {
      const l = await this.link(req.name).catch(() => undefined);
      if (l !== undefined) await this.deleteLink(l.index).catch(() => undefined);
      throw a.reason;
    }
    const reply = g.status === 'fulfilled' ? g.value?.find((m) => m.type === RTM_NEWLINK) : undefined;
    return reply !== undefined && reply.payload.length >= IFINFOMSG_LEN ? reply.payload.readInt32LE(IFI_OFF_INDEX) : undefined;
  }

  async #aliasOff(name: string): Promise<void> {
    await this.#write(RTM_NEWLINK, encodeAliasByName(name, '')).catch(() => undefined);
  }

  changeLink(req: ChangeLinkRequest): Promise<void> {
    return this.#write(RTM_NEWLINK, encodeChangeLink(req));
  }

  deleteLink(index: number): Promise<void> {
    return this.#write(RTM_DELLINK, encodeDelLink(index));
  }

  async addresses(family = AF_INET): Promise<Address[]> {
    const msgs = await this.sock.dump(RTM_GETADDR, encodeAddressDumpRequest(family));
    return msgs.filter((m) => m.type === RTM_NEWADDR).map(decodeAddress);
  }

  addAddress(req: AddressRequest, opts: { replace?: boolean } = {}): Promise<void> {
    return this.#write(RTM_NEWADDR, encodeAddress(req), NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL));
  }

  deleteAddress(req: AddressRequest): Promise<void> {
    return this.#write(RTM_DELADDR, encodeAddress(req));
  }

  async routes(family = AF_INET, filter?: RouteDumpFilter): Promise<Route[]> {
    let msgs;
    try {
      msgs = await this.sock.dump(RTM_GETROUTE, encodeRouteDumpRequest(family, filter));
    } catch (e) {
      // A strict socket asking for a table that does not exist (it has no routes).
      if (filter?.table !== undefined && (e as { code?: string }).code === 'ENOENT') return [];
      throw e;
    }
    const out: Route[] = [];
    for (const m of msgs) {
      if (m.type !== RTM_NEWROUTE) continue;
      const r = decodeRoute(m);
      if (filter === undefined || routeMatches(r, filter)) out.push(r);
    }
    return out;
  }

  addRoute(req: RouteRequest, opts: { replace?: boolean } = {}): Promise<void> {
    return this.#write(RTM_NEWROUTE, encodeRoute(req), NLM_F_CREATE | (opts.replace ? NLM_F_REPLACE : NLM_F_EXCL));
  }

  /** Unset protocol, scope and type match any (as `ip route del` sends them). */
  deleteRoute(req: RouteRequest): Promise<void> {
    return this.#write(RTM_DELROUTE, encodeRoute({
      ...req, protocol: req.protocol ?? RTPROT_UNSPEC, scope: req.scope ?? RT_SCOPE_NOWHERE, type: req.type ?? RTN_UNSPEC,
    }));
  }

  async rules(family = AF_INET): Promise<Rule[]> {
    const msgs = await this.sock.dump(RTM_GETRULE, encodeRuleDumpRequest(family));
    return msgs.filter((m) => m.type === RTM_NEWRULE).map(decodeRule);
  }

  addRule(req: RuleRequest): Promise<void> {
    return this.#write(RTM_NEWRULE, encodeRule(req), NLM_F_CREATE | NLM_F_EXCL);
  }

  deleteRule(req: RuleRequest): Promise<void> {
    return this.#write(RTM_DELRULE, encodeRule(req));
  }
}
