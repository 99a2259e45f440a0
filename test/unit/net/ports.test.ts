// Port naming logic against a scripted kernel: matching (MAC, permanent MAC, bus path), swaps,
// refusals, and undoing renames when the kernel refuses one midway.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NetlinkError } from '../../../src/kernel/netlink/ack.ts';
import { ARPHRD_ETHER, IFF_UP } from '../../../src/kernel/rtnetlink/constants.ts';
import type { ChangeLinkRequest, Link } from '../../../src/kernel/rtnetlink/link.ts';
import { netDeviceChain } from '../../../src/kernel/sysfs-net.ts';
import { namePortsWith, portSpecs, PortNamingError } from '../../../src/net/ports.ts';
import type { PortNamingDeps } from '../../../src/net/ports.ts';
import { rejects } from './helpers.ts';

function link(index: number, name: string, mac: string, extra: Partial<Link> = {}): Link {
  return { index, name, flags: IFF_UP, type: ARPHRD_ETHER, mtu: 1500, address: mac, ...extra };
}

/** Links by index; renames and flag changes as the kernel does them (EEXIST on a taken name). */
function fakeKernel(links: Link[], failOn?: (req: ChangeLinkRequest) => boolean): PortNamingDeps['kernel'] & { log: string[]; state: Link[] } {
  const state = links.map((l) => ({ ...l }));
  const log: string[] = [];
  return {
    state,
    log,
    async links() { return state.map((l) => ({ ...l })); },
    async changeLink(req) {
      const l = state.find((x) => x.index === req.index)!;
      if (failOn?.(req)) throw new NetlinkError(-16, 16, { message: 'injected refusal' });
      if (req.name !== undefined) {
        if (state.some((x) => x.name === req.name && x !== l)) throw new NetlinkError(-17, 16);
        if ((l.flags & IFF_UP) !== 0) throw new NetlinkError(-16, 16);
        log.push(`rename ${l.name} ${req.name}`);
        l.name = req.name;
      }
      if (req.up !== undefined) {
        log.push(`${req.up ? 'up' : 'down'} ${l.name}`);
        l.flags = req.up ? l.flags | IFF_UP : l.flags & ~IFF_UP;
      }
    },
  };
}

const noSysfs = (): undefined => undefined;
const names = (k: { state: Link[] }): Record<string, number> => Object.fromEntries(k.state.map((l) => [l.name, l.index]));

test('by MAC, case-insensitive; the permanent address wins over the current one', async () => {
  const k = fakeKernel([
    link(2, 'eth0', '02:00:00:00:00:01'),
    // A bond member: its current MAC is the bond's, its permanent one its own.
    link(3, 'eth1', '02:00:00:00:00:01', { permAddress: '52:54:00:00:00:02' }),
  ]);
  const r = await namePortsWith({ kernel: k, deviceChain: noSysfs }, [
    { label: 'wan', mac: '02:00:00:00:00:01' }, { label: 'lan', mac: '52:54:00:00:00:02' },
  ]);
  assert.equal(r.missing, []);
  assert.equal(names(k), { wan: 2, lan: 3 });
});

test('stacked devices (bridge, bond, vlan, macvlan) are never taken for a NIC', async () => {
  const k = fakeKernel([
    link(5, 'br0', '02:00:00:00:00:01', { kind: 'bridge' }),
    link(6, 'eth0.10', '02:00:00:00:00:01', { kind: 'vlan' }),
    link(2, 'eth0', '02:00:00:00:00:01'),
  ]);
  const r = await namePortsWith({ kernel: k, deviceChain: noSysfs }, [{ label: 'wan', mac: '02:00:00:00:00:01' }]);
  assert.equal(r.named, [{ label: 'wan', from: 'eth0', index: 2, changed: true }]);
});

test('by bus path: the nearest device in the chain wins (virtio under PCI)', async () => {
  const chains: Record<string, string[]> = {
    eth0: ['virtio0', '0000:00:03.0', 'pci0000:00'],
    eth1: ['virtio1', '0000:00:04.0', 'pci0000:00'],
    eth2: ['0000:00:05.0', 'pci0000:00'],
  };
  const k = fakeKernel([link(2, 'eth0', 'a'), link(3, 'eth1', 'b'), link(4, 'eth2', 'c')]);
  const r = await namePortsWith({ kernel: k, deviceChain: (n) => chains[n] }, [
    { label: 'wan', path: '0000:00:04.0' }, { label: 'mgmt', path: '0000:00:05.0' }, { label: 'none', path: '0000:00:09.0' },
  ]);
  assert.equal(r.missing, ['none']);
  assert.equal(names(k), { eth0: 2, wan: 3, mgmt: 4 });
  await rejects(() => namePortsWith({ kernel: fakeKernel([link(2, 'eth0', 'a'), link(3, 'eth1', 'b')]), deviceChain: (n) => chains[n] },
    [{ label: 'x', path: 'pci0000:00' }]), /matches 2 interfaces \(eth0, eth1\)/);
});

test('a swap goes through temporary names and restores the admin state', async () => {
  const k = fakeKernel([link(2, 'eth0', '02:00:00:00:00:00'), link(3, 'eth1', '02:00:00:00:00:01', { flags: 0 })]);
  const r = await namePortsWith({ kernel: k, deviceChain: noSysfs }, [
    { label: 'eth0', mac: '02:00:00:00:00:01' }, { label: 'eth1', mac: '02:00:00:00:00:00' },
  ]);
  assert.equal(names(k), { eth1: 2, eth0: 3 });
  assert.equal(r.named.map((n) => [n.label, n.from, n.changed]), [['eth0', 'eth1', true], ['eth1', 'eth0', true]]);
  assert.is(k.state.find((l) => l.index === 2)!.flags & IFF_UP, IFF_UP, 'was up, is up');
  assert.is(k.state.find((l) => l.index === 3)!.flags & IFF_UP, 0, 'was down, is down');
  assert.equal(k.log, ['down eth0', 'rename eth1 stkport3', 'rename eth0 stkport2', 'rename stkport3 eth0', 'rename stkport2 eth1', 'up eth1']);
});

test('already named: nothing is written', async () => {
  const k = fakeKernel([link(2, 'wan', '02:00:00:00:00:00')]);
  const r = await namePortsWith({ kernel: k, deviceChain: noSysfs }, [{ label: 'wan', mac: '02:00:00:00:00:00' }]);
  assert.equal(r.named, [{ label: 'wan', from: 'wan', index: 2, changed: false }]);
  assert.equal(k.log, []);
});

test('a kernel refusal midway undoes the renames and names the port and the reason', async () => {
  const k = fakeKernel([link(2, 'eth0', '02:00:00:00:00:00'), link(3, 'eth1', '02:00:00:00:00:01')],
    (req) => req.index === 3 && req.name === 'lan');
  await rejects(() => namePortsWith({ kernel: k, deviceChain: noSysfs }, [
    { label: 'wan', mac: '02:00:00:00:00:00' }, { label: 'lan', mac: '02:00:00:00:00:01' },
  ]), (e: Error) => e instanceof PortNamingError && /port lan: cannot rename stkport3 to lan \(index 3\): injected refusal \(EBUSY\)/.test(e.message));
  assert.equal(names(k), { eth0: 2, eth1: 3 });
  assert.ok(k.state.every((l) => (l.flags & IFF_UP) !== 0), 'both up again');
});

test('bad specs are refused before the kernel is asked', async () => {
  const k = fakeKernel([]);
  const deps = { kernel: k, deviceChain: noSysfs };
  await rejects(() => namePortsWith(deps, [{ label: 'Wan', mac: '02:00:00:00:00:00' }]), /expected 1-15 characters/);
  await rejects(() => namePortsWith(deps, [{ label: 'a', mac: '02:00:00:00:00:00', path: 'x' }]), /exactly one of mac and path/);
  await rejects(() => namePortsWith(deps, [{ label: 'a', mac: '02:00:00:00:00:00' }, { label: 'a', mac: '02:00:00:00:00:01' }]), /given twice/);
  await rejects(() => namePortsWith(deps, [{ label: 'a', mac: '02:00:00:00:00:0A' }, { label: 'b', mac: '02:00:00:00:00:0a' }]), /for another port too/);
});

test('netDeviceChain reads the device link of a sysfs tree', () => {
  const root = mkdtempSync(join(tmpdir(), 'stk-sysfs-'));
  try {
    mkdirSync(join(root, 'devices/pci0000:00/0000:00:03.0/virtio0'), { recursive: true });
    mkdirSync(join(root, 'class/net/eth0'), { recursive: true });
    mkdirSync(join(root, 'class/net/veth0'), { recursive: true });
    symlinkSync('../../../devices/pci0000:00/0000:00:03.0/virtio0', join(root, 'class/net/eth0/device'));
    assert.equal(netDeviceChain('eth0', root), ['virtio0', '0000:00:03.0', 'pci0000:00']);
    assert.is(netDeviceChain('veth0', root), undefined);
    assert.is(netDeviceChain('nosuch', root), undefined);
    assert.is(netDeviceChain('../x', root), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// The config's assignments (interfaces.ports[].nic_mac, the console's Assign ports).
const BOARD = [{ label: 'wan', path: '0000:00:03.0' }, { label: 'lan', path: '0000:00:04.0' }, { label: 'sync', mac: '52:54:00:00:00:03' }];
const CHAINS: Record<string, string[]> = { eth0: ['virtio0', '0000:00:03.0'], eth1: ['virtio1', '0000:00:04.0'], eth2: ['virtio2', '0000:00:05.0'] };
const NICS = (): Link[] => [link(2, 'eth0', '52:54:00:00:00:01'), link(3, 'eth1', '52:54:00:00:00:02'), link(4, 'eth2', '52:54:00:00:00:03')];

test('config assignments: two labels swapped by nic_mac trade NICs; the board maps the rest', async () => {
  const specs = portSpecs(BOARD, [{ name: 'wan', nic_mac: '52:54:00:00:00:02' }, { name: 'lan', nic_mac: '52:54:00:00:00:01' }, { name: 'sync' }]);
  assert.equal(specs, [{ label: 'wan', mac: '52:54:00:00:00:02', assigned: true }, { label: 'lan', mac: '52:54:00:00:00:01', assigned: true }, { label: 'sync', mac: '52:54:00:00:00:03' }]);
  const k = fakeKernel(NICS());
  const r = await namePortsWith({ kernel: k, deviceChain: (n) => CHAINS[n] }, specs);
  assert.equal(r.missing, []);
  assert.equal(names(k), { lan: 2, wan: 3, sync: 4 });
  // Without the config's say, the board's mapping.
  const plain = fakeKernel(NICS());
  await namePortsWith({ kernel: plain, deviceChain: (n) => CHAINS[n] }, portSpecs(BOARD, [{ name: 'wan' }]));
  assert.equal(names(plain), { wan: 2, lan: 3, sync: 4 });
});

test('config assignments: a board port whose NIC the config gives away keeps none (missing), whether the board maps it by path or MAC; a new label is added', async () => {
  const specs = portSpecs(BOARD, [{ name: 'lan', nic_mac: '52:54:00:00:00:01' }, { name: 'dmz', nic_mac: '52:54:00:00:00:03' }]);
  assert.equal(specs.map((s) => s.label), ['wan', 'lan', 'dmz'], 'sync (by MAC) is left out: its NIC is dmz now');
  const k = fakeKernel(NICS());
  const r = await namePortsWith({ kernel: k, deviceChain: (n) => CHAINS[n] }, specs);
  assert.equal(r.missing, ['wan']);
  assert.equal(names(k), { lan: 2, eth1: 3, dmz: 4 }, 'the NIC no label names keeps its kernel name');
});

test.run();
