// LVS: each virtual service is either address+port or a fwmark, lives on a VIP or an address
// of the box, is defined once, and has distinct real servers that are not the box itself; the
// scheduler flags, tunnel, persistence and one-packet settings fit the service; IPVS sync names an
// interface and a VRRP unit to follow.
import { Checker, checkUnique, pointer } from './context.ts';
import { parseIpv4, parsePrefix } from '../../common/index.ts';
import { vipAddresses } from './vrrp.ts';
import { didYouMean } from '../suggest.ts';
import type { Config } from '../generated/config.ts';

/** The scheduler a flag belongs to (flag-N belong to any). */
const FLAG_SCHEDULER: Record<string, string | undefined> = { 'sh-fallback': 'sh', 'sh-port': 'sh', 'mh-fallback': 'mh', 'mh-port': 'mh' };

/** A contiguous IPv4 netmask (255.255.255.0 yes, 255.0.255.0 no). */
export function isContiguousMask(n: number): boolean {
  const inv = ~n >>> 0;
  return (inv & (inv + 1)) === 0;
}

export type LvsSyncUnit = { ok: true; name: string } | { ok: false; why: string };

/**
 * The VRRP unit IPVS sync follows: lvs.sync.vrrp, or the sync group (or lone instance) whose VIPs
 * hold the services' addresses, when that is one unit.
 */
export function lvsSyncUnit(config: Config): LvsSyncUnit {
  const sync = config.lvs.sync;
  const groups = config.vrrp.sync_groups;
  if (sync?.vrrp !== undefined) return { ok: true, name: sync.vrrp };
  const units = new Set<string>();
  for (const vs of config.lvs.virtual_services) {
    if (vs.address === undefined) continue;
    const inst = config.vrrp.instances.find((i) => i.vips.some((v) => parsePrefix(v)?.address === parseIpv4(vs.address!)));
    if (inst === undefined) continue;
    units.add(groups.find((g) => g.instances.includes(inst.name))?.name ?? inst.name);
  }
  if (units.size === 1) return { ok: true, name: [...units][0]! };
  if (units.size === 0) return { ok: false, why: 'no service address is a VRRP VIP' };
  return { ok: false, why: `the services' VIPs belong to ${[...units].join(' and ')}` };
}

export function checkLvs(c: Checker): void {
  const services = c.config.lvs.virtual_services;
  const vips = vipAddresses(c);
  checkUnique(
    c,
    services,
    (s) => s.name,
    (i) => pointer('lvs', 'virtual_services', i, 'name'),
    'a service name used once',
    (j) => `already the name of ${pointer('lvs', 'virtual_services', j)}`,
  );
  checkUnique(
    c,
    services,
    (s) => (s.fwmark !== undefined ? `fwmark ${s.fwmark}` : s.address !== undefined && s.port !== undefined ? `${s.protocol} ${s.address}:${s.port}` : undefined),
    (i) => pointer('lvs', 'virtual_services', i, services[i]!.fwmark !== undefined ? 'fwmark' : 'address'),
    'a service defined once',
    (j, key) => `${key} is already ${pointer('lvs', 'virtual_services', j)}`,
  );

  services.forEach((vs, i) => {
    const at = (...rest: (string | number)[]): string => pointer('lvs', 'virtual_services', i, ...rest);
    if (vs.address !== undefined && vs.fwmark !== undefined) {
      c.fail(at('fwmark'), 'either address and port, or fwmark, not both');
    } else if (vs.address === undefined && vs.fwmark === undefined) {
      c.fail(at(), 'an address and port, or a fwmark', 'add "address" and "port" (or "fwmark")');
    }
    if (vs.fwmark !== undefined && vs.port !== undefined) {
      c.fail(at('port'), 'no port with fwmark', 'the firewall mark selects the traffic');
    }
    if (vs.address !== undefined) {
      if (vs.port === undefined) {
        c.fail(at('port'), 'the service port (required with address)');
      } else if (vs.port === 0 && vs.persistence_s === 0) {
        c.fail(at('port'), 'a port from 1 to 65535 (0, all ports, needs persistence_s)');
      }
      const address = parseIpv4(vs.address);
      if (address !== undefined && !vips.has(address) && !c.localAddresses.has(address)) {
        c.fail(at('address'), 'a VRRP VIP or a static address of this box', 'add it to the vips of the VRRP instance facing the clients');
      }
    }
    checkServiceSettings(c, vs, at);

    const seen = new Map<string, number>();
    vs.real_servers.forEach((rs, j) => {
      const rat = (key: string): string => at('real_servers', j, key);
      const port = rs.port ?? vs.port;
      const key = `${rs.address}:${port ?? ''}`;
      const first = seen.get(key);
      if (first !== undefined) {
        c.fail(rat('address'), 'a real server listed once per service', `${rs.address}${port !== undefined ? `:${port}` : ''} is already ${at('real_servers', first)}`);
        return;
      }
      seen.set(key, j);
      const address = parseIpv4(rs.address);
      if (address !== undefined && vips.has(address)) {
        c.fail(rat('address'), 'a real server address, not a VIP of this box');
        return;
      }
      c.neighbour(() => rat('address'), rs.address, 'a real server', { onLink: vs.method === 'dr' });
      if (vs.method !== 'nat' && rs.port !== undefined && (vs.fwmark !== undefined || (vs.port !== undefined && vs.port !== 0 && rs.port !== vs.port))) {
        c.fail(rat('port'), vs.fwmark !== undefined
          ? `no port: ${vs.method} keeps the packet's own port`
          : `the service's port ${vs.port} (${vs.method} cannot change ports)`, 'use method nat to map ports');
      }
      if (rs.lower_threshold > 0 && rs.upper_threshold > 0 && rs.lower_threshold >= rs.upper_threshold) {
        c.fail(rat('lower_threshold'), `less than upper_threshold (${rs.upper_threshold})`, 'the server takes new connections again once it falls below the lower threshold');
      } else if (rs.lower_threshold > 0 && rs.upper_threshold === 0) {
        c.fail(rat('lower_threshold'), 'no lower_threshold without an upper_threshold', 'set upper_threshold, the connection count at which the server stops taking new ones');
      }
    });
  });
  checkLvsSync(c);
}

function checkServiceSettings(c: Checker, vs: Config['lvs']['virtual_services'][number], at: (...rest: (string | number)[]) => string): void {
  vs.scheduler_flags.forEach((flag, k) => {
    if (vs.scheduler_flags.indexOf(flag) !== k) c.fail(at('scheduler_flags', k), 'each flag once', `${flag} is listed twice`);
    const owner = FLAG_SCHEDULER[flag];
    if (owner !== undefined && owner !== vs.scheduler) {
      c.fail(at('scheduler_flags', k), `a flag of scheduler ${vs.scheduler} (flag-1, flag-2, flag-3${vs.scheduler === 'sh' || vs.scheduler === 'mh' ? `, ${vs.scheduler}-fallback, ${vs.scheduler}-port` : ''})`, `${flag} is for the ${owner} scheduler`);
    }
  });
  const t = vs.tunnel;
  const tunnelWritten = t.type !== 'ipip' || t.port !== undefined || t.checksum !== 'nocsum';
  if (vs.method !== 'tun' && tunnelWritten) {
    c.fail(at('tunnel'), 'no tunnel settings without method tun', 'set "method": "tun", or remove "tunnel"');
  } else if (vs.method === 'tun') {
    if (t.type === 'gue' && t.port === undefined) c.fail(at('tunnel', 'port'), 'the GUE port the real servers listen on (required with type gue)');
    if (t.type !== 'gue' && t.port !== undefined) c.fail(at('tunnel', 'port'), `no port for a ${t.type} tunnel`, 'only gue tunnels have a port');
    if (t.type === 'ipip' && t.checksum !== 'nocsum') c.fail(at('tunnel', 'checksum'), 'nocsum for an ipip tunnel', 'checksum options are for gue and gre');
    if (t.type === 'gre' && t.checksum === 'remcsum') c.fail(at('tunnel', 'checksum'), 'nocsum or csum for a gre tunnel', 'remcsum is for gue only');
  }
  if (vs.persistence_netmask !== undefined) {
    const m = parseIpv4(vs.persistence_netmask);
    if (vs.persistence_s === 0) c.fail(at('persistence_netmask'), 'no persistence_netmask without persistence_s', 'set persistence_s, the time a client stays with its real server');
    else if (m !== undefined && !isContiguousMask(m)) c.fail(at('persistence_netmask'), 'a contiguous netmask like 255.255.255.0');
  }
  if (vs.one_packet && vs.fwmark === undefined && vs.protocol !== 'udp') {
    c.fail(at('one_packet'), `one_packet only on a udp or fwmark service (this one is ${vs.protocol})`, 'one-packet scheduling schedules each UDP datagram alone');
  }
}

function checkLvsSync(c: Checker): void {
  const sync = c.config.lvs.sync;
  if (sync === undefined) return;
  const at = (...rest: (string | number)[]): string => pointer('lvs', 'sync', ...rest);
  c.ref(at('interface'), sync.interface);
  const names = [...c.config.vrrp.sync_groups.map((g) => g.name), ...c.config.vrrp.instances.map((i) => i.name)];
  if (sync.vrrp !== undefined) {
    if (!names.includes(sync.vrrp)) {
      c.fail(at('vrrp'), 'the name of a VRRP sync group or instance', didYouMean(sync.vrrp, names) ?? (names.length ? `defined: ${names.join(', ')}` : 'no VRRP instances are defined'));
    }
    return;
  }
  const unit = lvsSyncUnit(c.config);
  if (!unit.ok) c.fail(at('vrrp'), 'the VRRP sync group or instance the sync daemon follows (master on MASTER, backup otherwise)', `${unit.why}; name it here`);
}
