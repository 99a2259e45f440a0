// Firewall rules, NAT and management access: references resolve and each field
// makes sense for the chain or NAT type it is used with.
import { Checker, checkUnique, pointer } from './context.ts';
import type { NatRule, PortSpec } from '../generated/config.ts';
import { preloadChains } from '../../firewall/index.ts';

const PORT_PROTOCOLS = ['tcp', 'udp', 'sctp'];

function checkPorts(c: Checker, at: string, ports: readonly PortSpec[] | undefined, protocol: string): void {
  if (ports === undefined) return;
  if (!PORT_PROTOCOLS.includes(protocol)) {
    c.fail(at, 'no ports unless protocol is tcp, udp or sctp', `protocol is ${protocol}; set "protocol": "tcp" (or udp, sctp)`);
    return;
  }
  ports.forEach((spec, i) => {
    if (typeof spec !== 'string') return;
    const [low, high] = spec.split('-').map(Number);
    if (low === undefined || high === undefined || low < 1 || high > 65535 || low > high) {
      c.fail(`${at}/${i}`, 'a port range low-high with 1 <= low <= high <= 65535');
    }
  });
}

export function checkFirewall(c: Checker): void {
  const { rules, nat } = c.config.firewall;
  rules.forEach((rule, i) => {
    const at = (key: string): string => pointer('firewall', 'rules', i, key);
    if (rule.in_interface !== undefined) {
      if (rule.chain === 'output') c.fail(at('in_interface'), 'no in_interface in the output chain', 'packets from the box have no incoming interface; use out_interface');
      else c.ref(at('in_interface'), rule.in_interface);
    }
    if (rule.out_interface !== undefined) {
      if (rule.chain === 'input') c.fail(at('out_interface'), 'no out_interface in the input chain', 'packets to the box have no outgoing interface; use in_interface');
      else c.ref(at('out_interface'), rule.out_interface);
    }
    if (rule.source !== undefined) c.network(at('source'), rule.source);
    if (rule.destination !== undefined) c.network(at('destination'), rule.destination);
    checkPorts(c, at('source_ports'), rule.source_ports, rule.protocol);
    checkPorts(c, at('destination_ports'), rule.destination_ports, rule.protocol);
  });

  nat.forEach((r, i) => {
    const at = (key: string): string => pointer('firewall', 'nat', i, key);
    if (r.in_interface !== undefined) {
      if (r.type !== 'dnat') c.fail(at('in_interface'), `no in_interface for ${r.type}`, `${r.type} applies to packets leaving; use out_interface`);
      else c.ref(at('in_interface'), r.in_interface);
    }
    if (r.out_interface !== undefined) {
      if (r.type === 'dnat') c.fail(at('out_interface'), 'no out_interface for dnat', 'dnat applies to packets arriving; use in_interface');
      else c.ref(at('out_interface'), r.out_interface);
    }
    if (r.type === 'one_to_one') {
      checkOneToOne(c, r, at);
    } else if (r.type === 'masquerade') {
      if (r.out_interface === undefined) c.fail(at('out_interface'), 'the interface to masquerade behind (required for masquerade)');
      if (r.to_address !== undefined) c.fail(at('to_address'), 'no to_address for masquerade', 'masquerade uses the outgoing address; use type snat for a fixed one');
    } else if (r.to_address === undefined) {
      c.fail(at('to_address'), `the new ${r.type === 'snat' ? 'source' : 'destination'} address (required for ${r.type})`);
    }
    if (r.to_port !== undefined && r.type !== 'one_to_one') {
      if (r.type !== 'dnat') c.fail(at('to_port'), `no to_port for ${r.type}`, 'only dnat changes the port');
      else if (!PORT_PROTOCOLS.includes(r.protocol)) c.fail(at('to_port'), 'no to_port unless protocol is tcp, udp or sctp', 'set "protocol": "tcp" (or udp, sctp)');
    }
    if (r.source !== undefined) c.network(at('source'), r.source);
    if (r.destination !== undefined) c.network(at('destination'), r.destination);
    checkPorts(c, at('destination_ports'), r.destination_ports, r.protocol);
  });

  c.config.firewall.helpers.forEach((h, i) => {
    const at = (key: string): string => pointer('firewall', 'helpers', i, key);
    if (h.in_interface !== undefined) c.ref(at('in_interface'), h.in_interface);
    if (h.source !== undefined) c.network(at('source'), h.source);
    if (h.destination !== undefined) c.network(at('destination'), h.destination);
  });

  for (const e of preloadChains(c.config).errors) c.fail(e.pointer, e.message);
}

/** 1:1 NAT maps one inside host to one outside address, whole (no ports, no protocol). */
function checkOneToOne(c: Checker, r: NatRule, at: (key: string) => string): void {
  if (r.source === undefined) c.fail(at('source'), 'the inside host\'s address (required for one_to_one)');
  else if (r.source.includes('/') && !r.source.endsWith('/32')) c.fail(at('source'), 'one address (a /32)', 'one_to_one maps one host; use snat or masquerade for a network');
  if (r.to_address === undefined) c.fail(at('to_address'), 'the outside address (required for one_to_one)');
  if (r.out_interface === undefined) c.fail(at('out_interface'), 'the outside interface (required for one_to_one)');
  for (const key of ['destination', 'destination_ports', 'to_port'] as const) {
    if (r[key] !== undefined) c.fail(at(key), `no ${key} for one_to_one`, 'one_to_one maps every port and protocol of the host');
  }
  if (r.protocol !== 'all') c.fail(at('protocol'), 'protocol all for one_to_one', 'one_to_one maps every port and protocol of the host');
}

export function checkManagement(c: Checker): void {
  const m = c.config.management;
  const seen = new Set<string>();
  m.interfaces.forEach((name, i) => {
    const at = pointer('management', 'interfaces', i);
    if (seen.has(name)) c.fail(at, 'each interface once');
    seen.add(name);
    c.ref(at, name);
  });
  m.allowed_sources.forEach((text, i) => c.network(pointer('management', 'allowed_sources', i), text));
  if (m.allowed_sources.length > 0 && m.interfaces.length === 0) {
    c.fail(pointer('management', 'interfaces'), 'the interfaces the box is managed on', 'allowed_sources has no effect while no interface is listed');
  }
  // Earlier releases opened this port for an API that never existed: nothing listens on it now.
  if (m.api_port !== undefined) c.warn(pointer('management', 'api_port'), 'no management API exists: this port is not opened', 'remove api_port');
  checkUnique(
    c,
    c.config.upgrade.trusted_keys,
    (k) => k.name,
    (i) => pointer('upgrade', 'trusted_keys', i, 'name'),
    'a key name used once',
    (j) => `already the name of ${pointer('upgrade', 'trusted_keys', j)}`,
  );
  checkUnique(
    c,
    c.config.upgrade.trusted_keys,
    (k) => k.ed25519_public_key,
    (i) => pointer('upgrade', 'trusted_keys', i, 'ed25519_public_key'),
    'each key once',
    (j) => `the same key is ${pointer('upgrade', 'trusted_keys', j)}`,
  );
}
