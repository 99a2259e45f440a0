// The rtnetlink client against the real kernel, iproute2 as the oracle: veth and macvlan made
// over netlink, bridge options and ports, an address with its protocol mark, routes and a rule;
// a refusal carries the kernel's own message.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('rtnetlink client');
const ready = requireLab(test, 'lab/net/rtnetlink');

async function ops(lab: Lab, list: unknown[]): Promise<Record<string, unknown>> {
  const [out] = await runHelper(lab, 'a', 'rtnl-ops.ts', [JSON.stringify(list)]);
  return out!;
}

async function link(lab: Lab, name: string): Promise<any> {
  return JSON.parse((await lab.exec('a', ['ip', '-j', '-d', 'link', 'show', 'dev', name])).stdout)[0];
}

if (ready) {
  test('veth pair and macvlan, bridge with options and a port, alias, MTU, MAC, rename, delete', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      const r = await ops(lab, [
        ['createLink', { name: 'va', address: '02:00:00:00:00:0a', info: { kind: 'veth', peer: { name: 'vb', address: '02:00:00:00:00:0b' } } }],
        ['createLink', { name: 'mv0', parent: { $index: 'eth0' }, info: { kind: 'macvlan', macvlan: { mode: 4 } } }],
        ['createLink', { name: 'br0', info: { kind: 'bridge', bridge: { forwardDelayCs: 400, stpState: 1, priority: 8192, ageingTimeCs: 6000 } } }],
        ['changeLink', { index: { $index: 'vb' }, master: { $index: 'br0' } }],
        ['changeLink', { index: { $index: 'va' }, mtu: 1400, address: '02:00:00:00:00:0c', alias: 'stockade: test', up: true }],
        ['changeLink', { index: { $index: 'mv0' }, name: 'mac0' }],
      ]);
      assert.equal(r, { ok: true, writes: 6 });
      const va = await link(lab, 'va');
      assert.equal([va.linkinfo.info_kind, va.address, va.mtu, va.ifalias, va.flags.includes('UP')], ['veth', '02:00:00:00:00:0c', 1400, 'stockade: test', true]);
      assert.is((await link(lab, 'vb')).master, 'br0');
      const mac0 = await link(lab, 'mac0');
      assert.equal([mac0.linkinfo.info_kind, mac0.linkinfo.info_data.mode, mac0.link], ['macvlan', 'bridge', 'eth0']);
      const br = (await link(lab, 'br0')).linkinfo.info_data;
      assert.equal([br.forward_delay, br.stp_state, br.priority, br.ageing_time], [400, 1, 8192, 6000]);
      assert.equal(await ops(lab, [['deleteLink', { $index: 'mac0' }], ['deleteLink', { $index: 'va' }]]), { ok: true, writes: 2 });
      assert.is((await lab.exec('a', ['ip', 'link', 'show', 'dev', 'vb'], { check: false })).code, 1, 'the peer went with va');
    });
  });

  test('address with the Stockade mark, route in another table, policy rule; iproute2 sees them', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      const r = await ops(lab, [
        ['addAddress', { index: { $index: 'eth0' }, local: '192.0.2.1', prefixLength: 24, broadcast: '192.0.2.255', protocol: 83 }],
        ['addRoute', { dst: '198.51.100.0', dstLength: 24, gateway: '192.0.2.254', table: 1000, metric: 7, protocol: 83, oif: { $index: 'eth0' } }],
        ['addRule', { src: '192.0.2.128', srcLength: 25, priority: 500, table: 1000, protocol: 83 }],
      ]);
      assert.equal(r, { ok: true, writes: 3 });
      const [eth0] = JSON.parse((await lab.exec('a', ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])).stdout);
      assert.ok(eth0.addr_info.some((a: any) => a.local === '192.0.2.1' && a.broadcast === '192.0.2.255'));
      const [route] = JSON.parse((await lab.exec('a', ['ip', '-j', 'route', 'show', 'table', '1000'])).stdout);
      assert.equal([route.dst, route.gateway, route.metric, route.protocol], ['198.51.100.0/24', '192.0.2.254', 7, '83']);
      const rule = JSON.parse((await lab.exec('a', ['ip', '-j', 'rule', 'show'])).stdout).find((x: any) => x.priority === 500);
      assert.equal([rule.src, rule.srclen, rule.table, rule.protocol], ['192.0.2.128', 25, '1000', '83']);
      // Marked in place, then deleted, through the same codecs.
      assert.equal(await ops(lab, [
        ['addAddress', { index: { $index: 'eth0' }, local: '192.0.2.1', prefixLength: 24, protocol: 84 }, { replace: true }],
        ['deleteRule', { src: '192.0.2.128', srcLength: 25, priority: 500, table: 1000 }],
        ['deleteRoute', { dst: '198.51.100.0', dstLength: 24, table: 1000, metric: 7 }],
      ]), { ok: true, writes: 3 });
      assert.is(JSON.parse((await lab.exec('a', ['ip', '-j', 'route', 'show', 'table', '1000'])).stdout).length, 0);
    });
  });

  test('a refusal carries the kernel\'s message: bond (no bonding here), duplicate name, bad gateway', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      const bond = await ops(lab, [['createLink', { name: 'bond0', info: { kind: 'bond', bond: { mode: 1 } } }]]);
      assert.match(String(bond['error']), /Unknown device type/);
      assert.is(bond['code'], 'ENOTSUP');
      const dup = await ops(lab, [['createLink', { name: 'eth0', info: { kind: 'bridge' } }]]);
      assert.is(dup['code'], 'EEXIST');
      const gw = await ops(lab, [['addRoute', { dst: '198.51.100.0', dstLength: 24, gateway: '203.0.113.1', oif: { $index: 'eth0' } }]]);
      assert.match(String(gw['error']), /Nexthop has invalid gateway/);
    });
  });
  test('create with an alias: made up with its mark in one datagram; a duplicate name leaves the other link unmarked', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      // The alias goes in a second message by name (the kernel ignores IFLA_IFALIAS at creation).
      assert.equal(await ops(lab, [['createLink', { name: 'br7', up: true, alias: 'stockade: made', info: { kind: 'bridge' } }]]), { ok: true, writes: 2 });
      const br7 = await link(lab, 'br7');
      assert.equal([br7.linkinfo.info_kind, br7.ifalias, br7.flags.includes('UP')], ['bridge', 'stockade: made', true]);
      // A same-named link already there: the create is refused (EEXIST) while the alias message
      // after it in the datagram lands on that link; Rtnl takes the mark off again.
      await lab.exec('a', ['ip', 'link', 'add', 'br8', 'type', 'bridge']);
      const dup = await ops(lab, [['createLink', { name: 'br8', alias: 'stockade', info: { kind: 'bridge' } }]]);
      assert.is(dup['code'], 'EEXIST');
      assert.is((await link(lab, 'br8')).ifalias, undefined, 'not marked as Stockade\'s');
    });
  });
}

test.run();
