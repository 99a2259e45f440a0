// VRRP: instances on usable interfaces, VIPs inside a subnet of their interface and used once,
// one VRID per link, intervals the protocol version can carry, sync groups that resolve.
import { Checker, checkUnique, pointer } from './context.ts';
import { formatIpv4, formatPrefix, parsePrefix } from '../ipv4.ts';
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

export function checkVrrp(c: Checker): void {
  const { instances, sync_groups } = c.config.vrrp;
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
    const at = (...rest: (string | number)[]): string => pointer('vrrp', 'instances', i, ...rest);
    const iface = c.ref(at('interface'), inst.interface);

    if (inst.version === 2 && (inst.advert_interval_ms % 1000 !== 0 || inst.advert_interval_ms < 1000)) {
      c.fail(at('advert_interval_ms'), 'whole seconds for VRRP version 2: 1000, 2000, … 255000', 'version 2 carries the interval in seconds; use version 3 for shorter intervals');
    } else if (inst.version === 3 && (inst.advert_interval_ms % 10 !== 0 || inst.advert_interval_ms > 40950)) {
      c.fail(at('advert_interval_ms'), 'centiseconds for VRRP version 3: a multiple of 10 from 10 to 40950');
    }
    if (!inst.preempt && inst.preempt_delay_s > 0) {
      c.fail(at('preempt_delay_s'), 'no preempt_delay_s while preempt is false', 'the delay applies only to preemption');
    }

    const key = `${inst.interface}\u0000${inst.vrid}`;
    const first = vrids.get(key);
    if (first !== undefined) {
      c.fail(
        at('vrid'),
        `a VRID not yet used on ${inst.interface}`,
        `instance "${instances[first]!.name}" (${pointer('vrrp', 'instances', first)}) uses VRID ${inst.vrid} there; versions 2 and 3 share VRIDs on a link`,
      );
    } else {
      vrids.set(key, i);
    }

    let notOwned = false;
    if (iface) {
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
    }
    if (inst.priority === 255 && notOwned) {
      c.fail(at('priority'), 'a priority from 1 to 254 (255 means the VIPs are this box’s own static addresses)', 'use 254 or lower on both boxes, unless this box owns the VIPs');
    }

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
  });

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
