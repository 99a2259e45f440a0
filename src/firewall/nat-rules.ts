// config.firewall.nat -> nat PREROUTING (destination) and POSTROUTING (source) rules, and
// config.firewall.helpers -> raw table CT rules: helpers are assigned explicitly, never by the
// kernel's automatic assignment (off by default since Linux 4.7, and unsafe when on).
import type { Config, NatRule } from '../config/index.ts';
import { contains, parseIpv4, parsePrefix } from '../common/index.ts';
import { rule, type MatchSpec } from './rule-text.ts';
import type { FwRule } from './model.ts';

export interface NatChains {
  readonly prerouting: FwRule[];
  readonly postrouting: FwRule[];
}

function portText(port: number | undefined): string {
  return port === undefined ? '' : `:${port}`;
}

function baseMatch(r: NatRule): MatchSpec {
  return { source: r.source, destination: r.destination, protocol: r.protocol, destinationPorts: r.destination_ports };
}

/** The interface and subnet that hold `address` among the config's static addresses. */
function connectedSubnet(config: Config, address: string): { ifname: string; subnet: string } | undefined {
  const host = parseIpv4(address);
  if (host === undefined) return undefined;
  for (const entry of config.addresses) {
    for (const cidr of entry.static) {
      const prefix = parsePrefix(cidr);
      if (prefix && prefix.length < 32 && contains(prefix, host)) return { ifname: entry.interface, subnet: cidr };
    }
  }
  return undefined;
}

function oneToOne(config: Config, r: NatRule, at: string, out: NatChains): void {
  const inside = r.source!;
  const outside = r.to_address!;
  // From anywhere (outside, and inside clients: the hairpin) to the outside address.
  out.prerouting.push(rule(at, { destination: outside }, `DNAT --to-destination ${inside.replace(/\/32$/, '')}`));
  out.postrouting.push(rule(at, { source: inside, out: r.out_interface }, `SNAT --to-source ${outside}`));
  // Hairpin: a client on the inside host's own subnet would get the reply straight from the
  // host, from an address it did not call; masquerading makes the reply come back through the box.
  const connected = connectedSubnet(config, inside.replace(/\/32$/, ''));
  if (connected) {
    out.postrouting.push(rule(at, { source: connected.subnet, destination: inside, out: connected.ifname, extra: '-m conntrack --ctstate DNAT' }, 'MASQUERADE'));
  }
}

export function natRules(config: Config): NatChains {
  const out: NatChains = { prerouting: [], postrouting: [] };
  config.firewall.nat.forEach((r, i) => {
    if (!r.enabled) return;
    const at = `/firewall/nat/${i}`;
    switch (r.type) {
      case 'masquerade':
        out.postrouting.push(rule(at, { ...baseMatch(r), out: r.out_interface }, 'MASQUERADE'));
        break;
      case 'snat':
        out.postrouting.push(rule(at, { ...baseMatch(r), out: r.out_interface }, `SNAT --to-source ${r.to_address}`));
        break;
      case 'dnat':
        out.prerouting.push(rule(at, { ...baseMatch(r), in: r.in_interface }, `DNAT --to-destination ${r.to_address}${portText(r.to_port)}`));
        break;
      case 'one_to_one':
        oneToOne(config, r, at, out);
        break;
    }
  });
  return out;
}

const HELPER_PORT: Record<string, number> = { ftp: 21 };
/** Modules per helper: conntrack's, and NAT's so that NATed FTP works too. */
const HELPER_MODULES: Record<string, readonly string[]> = { ftp: ['nf_conntrack_ftp', 'nf_nat_ftp', 'xt_CT'] };

export function helperRules(config: Config): { prerouting: FwRule[]; output: FwRule[]; modules: string[] } {
  const prerouting: FwRule[] = [];
  const output: FwRule[] = [];
  const modules = new Set<string>();
  config.firewall.helpers.forEach((h, i) => {
    if (!h.enabled) return;
    const at = `/firewall/helpers/${i}`;
    const match: MatchSpec = { source: h.source, destination: h.destination, protocol: 'tcp', destinationPorts: [h.port ?? HELPER_PORT[h.helper]!] };
    prerouting.push(rule(at, { ...match, in: h.in_interface }, `CT --helper ${h.helper}`));
    // The box's own connections (an FTP client on the box) pass raw OUTPUT, not PREROUTING.
    if (h.in_interface === undefined) output.push(rule(at, match, `CT --helper ${h.helper}`));
    for (const m of HELPER_MODULES[h.helper] ?? []) modules.add(m);
  });
  return { prerouting, output, modules: [...modules] };
}
