// Shared state of the semantic checks: the config (defaults filled in), indexes of interfaces
// and addresses that several checks need, and the error list. Every check reports through
// `fail`, so all errors have the same shape: pointer, expected, found (read from the config at
// that pointer) and hint.
import type { Config } from '../generated/config.ts';
import type { ConfigError, ConfigWarning } from '../errors.ts';
import { describeFound } from '../describe.ts';
import { pointer, valueAt } from '../pointer.ts';
import { closest } from '../suggest.ts';
import { contains, formatPrefix, parseIpv4, parsePrefix, type Ipv4Prefix } from '../../common/index.ts';

export type InterfaceKind = 'port' | 'bond' | 'vlan' | 'bridge';

export const KIND_WORDS: Record<InterfaceKind, string> = { port: 'a port', bond: 'a bond', vlan: 'a VLAN', bridge: 'a bridge' };

export interface InterfaceInfo {
  readonly name: string;
  readonly kind: InterfaceKind;
  /** Pointer of the interface's object. */
  readonly pointer: string;
  /** Set when a bond or bridge has taken this interface as a member. */
  masterOf?: { readonly name: string; readonly kind: 'bond' | 'bridge'; readonly pointer: string };
}

export interface StaticAddress {
  readonly interface: string;
  readonly prefix: Ipv4Prefix;
  readonly pointer: string;
}

export class Checker {
  readonly config: Config;
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];
  /** Every interface by name (the first definition when a name is used twice). */
  readonly interfaces = new Map<string, InterfaceInfo>();
  /** Static addresses of each interface, filled by the address checks. */
  readonly staticAddresses = new Map<string, StaticAddress[]>();
  /** Interfaces that ask DHCP for an address (their subnets are unknown until run time). */
  readonly dhcpInterfaces = new Set<string>();
  /** The box's own static addresses (host part), by address. */
  readonly localAddresses = new Map<number, StaticAddress>();

  private readonly written: () => unknown;
  private writtenDoc: { value: unknown } | undefined;

  /**
   * `written` returns the document as the file has it (before defaults were filled in); it is
   * called once, at the first error, so a valid config costs nothing extra.
   */
  constructor(config: Config, written: () => unknown = () => config) {
    this.config = config;
    this.written = written;
  }

  /** The value at a pointer as written, or the default that applies, or "nothing". */
  private foundAt(at: string): string {
    this.writtenDoc ??= { value: this.written() };
    const asWritten = valueAt(this.writtenDoc.value, at);
    if (asWritten !== undefined) return describeFound(asWritten);
    const resolved = valueAt(this.config, at);
    return resolved === undefined ? 'nothing' : `${describeFound(resolved)} (the default)`;
  }

  warn(at: string, message: string, hint?: string): void {
    this.warnings.push({ pointer: at, message, ...(hint ? { hint } : {}) });
  }

  fail(at: string, expected: string, hint?: string): void {
    this.errors.push({
      kind: 'semantic',
      pointer: at,
      expected,
      found: this.foundAt(at),
      ...(hint ? { hint } : {}),
    });
  }

  /**
   * Resolves an interface reference, reporting an unknown name (with did-you-mean), a kind not
   * in `kinds`, or a bond/bridge member where one is not usable on its own.
   */
  ref(
    at: string,
    name: string,
    options: { kinds?: readonly InterfaceKind[]; what?: string; allowEnslaved?: boolean } = {},
  ): InterfaceInfo | undefined {
    const kinds = options.kinds ?? (['port', 'bond', 'vlan', 'bridge'] as const);
    const what = options.what ?? `the name of ${kinds.map((k) => KIND_WORDS[k]).join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
    const info = this.interfaces.get(name);
    if (!info) {
      const names = [...this.interfaces.values()].filter((i) => kinds.includes(i.kind)).map((i) => i.name);
      const near = closest(name, names);
      const hint =
        near.length > 0
          ? `did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?`
          : names.length > 0
            ? `defined: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`
            : 'define it under interfaces';
      this.fail(at, what, hint);
      return undefined;
    }
    if (!kinds.includes(info.kind)) {
      this.fail(at, what, `"${name}" is ${KIND_WORDS[info.kind]} (${info.pointer})`);
      return undefined;
    }
    if (!options.allowEnslaved && info.masterOf) {
      this.fail(
        at,
        `an interface that is not a member of a bond or bridge`,
        `"${name}" is a member of ${info.masterOf.kind} "${info.masterOf.name}"; use "${info.masterOf.name}" instead`,
      );
      return undefined;
    }
    return info;
  }

  /** Static subnets on an interface, or on every interface when `name` is undefined. */
  subnets(name?: string): StaticAddress[] {
    if (name !== undefined) return this.staticAddresses.get(name) ?? [];
    return [...this.staticAddresses.values()].flat();
  }

  /** The static subnet containing `address` (on `name`, or anywhere), if any. */
  connectedSubnet(address: number, name?: string): StaticAddress | undefined {
    return this.subnets(name).find((s) => s.prefix.length < 32 && contains(s.prefix, address));
  }

  /** "192.0.2.0/24 on int, 198.51.100.0/24 on ext" for hints. */
  subnetList(name?: string): string {
    const list = this.subnets(name).map((s) => (name === undefined ? `${formatPrefix(s.prefix)} on ${s.interface}` : formatPrefix(s.prefix)));
    return list.length > 0 ? [...new Set(list)].join(', ') : 'none';
  }

  /**
   * Checks a next hop / peer / real server address: a unicast address, not this box, and
   * (when `onLink`) inside a static subnet of `name` (or of any interface). DHCP interfaces have
   * subnets unknown before run time, so an address that might be on them passes. `where`: the
   * pointer, or what makes it (made only for a failure: it is asked for every real server).
   */
  neighbour(where: string | (() => string), text: string, what: string, options: { interface?: string; onLink: boolean }): void {
    const address = parseIpv4(text);
    if (address === undefined) return;
    const at = (): string => (typeof where === 'string' ? where : where());
    const first = address >>> 24;
    if (first === 0 || first === 127 || first >= 224) {
      this.fail(at(), `${what}: a unicast address`, `${text} is ${first === 127 ? 'loopback' : first >= 224 ? 'multicast or reserved' : 'not a host address'}`);
      return;
    }
    const own = this.localAddresses.get(address);
    if (own) {
      this.fail(at(), `${what}: an address of another host`, `${text} is this box's own address (${own.pointer})`);
      return;
    }
    if (!options.onLink) return;
    const subnet = this.connectedSubnet(address, options.interface);
    if (!subnet) {
      const dhcp = options.interface !== undefined ? this.dhcpInterfaces.has(options.interface) : this.dhcpInterfaces.size > 0;
      if (dhcp) return;
      const on = options.interface !== undefined ? ` of ${options.interface}` : '';
      this.fail(at(), `${what}: an address on a connected subnet${on}`, `connected: ${this.subnetList(options.interface)}`);
      return;
    }
    if (subnet.prefix.length <= 30 && (address === subnet.prefix.network || address === subnet.prefix.broadcast)) {
      const which = address === subnet.prefix.network ? 'network' : 'broadcast';
      this.fail(at(), `${what}: a host address`, `${text} is the ${which} address of ${formatPrefix(subnet.prefix)}`);
    }
  }

  /** An address or network as written in a match (firewall, sync filter): host bits must be zero. */
  network(at: string, text: string): void {
    if (!text.includes('/')) return;
    const p = parsePrefix(text);
    if (p && p.address !== p.network) {
      this.fail(at, 'an IPv4 network with the host bits zero, or a single address', `did you mean ${formatPrefix(p)} (or ${text.split('/')[0]} alone)?`);
    }
  }
}

/** Names used twice in a list: reports each repeat at its pointer. */
export function checkUnique<T>(
  c: Checker,
  items: readonly T[],
  key: (item: T, index: number) => string | undefined,
  at: (index: number) => string,
  expected: string,
  hint: (firstIndex: number, key: string) => string,
): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item, i);
    if (k === undefined) return;
    const j = first.get(k);
    if (j === undefined) first.set(k, i);
    else c.fail(at(i), expected, hint(j, k));
  });
}

export { pointer };
