// Planning addresses, routes and policy rules. Each is matched by the key the kernel itself uses
// (an address: interface, local address, prefix length; a route: table, destination, tos,
// metric; a rule: all its selectors, priority and action). A match that is not Stockade's is
// adopted (addresses and routes are marked in place, with NLM_F_REPLACE; rules cannot be, so a
// matching rule is left as it is); Stockade's own objects that the config no longer has are
// deleted; nothing else is touched.
import { AF_INET, IFA_F_SECONDARY, RTM_F_CLONED, RTN_UNICAST, RTPROT_KERNEL, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RT_TABLE_LOCAL, selectorRequest, type Address, type AddressRequest, type Link, type Route, type RouteRequest, type RtnlApi, type Rule, type RuleRequest } from '../kernel/rtnetlink/index.ts';
import { formatPrefix, parsePrefix } from '../common/index.ts';
import { ipText, type IpAddress } from '../kernel/rtnetlink/index.ts';
import { addressRequest } from './action.ts';
import type { Action, SysctlApi } from './action.ts';
import type { DesiredAddress, DesiredNetwork, DesiredRoute, DesiredRule } from './desired.ts';
import { dhcpMarked, ownsAddress, ownsRoute, ownsRule, RTPROT_STOCKADE } from './ownership.ts';
import { ROUTE_TYPES, RULE_ACTIONS, wordFor } from './words.ts';

/** The links the objects hang on. */
export interface L3Context {
  links: readonly Link[];
  /** Configured links that are missing (a port without a NIC): nothing is added on them. */
  missing: ReadonlySet<string>;
  /** Links about to disappear or be made again (plan only): what is on them now goes with them. */
  vanishing: ReadonlySet<string>;
  /** For promote_secondaries (see planAddresses). */
  sysctl?: SysctlApi;
}

/** The per-interface sysctl name ('.' in an interface name is written '/'). */
export function promoteSecondariesKey(ifname: string): string {
  return `net.ipv4.conf.${ifname.replace(/\./g, '/')}.promote_secondaries`;
}

function addressText(a: { local: IpAddress; prefixLength: number }, ifname: string): string {
  return `address ${ipText(a.local)}/${a.prefixLength} on ${ifname}`;
}

/** Text of an optional address, to compare with the kernel's (which reports text). */
function optText(a: IpAddress | undefined): string | undefined {
  return a === undefined ? undefined : ipText(a);
}

export function planAddresses(d: DesiredNetwork, ctx: L3Context, actual: readonly Address[]): Action[] {
  const byIndex = new Map(ctx.links.map((l) => [l.index, l]));
  const wanted = new Map<string, DesiredAddress>();
  for (const a of d.addresses) wanted.set(`${a.interface} ${ipText(a.local)}/${a.prefixLength}`, a);
  const have = new Map<string, Address>();
  for (const a of actual) {
    if (a.family !== AF_INET || a.local === undefined) continue;
    const l = byIndex.get(a.index);
    if (l === undefined || ctx.vanishing.has(l.name)) continue;
    have.set(`${l.name} ${a.local}/${a.prefixLength}`, a);
  }

  const subnet = (ifname: string, local: IpAddress, length: number): string => `${ifname} ${formatPrefix(parsePrefix(`${ipText(local)}/${length}`)!)}`;
  const deletes: Action[] = [];
  const adds: Action[] = [];
  const deleted = new Set<string>();
  const primariesDeleted = new Map<string, string>();
  for (const [key, a] of have) {
    if (wanted.has(key) || !ownsAddress(a)) continue;
    const ifname = byIndex.get(a.index)!.name;
    const req = addressRequest(a.index, a);
    deleted.add(key);
    if ((a.flags & IFA_F_SECONDARY) === 0) primariesDeleted.set(subnet(ifname, a.local!, a.prefixLength), ifname);
    deletes.push({
      phase: 'addresses', group: 'address-delete', verb: 'delete', object: addressText({ local: a.local!, prefixLength: a.prefixLength }, ifname),
      why: 'added by Stockade and no longer in the config',
      async run(x) {
        await x.kernel.deleteAddress({ ...req, index: await x.index(ifname) });
        return async (y) => y.kernel.addAddress({ ...req, index: await y.index(ifname) });
      },
    });
  }
  for (const [key, want] of wanted) {
    if (ctx.missing.has(want.interface)) continue;
    const cur = have.get(key);
    // The DHCP client's lease (the same address in the config too): the DHCP path's, not ours to adopt.
    if (cur !== undefined && dhcpMarked(cur)) continue;
    const base: Omit<AddressRequest, 'index'> = {
      local: want.local, prefixLength: want.prefixLength, protocol: RTPROT_STOCKADE,
      ...(want.broadcast !== undefined ? { broadcast: want.broadcast } : {}),
    };
    if (cur === undefined) {
      adds.push({
        phase: 'addresses', group: 'address-add', verb: 'create', object: addressText(want, want.interface), why: 'in the config, not on the interface',
        async run(x) {
          await x.kernel.addAddress({ ...base, index: await x.index(want.interface) });
          return async (y) => y.kernel.deleteAddress({ ...base, index: await y.index(want.interface) });
        },
      });
    } else if (!ownsAddress(cur)) {
      const old = addressRequest(cur.index, cur);
      adds.push({
        phase: 'addresses', group: 'address-add', verb: 'adopt', object: addressText(want, want.interface),
        detail: `protocol ${cur.protocol ?? 0} -> ${RTPROT_STOCKADE}`, why: 'already there: marked as Stockade\'s in place (not re-added)',
        async run(x) {
          const index = await x.index(want.interface);
          await x.kernel.addAddress({ ...old, index, protocol: RTPROT_STOCKADE }, { replace: true });
          return async (y) => y.kernel.addAddress({ ...old, index: await y.index(want.interface), protocol: cur.protocol ?? 0 }, { replace: true });
        },
      });
    }
  }

  // Deleting a primary address makes the kernel delete the other addresses of its subnet on
  // that interface (VIPs, someone else's, the new one replacing it), unless promote_secondaries
  // is on: then one of them becomes the primary. So it is switched on first where that would
  // happen (first, so that a rollback switches it off last).
  const promotes: Action[] = [];
  const remaining = new Set<string>();
  // (Only then: it parses every address.)
  if (primariesDeleted.size > 0) {
    for (const [key, a] of have) if (!deleted.has(key)) remaining.add(subnet(byIndex.get(a.index)!.name, a.local!, a.prefixLength));
    for (const w of wanted.values()) if (!ctx.missing.has(w.interface)) remaining.add(subnet(w.interface, w.local, w.prefixLength));
  }
  const needPromote = new Set([...primariesDeleted].filter(([sub]) => remaining.has(sub)).map(([, ifname]) => ifname));
  for (const ifname of needPromote) {
    const name = promoteSecondariesKey(ifname);
    const current = ctx.sysctl?.read(name);
    if (current === undefined || current.trim() === '1') continue;
    promotes.push({
      phase: 'addresses', verb: 'change', object: `sysctl ${name}`, detail: `${current.trim()} -> 1`,
      why: 'a primary address is deleted: keep the other addresses of its subnet',
      async run(x) {
        x.sysctl.write(name, '1');
        return async (y) => y.sysctl.write(name, current.trim());
      },
    });
  }
  // Adds before deletes: an interface is never left without an address (the kernel flushes the
  // routes of an interface that loses its last one).
  return [...promotes, ...adds, ...deletes];
}

/** Routes Stockade compares: IPv4 unicast and drop routes in tables other than local. */
function comparable(r: Route): boolean {
  return r.family === AF_INET && r.table !== RT_TABLE_LOCAL && (r.flags & RTM_F_CLONED) === 0 && r.multipath !== true
    && Object.values(ROUTE_TYPES).includes(r.type);
}

function routeKey(table: number, dst: IpAddress, dstLength: number, metric: number): string {
  return `${table} ${ipText(dst)}/${dstLength} ${metric}`;
}

function routeName(r: { dst?: IpAddress; dstLength: number; table: number; metric?: number }): string {
  const dest = r.dstLength === 0 ? 'default' : `${optText(r.dst)}/${r.dstLength}`;
  const table = r.table === 254 ? '' : ` table ${r.table}`;
  const metric = r.metric ? ` metric ${r.metric}` : '';
  return `route ${dest}${table}${metric}`;
}

function describeRoute(r: { type: number; gateway?: IpAddress | undefined; oifName?: string | undefined; prefsrc?: IpAddress | undefined }): string {
  const parts: string[] = [];
  if (r.type !== RTN_UNICAST) parts.push(wordFor(ROUTE_TYPES, r.type));
  if (r.gateway !== undefined) parts.push(`via ${ipText(r.gateway)}`);
  if (r.oifName !== undefined) parts.push(`dev ${r.oifName}`);
  if (r.prefsrc !== undefined) parts.push(`src ${ipText(r.prefsrc)}`);
  return parts.join(' ') || 'no next hop';
}

function routeRequest(r: Route): RouteRequest {
  return {
    dstLength: r.dstLength,
    ...(r.dst !== undefined ? { dst: r.dst } : {}),
    tos: r.tos, table: r.table, protocol: r.protocol, scope: r.scope, type: r.type,
    ...(r.gateway !== undefined ? { gateway: r.gateway } : {}),
    ...(r.oif !== undefined ? { oif: r.oif } : {}),
    ...(r.metric !== undefined ? { metric: r.metric } : {}),
    ...(r.prefsrc !== undefined ? { prefsrc: r.prefsrc } : {}),
  };
}

/**
 * The routes planRoutes needs: Stockade's own in every table (to delete those no longer wanted),
 * and, only where a wanted route is not among them, the routes of its table (to adopt or change
 * what sits on its key). Not the local table's route per address, nor tables nothing is wanted in:
 * on a strict socket the kernel leaves those out of the dump.
 */
export async function readPlanRoutes(k: RtnlApi, d: DesiredNetwork): Promise<Route[]> {
  const owned = (await k.routes(AF_INET, { protocol: RTPROT_STOCKADE })).filter(comparable);
  const have = new Set(owned.map((r) => routeKey(r.table, r.dst ?? '0.0.0.0', r.dstLength, r.metric ?? 0)));
  const tables = new Set(d.routes.filter((r) => !have.has(routeKey(r.table, r.dst, r.dstLength, r.metric))).map((r) => r.table));
  const rest: Route[] = [];
  for (const table of tables) rest.push(...(await k.routes(AF_INET, { table })));
  // Ours last: where a key has two routes (`ip route append`), ours is the one compared.
  return [...rest, ...owned];
}

export function planRoutes(d: DesiredNetwork, ctx: L3Context, actual: readonly Route[]): Action[] {
  const byIndex = new Map(ctx.links.map((l) => [l.index, l]));
  const have = new Map<string, Route>();
  for (const r of actual) {
    if (!comparable(r)) continue;
    const oif = r.oif !== undefined ? byIndex.get(r.oif)?.name : undefined;
    if (oif !== undefined && ctx.vanishing.has(oif)) continue;
    have.set(routeKey(r.table, r.dst ?? '0.0.0.0', r.dstLength, r.metric ?? 0), r);
  }
  const wanted = new Map<string, DesiredRoute>();
  for (const r of d.routes) wanted.set(routeKey(r.table, r.dst, r.dstLength, r.metric), r);

  const deletes: Action[] = [];
  const rest: Action[] = [];
  for (const [key, r] of have) {
    if (wanted.has(key) || !ownsRoute(r)) continue;
    const oifName = r.oif !== undefined ? byIndex.get(r.oif)?.name : undefined;
    const req = routeRequest(r);
    deletes.push({
      phase: 'routes', group: 'route-delete', verb: 'delete', object: routeName(r), detail: describeRoute({ ...r, oifName }),
      why: 'added by Stockade and no longer in the config',
      async run(x) {
        await x.kernel.deleteRoute(req);
        return async (y) => y.kernel.addRoute({ ...req, ...(oifName !== undefined ? { oif: await y.index(oifName) } : {}) });
      },
    });
  }
  for (const [key, want] of wanted) {
    if (want.interface !== undefined && ctx.missing.has(want.interface)) continue;
    const type = ROUTE_TYPES[want.type];
    const scope = type === RTN_UNICAST && want.gateway === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
    const build = async (x: { index(n: string): Promise<number> }): Promise<RouteRequest> => ({
      dst: want.dst, dstLength: want.dstLength, table: want.table, protocol: RTPROT_STOCKADE, scope, type,
      ...(want.metric !== 0 ? { metric: want.metric } : {}),
      ...(want.gateway !== undefined ? { gateway: want.gateway } : {}),
      ...(want.source !== undefined ? { prefsrc: want.source } : {}),
      ...(want.interface !== undefined ? { oif: await x.index(want.interface) } : {}),
    });
    const cur = have.get(key);
    const object = routeName({ ...want, metric: want.metric });
    const wantText = describeRoute({ type, gateway: want.gateway, oifName: want.interface, prefsrc: want.source });
    if (cur === undefined) {
      rest.push({
        phase: 'routes', group: 'route-add', verb: 'create', object, detail: wantText, why: 'in the config, not in the kernel',
        async run(x) {
          const req = await build(x);
          await x.kernel.addRoute(req);
          return async (y) => y.kernel.deleteRoute(req);
        },
      });
      continue;
    }
    // The DHCP client's default route sits on this key: not ours to replace (the DHCP path keeps it).
    if (dhcpMarked(cur)) continue;
    const curOif = cur.oif !== undefined ? byIndex.get(cur.oif)?.name : undefined;
    // Without an interface in the config, the kernel picks the one that reaches the gateway.
    const sameHop = cur.type === type && cur.gateway === optText(want.gateway) && (want.interface === undefined || curOif === want.interface);
    const same = sameHop && cur.prefsrc === optText(want.source);
    if (same && ownsRoute(cur)) continue;
    // The kernel's own prefix route (it carries the address as prefsrc): the kernel keeps it.
    if (sameHop && cur.protocol === RTPROT_KERNEL && want.source === undefined) continue;
    const old = routeRequest(cur);
    rest.push({
      phase: 'routes', group: 'route-add', verb: same ? 'adopt' : 'change', object,
      detail: same ? `protocol ${cur.protocol} -> ${RTPROT_STOCKADE}` : `${describeRoute({ ...cur, oifName: curOif })} -> ${wantText}`,
      why: same ? 'already there: marked as Stockade\'s in place' : `the config says so${ownsRoute(cur) ? '' : ' (the route there was not Stockade\'s)'}`,
      async run(x) {
        await x.kernel.addRoute(await build(x), { replace: true });
        return async (y) => y.kernel.addRoute({ ...old, ...(curOif !== undefined ? { oif: await y.index(curOif) } : {}) }, { replace: true });
      },
    });
  }
  return [...deletes, ...rest];
}

function ruleKey(r: { priority?: number | undefined; src?: IpAddress | undefined; srcLength: number; dst?: IpAddress | undefined; dstLength: number;
  iifname?: string | undefined; oifname?: string | undefined; fwmark?: number | undefined; fwmask?: number | undefined; table: number; action: number }): string {
  const mark = r.fwmark ?? 0;
  const mask = r.fwmask ?? (mark !== 0 ? 0xffffffff : 0);
  return [r.priority ?? 0, optText(r.src) ?? '', r.srcLength, optText(r.dst) ?? '', r.dstLength, r.iifname ?? '', r.oifname ?? '', mark, mask, r.table, r.action].join(' ');
}

function ruleName(r: { priority?: number | undefined }): string {
  return `rule ${r.priority ?? 0}`;
}

function describeRule(r: { src?: IpAddress | undefined; srcLength: number; dst?: IpAddress | undefined; dstLength: number; iifname?: string | undefined;
  oifname?: string | undefined; fwmark?: number | undefined; fwmask?: number | undefined; table: number; action: number }): string {
  const parts: string[] = [];
  if (r.src !== undefined) parts.push(`from ${ipText(r.src)}/${r.srcLength}`);
  if (r.dst !== undefined) parts.push(`to ${ipText(r.dst)}/${r.dstLength}`);
  if (r.iifname !== undefined) parts.push(`iif ${r.iifname}`);
  if (r.oifname !== undefined) parts.push(`oif ${r.oifname}`);
  if (r.fwmark !== undefined) parts.push(`fwmark 0x${r.fwmark.toString(16)}${r.fwmask !== undefined && r.fwmask !== 0xffffffff ? `/0x${r.fwmask.toString(16)}` : ''}`);
  if (parts.length === 0) parts.push('from all');
  parts.push(r.action === RULE_ACTIONS.lookup ? `lookup ${r.table}` : wordFor(RULE_ACTIONS, r.action));
  return parts.join(' ');
}

function ruleRequest(r: Rule): RuleRequest {
  return {
    family: r.family, action: r.action, table: r.table, tos: r.tos, flags: r.flags,
    ...(r.priority !== undefined ? { priority: r.priority } : {}),
    ...selectorRequest(r),
    ...(r.protocol !== undefined ? { protocol: r.protocol } : {}),
  };
}

function desiredRuleRequest(r: DesiredRule): RuleRequest {
  return {
    priority: r.priority, action: RULE_ACTIONS[r.action], table: r.table, protocol: RTPROT_STOCKADE,
    ...selectorRequest(r),
  };
}

export function planRules(d: DesiredNetwork, actual: readonly Rule[]): Action[] {
  const have = new Map<string, Rule>();
  for (const r of actual) if (r.family === AF_INET) have.set(ruleKey(r), r);
  const wanted = new Map<string, DesiredRule>();
  for (const r of d.rules) wanted.set(ruleKey({ ...r, action: RULE_ACTIONS[r.action] }), r);
  const deletes: Action[] = [];
  const adds: Action[] = [];
  for (const [key, r] of have) {
    if (wanted.has(key) || !ownsRule(r)) continue;
    const req = ruleRequest(r);
    deletes.push({
      phase: 'rules', group: 'rule-delete', verb: 'delete', object: ruleName(r), detail: describeRule(r), why: 'added by Stockade and no longer in the config',
      async run(x) {
        await x.kernel.deleteRule(req);
        return async (y) => y.kernel.addRule(req);
      },
    });
  }
  for (const [key, want] of wanted) {
    if (have.has(key)) continue; // there already (a rule cannot be re-marked in place; one not Stockade's is left alone)
    const req = desiredRuleRequest(want);
    adds.push({
      phase: 'rules', group: 'rule-add', verb: 'create', object: ruleName(want), detail: describeRule({ ...want, action: RULE_ACTIONS[want.action] }),
      why: 'in the config, not in the kernel',
      async run(x) {
        await x.kernel.addRule(req);
        return async (y) => y.kernel.deleteRule(req);
      },
    });
  }
  return [...deletes, ...adds];
}
