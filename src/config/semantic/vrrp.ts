// VRRP: instances on usable interfaces, VIPs inside a subnet of their interface and used once,
// one VRID per link, intervals the protocol version can carry, sync groups that resolve.
import { Checker, checkUnique, pointer } from './context.ts';
import { formatIpv4, formatPrefix, parsePrefix } from '../../common/index.ts';
import { didYouMean } from '../suggest.ts';

/** Every VIP address of every instance (for LVS and sync checks). */
export function vipAddresses(c: Checker): Set<number> {
  const out = new Set<number>();
  for (const inst of c.config.vrrp.instances) {
    for (const vip of inst.vips) {
      const p = parsePrefix(vip);
      if (p) out.add(p.address);
    }
  }
  return out;
}

type At = (...rest: (string | number)[]) => string;
type Instance = Checker['config']['vrrp']['instances'][number];

/** In this order (the errors come out in it): commands and extras, names, each instance, virtual MACs, sync groups. */
export function checkVrrp(c: Checker): void {
  checkVrrpExtras(c);
  const { instances } = c.config.vrrp;
  checkUnique(
    c,
    instances,
    (x) => x.name,
    (i) => pointer('vrrp', 'instances', i, 'name'),
    'an instance name used once',
    (j) => `already the name of ${pointer('vrrp', 'instances', j)}`,
  );
  const vrids = new Map<string, number>();
  const vips = new Map<number, string>();
  instances.forEach((inst, i) => {
    const at: At = (...rest) => pointer('vrrp', 'instances', i, ...rest);
    const known = c.ref(at('interface'), inst.interface) !== undefined;
    checkTiming(c, inst, at);
    checkVrid(c, inst, i, at, vrids);
    const notOwned = known && checkVips(c, inst, at, vips);
    if (inst.priority === 255 && notOwned) {
      c.fail(at('priority'), 'a priority from 1 to 254 (255 means the VIPs are this box’s own static addresses)', 'use 254 or lower on both boxes, unless this box owns the VIPs');
    }
    checkPeersAndTracking(c, inst, at);
  });
  checkVmacs(c);
  checkSyncGroups(c);
}

/** Intervals the protocol version can carry; a preempt delay only with preempt. */
function checkTiming(c: Checker, inst: Instance, at: At): void {
  if (inst.version === 2 && (inst.advert_interval_ms % 1000 !== 0 || inst.advert_interval_ms < 1000)) {
    c.fail(at('advert_interval_ms'), 'whole seconds for VRRP version 2: 1000, 2000, … 255000', 'version 2 carries the interval in seconds; use version 3 for shorter intervals');
  } else if (inst.version === 3 && (inst.advert_interval_ms % 10 !== 0 || inst.advert_interval_ms > 40950)) {
    c.fail(at('advert_interval_ms'), 'centiseconds for VRRP version 3: a multiple of 10 from 10 to 40950');
  }
  if (!inst.preempt && inst.preempt_delay_s > 0) {
    c.fail(at('preempt_delay_s'), 'no preempt_delay_s while preempt is false', 'the delay applies only to preemption');
  }
}

/** One VRID per link (versions 2 and 3 share them). */
function checkVrid(c: Checker, inst: Instance, i: number, at: At, vrids: Map<string, number>): void {
  const key = `${inst.interface}\u0000${inst.vrid}`;
  const first = vrids.get(key);
  if (first !== undefined) {
    c.fail(
      at('vrid'),
      `a VRID not yet used on ${inst.interface}`,
      `instance "${c.config.vrrp.instances[first]!.name}" (${pointer('vrrp', 'instances', first)}) uses VRID ${inst.vrid} there; versions 2 and 3 share VRIDs on a link`,
    );
  } else {
    vrids.set(key, i);
  }
}

/**
 * (On a known interface.) The instance's interface has an address, and its VIPs are unicast host addresses inside one of
 * its subnets, used once, and not the box's own unless it is the owner (priority 255). Returns
 * whether some VIP is not one of the box's own addresses.
 */
function checkVips(c: Checker, inst: Instance, at: At, vips: Map<number, string>): boolean {
  let notOwned = false;
  const hasStatic = c.subnets(inst.interface).length > 0;
  const hasDhcp = c.dhcpInterfaces.has(inst.interface);
  if (!hasStatic && !hasDhcp) {
    c.fail(at('interface'), 'an interface with an IPv4 address (adverts need a source address)', `add an address for ${inst.interface} under addresses`);
  }
  inst.vips.forEach((text, j) => {
    const vat = at('vips', j);
    const vip = parsePrefix(text);
    if (!vip) return;
    const shown = formatIpv4(vip.address);
    const firstByte = vip.address >>> 24;
    if (firstByte === 0 || firstByte === 127 || firstByte >= 224) {
      c.fail(vat, 'a unicast address', `${shown} is ${firstByte === 127 ? 'loopback' : firstByte >= 224 ? 'multicast or reserved' : 'not a host address'}`);
      return;
    }
    const dup = vips.get(vip.address);
    if (dup !== undefined) {
      c.fail(vat, 'a VIP not used by another instance', `${shown} is already ${dup}`);
      return;
    }
    vips.set(vip.address, vat);
    const own = c.localAddresses.get(vip.address);
    if (own && inst.priority !== 255) {
      c.fail(vat, 'an address that is not also a static address of this box', `${shown} is ${own.pointer}; a VIP moves between boxes (priority 255 is for the box that owns it)`);
      return;
    }
    if (!own) notOwned = true;
    if (!hasStatic && hasDhcp) return; // the subnet is only known at run time
    const subnet = c.connectedSubnet(vip.address, inst.interface);
    if (!subnet) {
      const elsewhere = c.connectedSubnet(vip.address);
      c.fail(
        vat,
        `an address inside a subnet of ${inst.interface} (${c.subnetList(inst.interface)})`,
        elsewhere
          ? `${formatPrefix(elsewhere.prefix)} is on ${elsewhere.interface}; did you mean "interface": "${elsewhere.interface}"?`
          : `add an address in the VIP's subnet to ${inst.interface}, or fix the VIP`,
      );
      return;
    }
    if (subnet.prefix.length <= 30 && (vip.address === subnet.prefix.network || vip.address === subnet.prefix.broadcast)) {
      c.fail(vat, 'a host address', `${shown} is the ${vip.address === subnet.prefix.network ? 'network' : 'broadcast'} address of ${formatPrefix(subnet.prefix)}`);
    }
  });
  return notOwned;
}

/** Unicast peers and tracked interfaces, each once and resolvable. */
function checkPeersAndTracking(c: Checker, inst: Instance, at: At): void {
  const peers = new Set<string>();
  inst.unicast_peers.forEach((peer, j) => {
    if (peers.has(peer)) c.fail(at('unicast_peers', j), 'each peer once');
    peers.add(peer);
    c.neighbour(at('unicast_peers', j), peer, 'a unicast peer', { onLink: false });
  });
  const tracked = new Set<string>();
  inst.track_interfaces.forEach((t, j) => {
    if (tracked.has(t.interface)) c.fail(at('track_interfaces', j, 'interface'), 'each tracked interface once');
    tracked.add(t.interface);
    c.ref(at('track_interfaces', j, 'interface'), t.interface, { allowEnslaved: true });
  });
}

/**
 * Virtual MAC interfaces (use_vmac): each name once, not a configured interface's, and with
 * `pair` an instance talks to one peer at most.
 */
function checkVmacs(c: Checker): void {
  const vmacs = new Map<string, number>();
  c.config.vrrp.instances.forEach((inst, i) => {
    const at: At = (...rest) => pointer('vrrp', 'instances', i, ...rest);
    if (inst.pair && inst.unicast_peers.length > 1) {
      c.fail(at('pair'), 'pair only with one peer', `${inst.unicast_peers.length} unicast peers are listed; without pair, backups wait Skew_Time so the best one goes first`);
    }
    if (!inst.use_vmac) return;
    const name = inst.vmac_interface ?? `vrrp.${inst.vrid}`;
    const where = inst.vmac_interface !== undefined ? at('vmac_interface') : at('use_vmac');
    const first = vmacs.get(name);
    if (first !== undefined) {
      c.fail(where, `a virtual MAC interface name used once`, `${name} is already the one of ${pointer('vrrp', 'instances', first)} (the same VRID on two interfaces): name one with vmac_interface`);
    } else if (c.interfaces.has(name)) {
      c.fail(where, 'a virtual MAC interface name that is not a configured interface', `${name} is ${c.interfaces.get(name)!.pointer}; choose another with vmac_interface`);
    } else {
      vmacs.set(name, i);
    }
  });
}

/** Sync groups: unique names no instance has, members that exist, each instance in one group. */
function checkSyncGroups(c: Checker): void {
  const { instances, sync_groups } = c.config.vrrp;
  const instanceNames = instances.map((x) => x.name);
  const instanceSet = new Set(instanceNames);
  checkUnique(
    c,
    sync_groups,
    (g) => g.name,
    (i) => pointer('vrrp', 'sync_groups', i, 'name'),
    'a sync group name used once',
    (j) => `already the name of ${pointer('vrrp', 'sync_groups', j)}`,
  );
  const memberOf = new Map<string, string>();
  sync_groups.forEach((group, i) => {
    if (instanceSet.has(group.name)) {
      c.fail(pointer('vrrp', 'sync_groups', i, 'name'), 'a name no VRRP instance has', 'sync.vrrp_group refers to groups and instances by name');
    }
    group.instances.forEach((name, j) => {
      const at = pointer('vrrp', 'sync_groups', i, 'instances', j);
      if (!instanceSet.has(name)) {
        c.fail(at, 'the name of a VRRP instance', didYouMean(name, instanceNames) ?? (instanceNames.length ? `instances: ${instanceNames.join(', ')}` : 'no VRRP instances are defined'));
        return;
      }
      const first = memberOf.get(name);
      if (first !== undefined) c.fail(at, 'an instance in only one sync group', `"${name}" is already in ${first}`);
      else memberOf.set(name, `sync group "${group.name}" (${pointer('vrrp', 'sync_groups', i)})`);
    });
  });
}

const isAbsolute = (argv: readonly string[] | undefined): boolean => argv === undefined || (argv[0] ?? '').startsWith('/');

/** Commands, authentication, tracking of scripts and instances, accelerated failover. */
function checkVrrpExtras(c: Checker): void {
  const { instances, sync_groups } = c.config.vrrp;
  const scripts = c.config.vrrp.scripts ?? [];
  const scriptNames = scripts.map((s) => s.name);
  const instanceNames = instances.map((x) => x.name);
  const command = (at: string, argv: readonly string[] | undefined) => {
    if (!isAbsolute(argv)) c.fail(`${at}/0`, 'an absolute path to the program', 'commands run without a shell or PATH lookup, e.g. ["/usr/local/bin/check", "--quiet"]');
  };
  const notify = (at: (...r: (string | number)[]) => string, n: { master?: string[]; backup?: string[]; fault?: string[]; stop?: string[]; any?: string[] } | undefined) => {
    if (!n) return;
    for (const k of ['master', 'backup', 'fault', 'stop', 'any'] as const) command(at('notify', k), n[k]);
  };

  checkUnique(c, scripts, (s) => s.name, (i) => pointer('vrrp', 'scripts', i, 'name'), 'a script name used once', (j) => `already the name of ${pointer('vrrp', 'scripts', j)}`);
  scripts.forEach((s, i) => {
    command(pointer('vrrp', 'scripts', i, 'command'), s.command);
    if (s.timeout_ms !== undefined && s.timeout_ms > s.interval_ms) {
      c.fail(pointer('vrrp', 'scripts', i, 'timeout_ms'), `at most interval_ms (${s.interval_ms})`, 'a run still going when the next is due is skipped, as in keepalived');
    }
  });

  instances.forEach((inst, i) => {
    const at = (...rest: (string | number)[]): string => pointer('vrrp', 'instances', i, ...rest);
    if (inst.version === 2 && inst.checksum === 'message') {
      c.fail(at('checksum'), 'pseudo-header (the default) with version 2', 'version 2 always sums the message only; the choice applies to version 3');
    }
    if (inst.password !== undefined && inst.version !== 2) {
      c.fail(at('password'), 'a password only with version 2', 'version 3 has no authentication field; use authentication (HMAC) instead');
    }
    if (inst.password !== undefined && inst.authentication !== undefined) {
      c.fail(at('password'), 'password or authentication, not both', 'authentication (HMAC-SHA256) replaces the clear-text password');
    }
    const auth = inst.authentication;
    if (auth) {
      const ids = new Set<number>();
      auth.keys.forEach((k, j) => {
        if (ids.has(k.id)) c.fail(at('authentication', 'keys', j, 'id'), 'a key id used once');
        ids.add(k.id);
        if ((k.secret === undefined) === (k.secret_file === undefined)) {
          c.fail(at('authentication', 'keys', j), 'exactly one of secret and secret_file');
        }
      });
      if (auth.active_key !== undefined && !ids.has(auth.active_key)) {
        c.fail(at('authentication', 'active_key'), 'the id of one of the keys', `key ids: ${[...ids].join(', ')}`);
      }
    }
    const tracked = new Set<string>();
    (inst.track_scripts ?? []).forEach((t, j) => {
      const tat = at('track_scripts', j, 'script');
      if (tracked.has(t.script)) c.fail(tat, 'each script once');
      tracked.add(t.script);
      if (!scriptNames.includes(t.script)) {
        c.fail(tat, 'the name of a script in vrrp.scripts', didYouMean(t.script, scriptNames) ?? (scriptNames.length ? `scripts: ${scriptNames.join(', ')}` : 'no scripts are defined under vrrp.scripts'));
      }
    });
    const others = new Set<string>();
    (inst.track_instances ?? []).forEach((t, j) => {
      const tat = at('track_instances', j, 'instance');
      if (others.has(t.instance)) c.fail(tat, 'each instance once');
      others.add(t.instance);
      if (t.instance === inst.name) c.fail(tat, 'another instance', 'an instance cannot track itself');
      else if (!instanceNames.includes(t.instance)) c.fail(tat, 'the name of a VRRP instance', didYouMean(t.instance, instanceNames) ?? `instances: ${instanceNames.join(', ')}`);
    });
    notify(at, inst.notify);
  });
  sync_groups.forEach((g, i) => notify((...r) => pointer('vrrp', 'sync_groups', i, ...r), g.notify));

  const acc = c.config.vrrp.accelerated_failover;
  if (acc && acc.enabled) {
    const at = (...rest: (string | number)[]): string => pointer('vrrp', 'accelerated_failover', ...rest);
    c.ref(at('interface'), acc.interface);
    const vrrpLinks = new Set(instances.map((x) => x.interface));
    if (vrrpLinks.has(acc.interface)) {
      c.fail(at('interface'), 'a link no VRRP instance advertises on', 'the heartbeats are the second path to the peer; on the same link they fail together with the adverts');
    }
    c.neighbour(at('peer'), acc.peer, 'the peer on the sync link', { interface: acc.interface, onLink: true });
    if (acc.heartbeat_timeout_ms < 3 * acc.heartbeat_interval_ms) {
      c.fail(at('heartbeat_timeout_ms'), `at least 3 heartbeat intervals (${3 * acc.heartbeat_interval_ms})`, 'one lost heartbeat must not count as a dead peer');
    }
    const shortest = Math.min(...instances.map((x) => x.advert_interval_ms));
    if (instances.length > 0 && acc.heartbeat_timeout_ms + 2 * acc.heartbeat_interval_ms >= 3 * shortest) {
      c.fail(
        at('heartbeat_timeout_ms'),
        `less than 3 advert intervals (${3 * shortest} ms) less 2 heartbeat intervals (${2 * acc.heartbeat_interval_ms} ms, the grace before an accelerated takeover)`,
        'otherwise the normal master-down timer is faster and acceleration never happens',
      );
    }
    if (!instances.some((x) => x.authentication !== undefined)) {
      c.warn(
        pointer('vrrp', 'accelerated_failover'),
        'the heartbeats are not authenticated (no instance has authentication): they can only delay a takeover, never make one faster',
        'add authentication to the instances on both boxes; the heartbeats are signed with the first one\'s active key',
      );
    }
  }
}
