// The network setup in the appliance image (Debian's kernel has bonding and 8021q), two x86_64
// VMs joined back to back by qemu UDP links on wan, lan and sync:
//   - `stockade net apply` builds a bond (active-backup over wan and lan) with two VLANs on top,
//     as the seed recommends under the VIPs, and a VLAN on sync; a second apply changes nothing;
//   - tagged traffic flows between the VMs on each VLAN, and only with matching VLAN ids;
//   - when the active member's carrier is cut (qemu's set_link off on both ends of the cable, as a
//     pulled cable: the member stays admin-up, the bond sees it through miimon), traffic keeps
//     flowing over the other member;
//   - `stockade boot` builds the same bond and VLANs from a config (its network step is the net
//     apply); run again inside the running VMs rather than in a new VM: boots are CI's slow part.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureImages } from './images.ts';
import { startVms } from './vm.ts';
import type { Vm, Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';

/** A hang guard, not a figure: the image tier runs this beside another lane of VMs on two cores. */
const BOOT_TIMEOUT_MS = 600_000;

function config(n: 1 | 2, intVlan = 20): unknown {
  return {
    version: 1,
    interfaces: {
      ports: [{ name: 'wan' }, { name: 'lan' }, { name: 'sync' }, { name: 'mgmt' }],
      bonds: [{ name: 'bond0', mode: 'active-backup', members: ['wan', 'lan'], primary: 'wan', miimon_ms: 100, description: 'uplinks' }],
      vlans: [
        { name: 'ext', parent: 'bond0', id: 10, description: 'external network' },
        { name: 'int', parent: 'bond0', id: intVlan, description: 'internal network' },
        { name: 'sv', parent: 'sync', id: 30 },
      ],
    },
    addresses: [
      { interface: 'ext', static: [`198.51.100.${n}/24`] },
      { interface: 'int', static: [`192.0.2.${n}/25`] },
      { interface: 'sv', static: [`203.0.113.${n}/24`] },
    ],
    sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.send_redirects': 0 },
  };
}

const ctx: { vms?: Vms; ready: Map<string, Promise<void>> } = { ready: new Map() };

function vm(name: string): Vm {
  if (!ctx.vms) throw new Error('the VMs did not start');
  return ctx.vms.vm(name);
}

function ready(name: string): Promise<void> {
  let p = ctx.ready.get(name);
  if (!p) {
    // The base firewall drops pings on the ports (the board's config lets them in on mgmt
    // only); these tests are about the network, so pings are let in everywhere. Once the daemon
    // (init starts it) has applied its ruleset: it would replace the INPUT chain holding the
    // rule, while later it only reports such a change as drift.
    p = vm(name).waitFor(/stockade: boot complete/, BOOT_TIMEOUT_MS).then(() => vm(name).login())
      .then(async () => {
        const deadline = Date.now() + BOOT_TIMEOUT_MS;
        for (;;) {
          const r = await vm(name).run('stockade ctl firewall', 60_000);
          if (/^firewall: applied /m.test(r.output)) break;
          if (Date.now() > deadline) throw new Error(`${name}: the daemon never applied its firewall:\n${r.output}`);
          await new Promise((res) => setTimeout(res, 1000));
        }
        await vm(name).run('iptables -I INPUT 1 -p icmp -j ACCEPT');
      });
    ctx.ready.set(name, p);
  }
  return p;
}

async function sh(name: string, command: string, timeoutMs = 60_000): Promise<string> {
  await ready(name);
  const r = await vm(name).run(command, timeoutMs);
  assert.is(r.code, 0, `${name}: \`${command}\` exited ${r.code}:\n${r.output}`);
  return r.output;
}

/** Writes the config into the VM and runs `stockade net apply --json` on it. */
async function apply(name: string, cfg: unknown): Promise<{ done: Array<{ verb: string; object: string }>; writes: number; warnings: string[] }> {
  const b64 = Buffer.from(JSON.stringify(cfg)).toString('base64');
  await sh(name, `echo ${b64} | base64 -d > /tmp/net.json`);
  const out = await sh(name, 'stockade net apply /tmp/net.json --json', 120_000);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

async function pings(name: string, address: string, count = 3): Promise<boolean> {
  await ready(name);
  return (await vm(name).run(`ping -c ${count} -W 2 ${address}`, 60_000)).code === 0;
}

const Net = suite('image netsetup');

Net.before(loud('net', async () => {
  await ensureImages(['x86_64-generic']);
  ctx.vms = await startVms({
    vms: { a: { board: 'x86_64-generic' }, b: { board: 'x86_64-generic' } },
    links: [['a:wan', 'b:wan'], ['a:lan', 'b:lan'], ['a:sync', 'b:sync']],
  });
}));

Net.after(async () => {
  await ctx.vms?.destroy();
});

Net('net apply builds the bond, the VLANs on it and the sync VLAN; a second apply changes nothing', async () => {
  const [ra, rb] = await Promise.all([apply('a', config(1)), apply('b', config(2))]);
  for (const r of [ra, rb]) {
    const made = r.done.map((d) => `${d.verb} ${d.object}`);
    // The bonding module loads with max_bonds=0 (rootfs/etc/modprobe.d): bond0 is the config's.
    for (const o of ['create bond bond0', 'change port wan', 'change port lan', 'create vlan ext', 'create vlan int', 'create vlan sv', `create address 198.51.100.${r === ra ? 1 : 2}/24 on ext`]) {
      assert.ok(made.includes(o), `${o} in:\n${made.join('\n')}`);
    }
  }
  const bonding = await sh('a', 'cat /proc/net/bonding/bond0');
  assert.match(bonding, /Bonding Mode: fault-tolerance \(active-backup\)/);
  assert.match(bonding, /Currently Active Slave: wan/);
  assert.match(bonding, /MII Polling Interval \(ms\): 100/);
  assert.match(await sh('a', 'cat /proc/net/vlan/config'), /ext\s+\| 10\s+\| bond0/);
  assert.is((await sh('a', 'cat /sys/class/net/bond0/ifalias')).trim(), 'stockade: uplinks');
  const again = await apply('a', config(1));
  assert.equal([again.done, again.writes], [[], 0], 'nothing to change');
});

Net('tagged traffic flows on each VLAN, over the bond and over sync', async () => {
  assert.ok(await pings('a', '198.51.100.2'), 'ext (VLAN 10 on the bond)');
  assert.ok(await pings('a', '192.0.2.2'), 'int (VLAN 20 on the bond)');
  assert.ok(await pings('a', '203.0.113.2'), 'sv (VLAN 30 on sync)');
});

Net('different VLAN ids do not talk; making them match again (a VLAN made again) does', async () => {
  const r = await apply('b', config(2, 21));
  const what = r.done.map((d) => `${d.verb} ${d.object}`);
  assert.ok(what.includes('delete vlan int') && what.includes('create vlan int'), what.join('\n'));
  assert.not.ok(await pings('a', '192.0.2.2', 2), 'VLAN 20 on a, 21 on b');
  assert.ok(await pings('a', '198.51.100.2'), 'the other VLAN is untouched');
  await apply('b', config(2));
  assert.ok(await pings('a', '192.0.2.2'), 'VLAN 20 on both again');
});

Net('the active member\'s carrier is cut: the bond fails over and traffic keeps flowing', async () => {
  await Promise.all([ready('a'), ready('b')]);
  await Promise.all([vm('a').setLink('wan', false), vm('b').setLink('wan', false)]);
  try {
    const deadline = Date.now() + 10_000;
    let active = '';
    while (Date.now() < deadline) {
      active = /Currently Active Slave: (\S+)/.exec(await sh('a', 'cat /proc/net/bonding/bond0'))?.[1] ?? '';
      if (active === 'lan') break;
    }
    assert.is(active, 'lan');
    // A carrier loss, not an admin change: wan is still up as far as the config is concerned.
    assert.match(await sh('a', 'cat /sys/class/net/wan/operstate'), /down/);
    assert.match(await sh('a', 'echo "up=$(( $(cat /sys/class/net/wan/flags) & 1 ))"'), /up=1/, 'IFF_UP still set');
    assert.ok(await pings('a', '198.51.100.2'), 'ext over lan');
    assert.ok(await pings('a', '192.0.2.2'), 'int over lan');
  } finally {
    await Promise.all([vm('a').setLink('wan', true), vm('b').setLink('wan', true)]);
  }
  // The cable is back: the primary takes over again.
  const deadline = Date.now() + 10_000;
  let active = '';
  while (Date.now() < deadline) {
    active = /Currently Active Slave: (\S+)/.exec(await sh('a', 'cat /proc/net/bonding/bond0'))?.[1] ?? '';
    if (active === 'wan') break;
  }
  assert.is(active, 'wan');
  assert.ok(await pings('a', '198.51.100.2'), 'ext after the repair');
});

Net('stockade boot builds the bond and the VLANs on it (its network step), and a second boot changes nothing', async () => {
  // The net apply removes what Stockade made when the config no longer has it: start from bare ports.
  const bare = await apply('a', { version: 1, interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }, { name: 'sync' }, { name: 'mgmt' }] } });
  assert.ok(bare.done.some((d) => d.verb === 'delete' && d.object === 'bond bond0'), JSON.stringify(bare.done));
  assert.not.match(await sh('a', 'cat /proc/net/vlan/config'), /\bext\b/);
  const b64 = Buffer.from(JSON.stringify(config(1))).toString('base64');
  await sh('a', `echo ${b64} | base64 -d > /tmp/boot.json`);
  // As init runs it, but the firewall is left as the test set it (pings let in) and nothing is mounted again.
  const boot = await sh('a', 'stockade boot --config /tmp/boot.json --skip mounts,modules,firewall', 120_000);
  const line = /^stockade: network +changed +(\d+) changes: (.*)$/m.exec(boot);
  assert.ok(line, boot);
  assert.match(boot, /^stockade: sysctls +(ok|changed) +\d+ set, \d+ already right$/m);
  assert.match(boot, /stockade: boot complete/);
  assert.match(await sh('a', 'cat /proc/net/bonding/bond0'), /Bonding Mode: fault-tolerance \(active-backup\)/);
  const vlans = await sh('a', 'cat /proc/net/vlan/config');
  assert.match(vlans, /ext\s+\| 10\s+\| bond0/);
  assert.match(vlans, /int\s+\| 20\s+\| bond0/);
  assert.ok(await pings('a', '198.51.100.2'), 'ext (VLAN 10 on the bond built by boot)');
  assert.ok(await pings('a', '192.0.2.2'), 'int (VLAN 20 on the bond built by boot)');
  const again = await sh('a', 'stockade boot --config /tmp/boot.json --skip mounts,modules,firewall', 120_000);
  assert.match(again, /^stockade: network +ok +no change$/m);
});

Net.run();
