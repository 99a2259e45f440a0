// Layer 2: one namespace of interface names; bonds over ports; VLANs on ports, bonds or
// bridges; bridges over ports, bonds or VLANs; each interface a member of at most one bond or
// bridge.
import { Checker, KIND_WORDS, pointer, type InterfaceKind } from './context.ts';

/** Names the kernel keeps for itself (lo) or uses as directories under /proc/sys/net/ipv4/conf. */
const RESERVED = new Set(['lo', 'all', 'default', 'bonding_masters']);

export function registerInterfaces(c: Checker): void {
  const { ports, bonds, vlans, bridges } = c.config.interfaces;
  const lists: [InterfaceKind, 'ports' | 'bonds' | 'vlans' | 'bridges', readonly { name: string }[]][] = [
    ['port', 'ports', ports],
    ['bond', 'bonds', bonds],
    ['vlan', 'vlans', vlans],
    ['bridge', 'bridges', bridges],
  ];
  for (const [kind, key, list] of lists) {
    list.forEach((item, i) => {
      const at = pointer('interfaces', key, i, 'name');
      if (RESERVED.has(item.name)) {
        c.fail(at, 'a name other than lo, all, default and bonding_masters', 'Linux reserves these names');
        return;
      }
      const earlier = c.interfaces.get(item.name);
      if (earlier) {
        c.fail(at, 'a name no other port, bond, VLAN or bridge has', `"${item.name}" is already ${KIND_WORDS[earlier.kind]} (${earlier.pointer})`);
        return;
      }
      c.interfaces.set(item.name, { name: item.name, kind, pointer: pointer('interfaces', key, i) });
    });
  }
}

function enslave(c: Checker, at: string, name: string, master: { name: string; kind: 'bond' | 'bridge'; pointer: string }, kinds: readonly InterfaceKind[]): void {
  const info = c.interfaces.get(name);
  if (info && info.name === master.name) {
    c.fail(at, `a member other than the ${master.kind} itself`);
    return;
  }
  const resolved = c.ref(at, name, { kinds, allowEnslaved: true, what: `the name of ${kinds.map((k) => KIND_WORDS[k]).join(', ').replace(/, ([^,]*)$/, ' or $1')}` });
  if (!resolved) return;
  if (resolved.masterOf) {
    const same = resolved.masterOf.name === master.name;
    c.fail(
      at,
      same ? `each member once` : `an interface that is not already a member of a bond or bridge`,
      same ? `"${name}" is listed twice` : `"${name}" is already a member of ${resolved.masterOf.kind} "${resolved.masterOf.name}"`,
    );
    return;
  }
  resolved.masterOf = master;
}

export function checkInterfaces(c: Checker): void {
  const { ports, bonds, vlans, bridges } = c.config.interfaces;

  // One NIC carries one label (boot would refuse to name either port).
  const nics = new Map<string, string>();
  ports.forEach((port, i) => {
    if (port.nic_mac === undefined) return;
    const mac = port.nic_mac.toLowerCase();
    const other = nics.get(mac);
    if (other !== undefined) c.fail(pointer('interfaces', 'ports', i, 'nic_mac'), 'a NIC no other port is given', `port "${other}" has nic_mac ${mac} too`);
    else nics.set(mac, port.name);
  });

  bonds.forEach((bond, i) => {
    const master = { name: bond.name, kind: 'bond' as const, pointer: pointer('interfaces', 'bonds', i) };
    bond.members.forEach((m, j) => enslave(c, pointer('interfaces', 'bonds', i, 'members', j), m, master, ['port']));
    if (bond.primary !== undefined) {
      const at = pointer('interfaces', 'bonds', i, 'primary');
      if (!['active-backup', 'balance-tlb', 'balance-alb'].includes(bond.mode)) {
        c.fail(at, `no primary in mode ${bond.mode}`, 'primary applies to active-backup, balance-tlb and balance-alb');
      } else if (!bond.members.includes(bond.primary)) {
        c.fail(at, `one of the bond's members (${bond.members.join(', ')})`);
      }
    }
    if (bond.miimon_ms > 0) {
      for (const key of ['updelay_ms', 'downdelay_ms'] as const) {
        if (bond[key] % bond.miimon_ms !== 0) {
          c.fail(pointer('interfaces', 'bonds', i, key), `a multiple of miimon_ms (${bond.miimon_ms})`, 'the kernel rounds it down otherwise');
        }
      }
    }
    if (bond.min_links > bond.members.length) {
      c.fail(pointer('interfaces', 'bonds', i, 'min_links'), `at most the number of members (${bond.members.length})`);
    }
  });

  bridges.forEach((bridge, i) => {
    const master = { name: bridge.name, kind: 'bridge' as const, pointer: pointer('interfaces', 'bridges', i) };
    bridge.members.forEach((m, j) => enslave(c, pointer('interfaces', 'bridges', i, 'members', j), m, master, ['port', 'bond', 'vlan']));
  });

  // VLAN parents are ports, bonds or bridges; a bridge without an MTU of its own is left out.
  const mtus = new Map<string, number>();
  for (const list of [bridges, bonds, ports]) for (const item of list) if (item.mtu !== undefined) mtus.set(item.name, item.mtu);
  const mtuOf = (name: string): number | undefined => mtus.get(name);

  const ids = new Map<string, number>();
  vlans.forEach((vlan, i) => {
    const parent = c.ref(pointer('interfaces', 'vlans', i, 'parent'), vlan.parent, { kinds: ['port', 'bond', 'bridge'] });
    if (!parent) return;
    const key = `${vlan.parent}\u0000${vlan.id}`;
    const first = ids.get(key);
    if (first !== undefined) {
      c.fail(pointer('interfaces', 'vlans', i, 'id'), `a VLAN id not yet used on ${vlan.parent}`, `VLAN ${vlan.id} on ${vlan.parent} is already ${vlans[first]!.name} (${pointer('interfaces', 'vlans', first)})`);
    } else {
      ids.set(key, i);
    }
    const parentMtu = mtuOf(vlan.parent);
    if (vlan.mtu !== undefined && parentMtu !== undefined && vlan.mtu > parentMtu) {
      c.fail(pointer('interfaces', 'vlans', i, 'mtu'), `an MTU of at most ${parentMtu} (the MTU of ${vlan.parent})`, `raise the MTU of ${vlan.parent} too`);
    }
  });

  const macs = new Map<string, string>();
  for (const [key, list] of [['ports', ports], ['bonds', bonds], ['vlans', vlans], ['bridges', bridges]] as const) {
    list.forEach((item: { mac?: string }, i: number) => {
      if (item.mac === undefined) return;
      const at = pointer('interfaces', key, i, 'mac');
      const mac = item.mac.toLowerCase();
      if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) {
        c.fail(at, 'a unicast MAC address (first octet even)', 'locally administered addresses look like 02:00:00:00:00:01');
        return;
      }
      if (mac === '00:00:00:00:00:00') {
        c.fail(at, 'a MAC address other than all zeros');
        return;
      }
      const first = macs.get(mac);
      if (first !== undefined) c.fail(at, 'a MAC address no other interface has', `also set at ${first}`);
      else macs.set(mac, at);
    });
  }
}
