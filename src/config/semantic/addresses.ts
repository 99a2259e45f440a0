// Layer 3: addresses (one entry per interface, host addresses only, no subnet on two
// interfaces) and static routes (network-aligned destinations, gateways on a connected subnet).
import { Checker, pointer, type StaticAddress } from './context.ts';
import { formatIpv4, formatPrefix, parseIpv4, parsePrefix } from '../../common/index.ts';
import { RT_TABLE_LOCAL, RT_TABLE_MAIN } from '../../kernel/rtnetlink/index.ts';

export function checkAddresses(c: Checker): void {
  const entries = c.config.addresses;
  const entryOf = new Map<string, number>();
  const all: StaticAddress[] = [];

  entries.forEach((entry, i) => {
    const at = pointer('addresses', i, 'interface');
    const info = c.ref(at, entry.interface);
    if (!info) return;
    const first = entryOf.get(entry.interface);
    if (first !== undefined) {
      c.fail(at, 'one address entry per interface', `${entry.interface} already has ${pointer('addresses', first)}; merge the two`);
      return;
    }
    entryOf.set(entry.interface, i);
    if (entry.static.length === 0 && !entry.dhcp) {
      c.fail(pointer('addresses', i), 'static addresses, "dhcp": true, or both', 'an entry without either configures nothing');
    }
    if (entry.dhcp) c.dhcpInterfaces.add(entry.interface);
    const list: StaticAddress[] = [];
    entry.static.forEach((text, j) => {
      const sat = pointer('addresses', i, 'static', j);
      const prefix = parsePrefix(text);
      if (!prefix) return;
      const first = prefix.address >>> 24;
      if (first === 0 || first === 127 || first >= 224) {
        c.fail(sat, 'a unicast host address', `${formatIpv4(prefix.address)} is ${first === 127 ? 'loopback' : first >= 224 ? 'multicast or reserved' : 'not a host address'}`);
        return;
      }
      if (prefix.length <= 30 && (prefix.address === prefix.network || prefix.address === prefix.broadcast)) {
        const which = prefix.address === prefix.network ? 'network' : 'broadcast';
        c.fail(sat, `a host address inside ${formatPrefix(prefix)}`, `${formatIpv4(prefix.address)} is its ${which} address; use e.g. ${formatIpv4(prefix.network + 1)}/${prefix.length}`);
        return;
      }
      const own = c.localAddresses.get(prefix.address);
      if (own) {
        c.fail(sat, 'an address configured once', `${formatIpv4(prefix.address)} is already at ${own.pointer}`);
        return;
      }
      const item = { interface: entry.interface, prefix, pointer: sat };
      c.localAddresses.set(prefix.address, item);
      list.push(item);
      all.push(item);
    });
    c.staticAddresses.set(entry.interface, list);
  });

  // Overlapping subnets on different interfaces make routing ambiguous. CIDR blocks either nest
  // or are disjoint, so after sorting by (network, length) a stack of enclosing blocks finds
  // every overlap in O(n log n), even for a file with thousands of addresses.
  const order = new Map(all.map((a, i) => [a, i]));
  const sorted = [...all].sort((a, b) => a.prefix.network - b.prefix.network || a.prefix.length - b.prefix.length);
  const stack: StaticAddress[] = [];
  const reported = new Set<string>();
  for (const item of sorted) {
    while (stack.length > 0 && stack[stack.length - 1]!.prefix.broadcast < item.prefix.network) stack.pop();
    const other = stack.find((s) => s.interface !== item.interface);
    if (other) {
      const [later, earlier] = order.get(item)! > order.get(other)! ? [item, other] : [other, item];
      if (!reported.has(later.pointer)) {
        reported.add(later.pointer);
        c.fail(
          later.pointer,
          `a subnet that no other interface has`,
          `${formatPrefix(later.prefix)} overlaps ${formatPrefix(earlier.prefix)} on ${earlier.interface} (${earlier.pointer})`,
        );
      }
    }
    stack.push(item);
  }
}

export function checkRoutes(c: Checker): void {
  const seen = new Map<string, number>();
  c.config.routes.forEach((route, i) => {
    const at = (key?: string): string => (key ? pointer('routes', i, key) : pointer('routes', i));
    const dest = route.destination === 'default' ? parsePrefix('0.0.0.0/0') : parsePrefix(route.destination);
    if (dest && dest.address !== dest.network) {
      c.fail(at('destination'), 'a network address (host bits zero)', `did you mean ${formatPrefix(dest)}?`);
    }
    const interfaceOk = route.interface === undefined || c.ref(at('interface'), route.interface) !== undefined;
    if (route.type === 'unicast') {
      if (route.gateway === undefined && route.interface === undefined) {
        c.fail(at(), 'a gateway, an interface, or both for a unicast route');
      }
      if (route.gateway !== undefined && interfaceOk) {
        c.neighbour(at('gateway'), route.gateway, 'a gateway', { onLink: true, ...(route.interface !== undefined ? { interface: route.interface } : {}) });
      }
    } else {
      if (route.gateway !== undefined) c.fail(at('gateway'), `no gateway for a ${route.type} route`, `${route.type} routes drop the packets`);
      if (route.interface !== undefined) c.fail(at('interface'), `no interface for a ${route.type} route`, `${route.type} routes drop the packets`);
    }
    if (route.table === RT_TABLE_LOCAL) {
      c.fail(at('table'), 'a routing table other than 255', 'table 255 is the kernel\'s own local table');
    }
    if (route.source !== undefined) {
      const src = parseIpv4(route.source);
      const own = src !== undefined ? c.localAddresses.get(src) : undefined;
      const dhcp = route.interface !== undefined ? c.dhcpInterfaces.has(route.interface) : c.dhcpInterfaces.size > 0;
      if (own === undefined && !dhcp) {
        c.fail(at('source'), 'one of this box\'s static addresses', `the kernel refuses a source address it does not have; static: ${[...c.localAddresses.values()].map((a) => formatIpv4(a.prefix.address)).join(', ') || 'none'}`);
      }
    }
    if (dest) {
      const table = route.table === RT_TABLE_MAIN ? '' : ` in table ${route.table}`;
      const key = `${route.table} ${formatPrefix(dest)} ${route.metric}`;
      const first = seen.get(key);
      if (first !== undefined) {
        c.fail(at('destination'), 'one route per destination and metric in a table', `a route to ${formatPrefix(dest)} with metric ${route.metric}${table} is already ${pointer('routes', first)}; give one a different metric`);
      } else {
        seen.set(key, i);
      }
    }
  });
}
