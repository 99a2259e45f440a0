// The rules the rest of the config needs, whatever config.firewall says: without them a pair
// behind a drop policy hears no adverts and both boxes become master. `stockade boot` loads them
// with the fail-closed base, so the pair elects one master before the daemon runs.
//
// Each rule names the config pointer that asked for it. Raw sockets (VRRP) and UDP sockets (sync,
// heartbeats, DHCP renewals) see packets only after the INPUT chain, hence the explicit openings.
import { sshEnabled } from '../ssh/index.ts';
import type { Config } from '../config/index.ts';
import { LOG_LIMIT, logTarget, rule } from './rule-text.ts';
import type { FwRule } from './model.ts';

const VRRP_GROUP = '224.0.0.18';
/** The IPVS sync daemon's multicast group and port (the kernel's defaults; lvs.sync sets neither). */
const IPVS_SYNC_GROUP = '224.0.0.81';
const IPVS_SYNC_PORT = 8848;
/** Destination unreachable (incl. fragmentation needed: path MTU discovery) and time exceeded. */
const ICMP_ERRORS = [3, 11];
const ICMP_ECHO_REQUEST = 8;
const DHCP_SERVER_PORT = 67;
const DHCP_CLIENT_PORT = 68;

/** Pointer of the rules every box has: loopback, replies, INVALID, ICMP errors. */
export const BASE_POINTER = '/firewall';

export interface SystemChains {
  readonly input: FwRule[];
  readonly forward: FwRule[];
  /** Only filled when the output policy drops (otherwise they would never decide anything). */
  readonly output: FwRule[];
}

function vrrpRules(config: Config, out: SystemChains, withOutput: boolean): void {
  config.vrrp.instances.forEach((inst, i) => {
    const at = `/vrrp/instances/${i}`;
    const ifnames = [inst.interface, ...(inst.use_vmac ? [inst.vmac_interface ?? `vrrp.${inst.vrid}`] : [])];
    for (const ifname of ifnames) {
      if (inst.unicast_peers.length === 0) {
        out.input.push(rule(at, { destination: VRRP_GROUP, in: ifname, protocol: 'vrrp' }, 'ACCEPT'));
        if (withOutput) out.output.push(rule(at, { destination: VRRP_GROUP, out: ifname, protocol: 'vrrp' }, 'ACCEPT'));
      } else {
        for (const peer of inst.unicast_peers) out.input.push(rule(at, { source: peer, in: ifname, protocol: 'vrrp' }, 'ACCEPT'));
        if (withOutput) for (const peer of inst.unicast_peers) out.output.push(rule(at, { destination: peer, out: ifname, protocol: 'vrrp' }, 'ACCEPT'));
      }
    }
  });
}

function syncRules(config: Config, out: SystemChains, withOutput: boolean): void {
  const sync = config.sync;
  if (!sync || !sync.enabled || sync.stats_only) return;
  const from = sync.transport === 'multicast' ? { destination: sync.multicast_group } : { source: sync.peer };
  if (sync.transport === 'udp' && sync.peer === undefined) return;
  out.input.push(rule('/sync', { ...from, in: sync.interface, protocol: 'udp', destinationPorts: [sync.port] }, 'ACCEPT'));
  if (withOutput) {
    const to = sync.transport === 'multicast' ? sync.multicast_group : sync.peer;
    out.output.push(rule('/sync', { destination: to, out: sync.interface, protocol: 'udp', destinationPorts: [sync.port] }, 'ACCEPT'));
  }
}

function heartbeatRules(config: Config, out: SystemChains, withOutput: boolean): void {
  const hb = config.vrrp.accelerated_failover;
  if (!hb || !hb.enabled) return;
  const at = '/vrrp/accelerated_failover';
  out.input.push(rule(at, { source: hb.peer, in: hb.interface, protocol: 'udp', destinationPorts: [hb.port] }, 'ACCEPT'));
  if (withOutput) out.output.push(rule(at, { destination: hb.peer, out: hb.interface, protocol: 'udp', destinationPorts: [hb.port] }, 'ACCEPT'));
}

function dhcpRules(config: Config, out: SystemChains, withOutput: boolean): void {
  config.addresses.forEach((entry, i) => {
    if (!entry.dhcp) return;
    const at = `/addresses/${i}/dhcp`;
    // Renewals go over an ordinary UDP socket (discovery uses a packet socket, before netfilter).
    out.input.push(rule(at, { in: entry.interface, protocol: 'udp', sourcePorts: [DHCP_SERVER_PORT], destinationPorts: [DHCP_CLIENT_PORT] }, 'ACCEPT'));
    if (withOutput) out.output.push(rule(at, { out: entry.interface, protocol: 'udp', sourcePorts: [DHCP_CLIENT_PORT], destinationPorts: [DHCP_SERVER_PORT] }, 'ACCEPT'));
  });
}

// Only what listens is opened: SSH (dropbear, started by init once boot has prepared it) when
// it runs; nothing answers on management.api_port, so it is not opened.
function managementRules(config: Config, out: SystemChains): void {
  const m = config.management;
  const ssh = sshEnabled(config);
  for (const ifname of m.interfaces) {
    out.input.push(rule('/management', { in: ifname, protocol: 'icmp', icmpType: ICMP_ECHO_REQUEST }, 'ACCEPT'));
    if (!ssh) continue;
    const sources = m.allowed_sources.length > 0 ? m.allowed_sources : [undefined];
    for (const source of sources) out.input.push(rule('/management/ssh_port', { source, in: ifname, protocol: 'tcp', destinationPorts: [m.ssh_port] }, 'ACCEPT'));
  }
}

/**
 * LVS: each virtual service's VIP:port/protocol (or firewall mark) in INPUT, where IPVS takes the
 * packet after the filter (LOCAL_IN); for NAT services the real servers' (and the sorry server's)
 * replies through FORWARD, which the filter sees before IPVS rewrites them (a failover's new
 * master may meet them before it holds their conntrack entry); the IPVS sync daemon's multicast.
 * With a dropping OUTPUT, the packets IPVS sends to the real servers (they leave through OUTPUT)
 * and the health checks. SCTP services match the protocol only: the sctp port match (xt_sctp) is
 * not among the boards' modules.
 */
function lvsRules(config: Config, out: SystemChains, withOutput: boolean): void {
  config.lvs.virtual_services.forEach((vs, i) => {
    const at = `/lvs/virtual_services/${i}`;
    const ports = (port: number | undefined): Array<number> | undefined => (vs.fwmark !== undefined || vs.protocol === 'sctp' || !port ? undefined : [port]);
    if (vs.fwmark !== undefined) out.input.push(rule(at, { extra: `-m mark --mark 0x${vs.fwmark.toString(16)}` }, 'ACCEPT'));
    else out.input.push(rule(at, { destination: vs.address, protocol: vs.protocol, destinationPorts: ports(vs.port) }, 'ACCEPT'));
    const servers = vs.real_servers.map((rs, j) => ({ at: `${at}/real_servers/${j}`, address: rs.address, port: vs.method === 'nat' ? rs.port ?? vs.port : undefined, enabled: rs.enabled }));
    const sorry = vs.health_check.sorry_server;
    if (sorry) servers.push({ at: `${at}/health_check/sorry_server`, address: sorry.address, port: vs.method === 'nat' ? sorry.port ?? vs.port : undefined, enabled: true });
    for (const s of servers) {
      if (!s.enabled) continue;
      const protocol = vs.fwmark !== undefined ? undefined : vs.protocol;
      if (vs.method === 'nat') out.forward.push(rule(s.at, { source: s.address, protocol, sourcePorts: ports(s.port) }, 'ACCEPT'));
      if (withOutput) out.output.push(rule(s.at, { destination: s.address }, 'ACCEPT'));
    }
  });
  const sync = config.lvs.sync;
  if (sync === undefined) return;
  out.input.push(rule('/lvs/sync', { destination: IPVS_SYNC_GROUP, in: sync.interface, protocol: 'udp', destinationPorts: [IPVS_SYNC_PORT] }, 'ACCEPT'));
  if (withOutput) out.output.push(rule('/lvs/sync', { destination: IPVS_SYNC_GROUP, out: sync.interface, protocol: 'udp', destinationPorts: [IPVS_SYNC_PORT] }, 'ACCEPT'));
}

/** True when a NAT rule rewrites destinations: forwarded traffic to them is let through. */
function hasDnat(config: Config): boolean {
  return config.firewall.nat.some((r) => r.enabled && (r.type === 'dnat' || r.type === 'one_to_one'));
}

export interface SystemOptions {
  /** Output policy: OUTPUT openings are generated only when it drops. */
  readonly outputDrops: boolean;
}

/** The system rules of the IPv4 filter table, per chain, in order. */
export function systemRules(config: Config, opts: SystemOptions): SystemChains {
  const out: SystemChains = { input: [], forward: [], output: [] };
  const withOutput = opts.outputDrops;
  out.input.push(
    rule(BASE_POINTER, { in: 'lo' }, 'ACCEPT'),
    rule(BASE_POINTER, { states: ['related', 'established'] }, 'ACCEPT'),
    rule(BASE_POINTER, { states: ['invalid'] }, 'DROP'),
    ...ICMP_ERRORS.map((t) => rule(BASE_POINTER, { protocol: 'icmp', icmpType: t }, 'ACCEPT')),
  );
  vrrpRules(config, out, withOutput);
  syncRules(config, out, withOutput);
  heartbeatRules(config, out, withOutput);
  dhcpRules(config, out, withOutput);
  managementRules(config, out);

  out.forward.push(
    rule(BASE_POINTER, { states: ['related', 'established'] }, 'ACCEPT'),
    rule(BASE_POINTER, { states: ['invalid'] }, 'DROP'),
  );
  if (hasDnat(config)) out.forward.push(rule('/firewall/nat', { extra: '-m conntrack --ctstate DNAT' }, 'ACCEPT'));
  // After the forward base rules: an INVALID packet stays dropped.
  lvsRules(config, out, withOutput);

  if (withOutput) out.output.unshift(rule(BASE_POINTER, { out: 'lo' }, 'ACCEPT'), rule(BASE_POINTER, { states: ['related', 'established'] }, 'ACCEPT'));
  return out;
}

/** The last rule of a chain whose policy drops, when dropped packets are logged. */
export function dropLogRule(chain: string): FwRule {
  return rule('/firewall/log_dropped', { extra: LOG_LIMIT }, logTarget(`drop ${chain}`));
}
