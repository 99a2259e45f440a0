// The network reconcile against the real kernel in a lab namespace, with iproute2 as the oracle:
// a bridge over two ports, addresses, routes in main and another table, a policy rule, sysctls;
// a second apply writes nothing; adoption; an address change that does not bounce the link;
// deletion of owned objects only; a kernel refusal late in the apply undoes all of it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('net reconcile');
const ready = requireLab(test, 'lab/net/reconcile');

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0'], ['a:eth1', 'b:eth1'], ['a:eth2', 'b:eth2']],
};

function base(): any {
  return {
    version: 1,
    interfaces: {
      ports: [{ name: 'eth0' }, { name: 'eth1' }, { name: 'eth2' }],
      bridges: [{ name: 'br0', members: ['eth1', 'eth2'], description: 'hosts behind the box' }],
    },
    addresses: [
      { interface: 'eth0', static: ['203.0.113.2/24'] },
      { interface: 'br0', static: ['192.0.2.1/24'] },
    ],
    routes: [
      { destination: 'default', gateway: '203.0.113.254' },
      { destination: '198.51.100.0/24', gateway: '192.0.2.254', metric: 10 },
      { destination: '198.51.100.0/24', gateway: '203.0.113.253', interface: 'eth0', table: 100 },
    ],
    routing_rules: [{ priority: 1000, from: '192.0.2.128/25', table: 100 }],
    sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.br0.rp_filter': 2, 'net.ipv4.conf.all.send_redirects': 0 },
  };
}

interface Result { lines?: string[]; warnings?: string[]; writes: number; error?: string; undone?: string[]; rollbackProblems?: string[]; conflicts?: string[]; configErrors?: unknown[] }

async function net(lab: Lab, mode: 'plan' | 'apply', config: unknown): Promise<Result> {
  const [out] = await runHelper(lab, 'a', 'net-apply.ts', [mode, JSON.stringify(config)]);
  return out as unknown as Result;
}

async function ipj(lab: Lab, ...args: string[]): Promise<any[]> {
  return JSON.parse((await lab.exec('a', ['ip', '-j', ...args])).stdout || '[]');
}

async function sysctl(lab: Lab, name: string): Promise<string> {
  return (await lab.exec('a', ['sysctl', '-n', name])).stdout.trim();
}

/** What iproute2 sees, minus counters: to compare "before" and "after". */
async function state(lab: Lab): Promise<unknown> {
  const links = (await ipj(lab, '-d', 'link', 'show')).map((l) => ({
    // Not the ifindex: a link deleted and made again by a rollback has a new one.
    // Nor carrier: a bridge's follows its ports with a delay.
    name: l.ifname, flags: l.flags.filter((f: string) => f !== 'NO-CARRIER' && f !== 'LOWER_UP'), mtu: l.mtu, master: l.master, alias: l.ifalias, kind: l.linkinfo?.info_kind,
    address: l.address, stp: l.linkinfo?.info_data?.stp_state, fd: l.linkinfo?.info_data?.forward_delay,
  }));
  const addrs = (await ipj(lab, 'addr', 'show')).flatMap((l) => (l.addr_info ?? []).map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen}`));
  const routes = (await ipj(lab, 'route', 'show', 'table', 'all')).map((r) => JSON.stringify(r)).sort();
  const rules = (await ipj(lab, 'rule', 'show')).map((r) => JSON.stringify(r)).sort();
  return { links, addrs, routes, rules, forward: await sysctl(lab, 'net.ipv4.ip_forward') };
}

if (ready) {
  test('apply builds the layout; iproute2 sees it; a second apply writes nothing', async () => {
    await withLab(topo, async (lab) => {
      const plan = await net(lab, 'plan', base());
      assert.is(plan.writes, 0, 'plan writes nothing');
      assert.ok(plan.lines!.includes('create bridge br0: stp off (in the config, not in the kernel)'), plan.lines!.join('\n'));
      const r = await net(lab, 'apply', base());
      assert.is(r.error, undefined, r.error);
      // (Details can differ: a plan cannot read the sysctls of an interface not made yet.)
      const what = (l: string[]): string[] => l.map((x) => x.split(/[:(]/)[0]!.trim()).sort();
      assert.equal(what(r.lines!), what(plan.lines!), 'apply does what plan said');

      const [br] = await ipj(lab, '-d', 'link', 'show', 'br0');
      assert.is(br.linkinfo.info_kind, 'bridge');
      assert.is(br.ifalias, 'stockade: hosts behind the box');
      assert.ok(br.flags.includes('UP'));
      for (const p of ['eth1', 'eth2']) assert.is((await ipj(lab, 'link', 'show', p))[0].master, 'br0', `${p} in br0`);
      const addrs = await ipj(lab, 'addr', 'show');
      const have = addrs.flatMap((l) => (l.addr_info ?? []).filter((a: any) => a.family === 'inet' && a.local !== '127.0.0.1').map((a: any) => `${l.ifname} ${a.local}/${a.prefixlen} ${a.broadcast ?? '-'}`));
      assert.equal(have.sort(), ['br0 192.0.2.1/24 192.0.2.255', 'eth0 203.0.113.2/24 203.0.113.255']);
      const main = await ipj(lab, 'route', 'show', 'proto', '83');
      assert.equal(main.map((x) => `${x.dst} ${x.gateway} ${x.dev} ${x.metric ?? 0}`).sort(), ['198.51.100.0/24 192.0.2.254 br0 10', 'default 203.0.113.254 eth0 0']);
      const t100 = await ipj(lab, 'route', 'show', 'table', '100');
      assert.equal(t100.map((x) => `${x.dst} ${x.gateway} ${x.dev} ${x.protocol}`), ['198.51.100.0/24 203.0.113.253 eth0 83']);
      const rules = await ipj(lab, 'rule', 'show');
      const rule = rules.find((x) => x.priority === 1000);
      assert.equal([rule?.src, rule?.srclen, rule?.table, rule?.protocol], ['192.0.2.128', 25, '100', '83']);
      assert.is(await sysctl(lab, 'net.ipv4.ip_forward'), '1');
      assert.is(await sysctl(lab, 'net.ipv4.conf.br0.rp_filter'), '2');
      assert.is(await sysctl(lab, 'net.ipv4.conf.all.send_redirects'), '0');

      const again = await net(lab, 'apply', base());
      assert.equal(again.lines, [], 'nothing to change');
      assert.is(again.writes, 0, 'no netlink writes');
    });
  });

  test('adoption: objects made with ip that match the config are marked, not re-created', async () => {
    await withLab(topo, async (lab) => {
      await lab.exec('a', ['ip', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0']);
      const index = (await ipj(lab, 'link', 'show', 'br0'))[0].ifindex;
      await lab.exec('a', ['ip', 'addr', 'add', '203.0.113.2/24', 'dev', 'eth0']);
      await lab.exec('a', ['ip', 'route', 'add', 'default', 'via', '203.0.113.254']);
      const r = await net(lab, 'apply', base());
      assert.is(r.error, undefined, r.error);
      assert.ok(r.lines!.includes('adopt address 203.0.113.2/24 on eth0: protocol 0 -> 83 (already there: marked as Stockade\'s in place (not re-added))'), r.lines!.join('\n'));
      assert.ok(r.lines!.includes('adopt route default: protocol 3 -> 83 (already there: marked as Stockade\'s in place)'), r.lines!.join('\n'));
      assert.ok(r.lines!.some((x) => x.startsWith('change bridge br0: mark as Stockade\'s')), r.lines!.join('\n'));
      assert.is((await ipj(lab, 'link', 'show', 'br0'))[0].ifindex, index, 'the same bridge');
      assert.equal((await net(lab, 'apply', base())).writes, 0);
    });
  });

  test('changing an address does not bounce the link', async () => {
    await withLab(topo, async (lab) => {
      await net(lab, 'apply', base());
      const carrier = async (): Promise<string> => (await lab.exec('a', ['cat', '/sys/class/net/br0/carrier_changes', '/sys/class/net/br0/ifindex'])).stdout;
      const before = await carrier();
      const c = base();
      c.addresses[1].static = ['192.0.2.3/24'];
      const r = await net(lab, 'apply', c);
      // The new address comes first (br0 is never without one, so the kernel keeps its routes);
      // it is a secondary of the old primary, which the kernel would delete with the primary
      // unless promote_secondaries is on.
      assert.equal(r.lines, [
        'change sysctl net.ipv4.conf.br0.promote_secondaries: 0 -> 1 (a primary address is deleted: keep the other addresses of its subnet)',
        'create address 192.0.2.3/24 on br0 (in the config, not on the interface)',
        'delete address 192.0.2.1/24 on br0 (added by Stockade and no longer in the config)',
      ]);
      assert.is(await carrier(), before, 'same ifindex, no carrier change');
      const addrs = (await ipj(lab, 'addr', 'show', 'br0'))[0].addr_info.filter((a: any) => a.family === 'inet').map((a: any) => a.local);
      assert.equal(addrs, ['192.0.2.3']);
      const main = await ipj(lab, 'route', 'show', 'proto', '83');
      assert.ok(main.some((x) => x.dst === '198.51.100.0/24' && x.gateway === '192.0.2.254'), JSON.stringify(main));
      assert.is((await net(lab, 'apply', c)).writes, 0);
    });
  });

  test('only Stockade\'s own objects are deleted', async () => {
    await withLab(topo, async (lab) => {
      const c = base();
      c.interfaces.bridges.push({ name: 'br1' });
      await net(lab, 'apply', c);
      // Someone else's objects, on managed and unmanaged interfaces.
      await lab.exec('a', ['ip', 'link', 'add', 'br9', 'type', 'bridge']);
      await lab.exec('a', ['ip', 'addr', 'add', '192.0.2.200/24', 'dev', 'br0']);
      await lab.exec('a', ['ip', 'route', 'add', '198.51.100.128/25', 'via', '192.0.2.253', 'table', '100']);
      await lab.exec('a', ['ip', 'rule', 'add', 'priority', '2000', 'from', '192.0.2.64/26', 'table', '100']);
      const r = await net(lab, 'apply', { ...base(), routes: [base().routes[0]], routing_rules: [], sysctls: {}, addresses: [base().addresses[0]] });
      assert.is(r.error, undefined, r.error);
      assert.equal([...r.lines!].sort(), [
        'delete address 192.0.2.1/24 on br0 (added by Stockade and no longer in the config)',
        'delete bridge br1 (made by Stockade and no longer in the config)',
        'delete route 198.51.100.0/24 metric 10: via 192.0.2.254 dev br0 (added by Stockade and no longer in the config)',
        'change sysctl net.ipv4.conf.br0.promote_secondaries: 0 -> 1 (a primary address is deleted: keep the other addresses of its subnet)',
        'delete route 198.51.100.0/24 table 100: via 203.0.113.253 dev eth0 (added by Stockade and no longer in the config)',
        'delete rule 1000: from 192.0.2.128/25 lookup 100 (added by Stockade and no longer in the config)',
      ].sort());
      assert.is((await ipj(lab, 'link', 'show', 'br9')).length, 1, 'foreign bridge kept');
      assert.ok((await ipj(lab, 'addr', 'show', 'br0'))[0].addr_info.some((a: any) => a.local === '192.0.2.200'), 'foreign address kept');
      assert.is((await ipj(lab, 'route', 'show', 'table', '100')).length, 1, 'foreign route kept');
      assert.ok((await ipj(lab, 'rule', 'show')).some((x) => x.priority === 2000), 'foreign rule kept');
    });
  });

  test('a kernel refusal in the last phase undoes everything the apply did', async () => {
    await withLab(topo, async (lab) => {
      const before = await state(lab);
      const c = base();
      // Read-only even for root: the kernel refuses the write.
      c.sysctls['net.ipv4.conf.all.mc_forwarding'] = 1;
      const r = await net(lab, 'apply', c);
      assert.match(r.error ?? '', /^change sysctl net\.ipv4\.conf\.all\.mc_forwarding \(0 -> 1\): the kernel refused: not writable; the \d+ other changes this apply made were undone$/);
      assert.equal(r.rollbackProblems, []);
      assert.ok(r.undone!.some((x) => x.startsWith('create bridge br0')));
      assert.equal(await state(lab), before, 'the kernel is as it was');
    });
  });

  test('no bonding in this kernel: a clear error naming the bond and the module; the bridge it had deleted is back', async () => {
    await withLab(topo, async (lab) => {
      const c = base();
      c.interfaces.bridges.push({ name: 'br1', stp: true, forward_delay_s: 4, members: [] });
      await net(lab, 'apply', c);
      const before = await state(lab);
      const next = base();
      next.interfaces.bridges[0].members = ['eth1'];
      next.interfaces.bonds = [{ name: 'bond0', members: ['eth2'] }];
      const r = await net(lab, 'apply', next);
      assert.match(r.error ?? '', /^create bond bond0 \(mode active-backup, miimon 100 ms\): the kernel refused: Unknown device type \(ENOTSUP\); is the bonding module loaded\?/);
      assert.ok(r.undone!.includes('delete bridge br1 (made by Stockade and no longer in the config)'), r.undone!.join('\n'));
      assert.ok(r.undone!.some((x) => x.startsWith('change port eth2: leave br0')), r.undone!.join('\n'));
      assert.equal(await state(lab), before, 'br1 made again with its options, eth2 back in br0');
    });
  });

  test('a same-named interface that Stockade did not make is refused before anything is written', async () => {
    await withLab(topo, async (lab) => {
      await lab.exec('a', ['ip', 'link', 'add', 'br0', 'type', 'veth', 'peer', 'name', 'br0p']);
      const r = await net(lab, 'apply', base());
      assert.match(r.error ?? '', /bridge br0: an interface named br0 exists that Stockade did not create, and it is a veth; rename or delete it/);
      assert.is(r.writes, 0);
    });
  });
}

test.run();
