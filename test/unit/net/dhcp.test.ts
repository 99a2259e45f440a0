// The DHCP client path: udhcpc's event and environment -> the lease; the lease -> the address and
// default route with the DHCP mark (84) on the in-memory kernel, renewals in place, an older
// lease replaced, deconfig taking off only what carries the mark; bad input -> exit 2 before the
// kernel is touched; the reconcile (`net apply`) leaving DHCP-marked objects alone; the DHCP
// clients started and stopped for the interfaces the config makes DHCP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT_BAD_INPUT, UserError } from '../../../src/cli/command.ts';
import { dhcpEventFrom, netCommands } from '../../../src/cli/net-commands.ts';
import type { Config } from '../../../src/config/generated/config.ts';
import { decodeAddress, encodeAddress } from '../../../src/kernel/rtnetlink/address.ts';
import type { AddressRequest } from '../../../src/kernel/rtnetlink/address.ts';
import { IFA_CACHEINFO, IFADDRMSG_LEN, RTM_NEWADDR, RTPROT_KERNEL, RTPROT_STOCKADE } from '../../../src/kernel/rtnetlink/constants.ts';
import { RTPROT_STOCKADE_DHCP } from '../../../src/kernel/rtnetlink/dhcp-constants.ts';
import { applyNetwork, planNetwork } from '../../../src/net/apply.ts';
import { desiredFromConfig } from '../../../src/net/desired.ts';
import { startDhcpClients, stopStaleDhcpClients } from '../../../src/net/dhcp-clients.ts';
import type { DhcpClientApi } from '../../../src/net/dhcp-clients.ts';
import { applyLease, clearDhcp, DhcpEventError, parseDhcpEvent } from '../../../src/net/dhcp-event.ts';
import { resolvConf } from '../../../src/net/resolver.ts';
import type { Lease } from '../../../src/net/dhcp-event.ts';
import { capture, load } from '../config/helpers.ts';
import { FakeKernel, FakeSysctl } from './fake-kernel.ts';
import { rejects } from './helpers.ts';

const BOUND = { interface: 'wan', ip: '198.51.100.10', mask: '24', subnet: '255.255.255.0', router: '198.51.100.1 198.51.100.2', dns: '198.51.100.53', domain: 'example.test', lease: '600', serverid: '198.51.100.1' };

function lease(of: Partial<Lease> = {}): Lease {
  return { local: '198.51.100.10', prefixLength: 24, router: '198.51.100.1', dns: [], seconds: 600, ...of };
}

function kernelWithWan(): FakeKernel {
  const k = new FakeKernel();
  k.addNic('wan');
  k.addNic('lan');
  return k;
}

const view = (k: FakeKernel) => ({
  addresses: k.addressList.map((a) => `${k.linkTable.get(a.index)!.name} ${a.local}/${a.prefixLength} ${a.protocol ?? 0}`).sort(),
  routes: k.routeList.filter((r) => r.protocol !== RTPROT_KERNEL).map((r) => `${r.dstLength === 0 ? 'default' : `${r.dst}/${r.dstLength}`} via ${r.gateway} dev ${k.linkTable.get(r.oif!)?.name} ${r.protocol}`).sort(),
});

test('bound: the lease from udhcpc\'s environment (mask wins over subnet, the first router)', () => {
  const e = parseDhcpEvent(['bound'], BOUND);
  assert.equal(e, { kind: 'bound', interface: 'wan', lease: { local: '198.51.100.10', prefixLength: 24, dns: ['198.51.100.53'], router: '198.51.100.1', domain: 'example.test', seconds: 600 } });
  const r = parseDhcpEvent(['renew'], { interface: 'wan', ip: '198.51.100.10', subnet: '255.255.255.128' });
  assert.equal(r, { kind: 'renew', interface: 'wan', lease: { local: '198.51.100.10', prefixLength: 25, dns: [] } });
  assert.equal(parseDhcpEvent(['deconfig'], { interface: 'wan' }), { kind: 'deconfig', interface: 'wan' });
  assert.equal(parseDhcpEvent(['leasefail'], { interface: 'wan' }), { kind: 'leasefail', interface: 'wan' });
  assert.is(resolvConf(lease({ dns: ['198.51.100.53'], domain: 'example.test' })), 'search example.test\nnameserver 198.51.100.53\n');
  assert.is(resolvConf(lease()), undefined);
});

test('bad or missing input: a clear error, exit 2 from the command, nothing touched', async () => {
  const bad: Array<[string[], Record<string, string>, RegExp]> = [
    [[], BOUND, /expected one event .*got none/],
    [['bound', 'x'], BOUND, /got 2/],
    [['up'], BOUND, /unknown event 'up'/],
    [['bound'], { ...BOUND, interface: '' }, /interface is not set/],
    [['bound'], { ...BOUND, interface: 'a/b' }, /not an interface name/],
    [['deconfig'], {}, /interface is not set/],
    [['bound'], { ...BOUND, ip: '' }, /bound without ip/],
    [['bound'], { ...BOUND, ip: '198.51.100.300' }, /ip='198.51.100.300' is not an IPv4 address/],
    [['renew'], { ...BOUND, mask: '33' }, /mask='33'/],
    [['bound'], { ...BOUND, mask: '', subnet: '' }, /neither mask nor subnet/],
    [['bound'], { ...BOUND, mask: '', subnet: '255.0.255.0' }, /not a contiguous netmask/],
    [['bound'], { ...BOUND, router: 'gw' }, /router has 'gw'/],
    [['bound'], { ...BOUND, lease: '-1' }, /lease='-1'/],
  ];
  for (const [args, env, re] of bad) {
    assert.throws(() => parseDhcpEvent(args, env), (e: Error) => e instanceof DhcpEventError && re.test(e.message), `${args} ${JSON.stringify(env)}`);
    assert.throws(() => dhcpEventFrom(args, env), (e: Error) => e instanceof UserError && e.exitCode === EXIT_BAD_INPUT && /^net dhcp-event: .*; nothing changed$/.test(e.message));
  }
  // The command itself: the event is checked before any socket is opened.
  const cmd = netCommands.find((c) => c.words.join(' ') === 'net dhcp-event')!;
  const io = capture();
  const run = cmd.run as (a: readonly string[], i: typeof io, env: Record<string, string>) => Promise<number>;
  await rejects(() => run(['bound'], io, { ...BOUND, ip: 'nope' }), (e) => e instanceof UserError && e.exitCode === EXIT_BAD_INPUT);
  assert.is(io.stdout, '');
});

test('bound: address and default route with the DHCP mark and the lease\'s lifetime; renew refreshes in place', async () => {
  const k = kernelWithWan();
  const sent: AddressRequest[] = [];
  k.failWith = (op) => {
    if (op.op.endsWith('address')) sent.push(op.req as AddressRequest);
    return undefined;
  };
  const done = await applyLease(k, 'wan', lease());
  assert.equal(done, ['added address 198.51.100.10/24 on wan (lease 600s)', 'added route default via 198.51.100.1 on wan']);
  assert.equal(view(k), { addresses: ['wan 198.51.100.10/24 84'], routes: [`default via 198.51.100.1 dev wan ${RTPROT_STOCKADE_DHCP}`] });
  assert.equal([sent[0]!.validLifetime, sent[0]!.preferredLifetime, sent[0]!.protocol], [600, 600, RTPROT_STOCKADE_DHCP]);

  const again = await applyLease(k, 'wan', lease({ seconds: 1200 }));
  assert.equal(again, ['renewed address 198.51.100.10/24 on wan (lease 1200s)']);
  assert.is(k.log.at(-1), 'replace address 198.51.100.10/24 wan');
  assert.is(sent.at(-1)!.validLifetime, 1200);
  assert.ok(!k.log.some((l) => l.startsWith('delete') || l.includes('link')), 'nothing deleted, the link not touched');
  assert.equal(view(k), { addresses: ['wan 198.51.100.10/24 84'], routes: [`default via 198.51.100.1 dev wan ${RTPROT_STOCKADE_DHCP}`] });

  // A new lease with another address and router: the old one goes, the route follows.
  const moved = await applyLease(k, 'wan', lease({ local: '198.51.100.20', router: '198.51.100.2', seconds: undefined }));
  assert.equal(moved, [
    'deleted address 198.51.100.10/24 on wan (an older lease)', 'added address 198.51.100.20/24 on wan (lease forever)', 'changed route default to via 198.51.100.2 on wan',
  ]);
  assert.equal(view(k), { addresses: ['wan 198.51.100.20/24 84'], routes: [`default via 198.51.100.2 dev wan ${RTPROT_STOCKADE_DHCP}`] });
  assert.is(sent.at(-1)!.validLifetime, 0xffffffff);
});

test('someone else\'s address and default route are left alone; deconfig removes only the DHCP mark\'s', async () => {
  const k = kernelWithWan();
  const wan = k.byName('wan')!.index;
  const lan = k.byName('lan')!.index;
  await k.addAddress({ index: wan, local: '203.0.113.2', prefixLength: 24, protocol: RTPROT_STOCKADE });
  await k.addAddress({ index: lan, local: '192.0.2.1', prefixLength: 24, protocol: RTPROT_STOCKADE_DHCP });
  await k.addRoute({ dst: '0.0.0.0', dstLength: 0, gateway: '203.0.113.1', oif: wan, protocol: RTPROT_STOCKADE });
  const done = await applyLease(k, 'wan', lease());
  assert.equal(done, ['added address 198.51.100.10/24 on wan (lease 600s)', 'left route default as it is (via 203.0.113.1, not added by DHCP)']);
  // The same address already there (static): not taken over.
  const k2 = kernelWithWan();
  await k2.addAddress({ index: k2.byName('wan')!.index, local: '198.51.100.10', prefixLength: 24, protocol: RTPROT_STOCKADE });
  assert.equal((await applyLease(k2, 'wan', lease({ router: undefined })))[0], 'left address 198.51.100.10/24 on wan as it is (there already, not added by DHCP)');
  assert.equal(view(k2).addresses, ['wan 198.51.100.10/24 83']);

  const cleared = await clearDhcp(k, 'wan');
  assert.equal(cleared, ['deleted address 198.51.100.10/24 on wan']);
  assert.equal(view(k), { addresses: ['lan 192.0.2.1/24 84', 'wan 203.0.113.2/24 83'], routes: [`default via 203.0.113.1 dev wan ${RTPROT_STOCKADE}`] });
  assert.equal(await clearDhcp(k, 'wan'), [], 'a second deconfig does nothing');
  assert.equal(await clearDhcp(k, 'nosuch'), []);
  await rejects(() => applyLease(k, 'nosuch', lease()), /no interface nosuch/);
});

test('an address with lifetimes: IFA_CACHEINFO (preferred, valid, stamps 0) after IFA_PROTO; without, the bytes are as before', () => {
  const base = { index: 3, local: '198.51.100.10', prefixLength: 24, protocol: RTPROT_STOCKADE_DHCP };
  const plain = encodeAddress(base);
  const timed = encodeAddress({ ...base, validLifetime: 600, preferredLifetime: 300 });
  assert.equal(timed.subarray(0, plain.length), plain);
  const attr = timed.subarray(plain.length);
  assert.equal([attr.readUInt16LE(0), attr.readUInt16LE(2), attr.readUInt32LE(4), attr.readUInt32LE(8), attr.readUInt32LE(12), attr.readUInt32LE(16)], [20, IFA_CACHEINFO, 300, 600, 0, 0]);
  const back = decodeAddress({ type: RTM_NEWADDR, flags: 0, seq: 0, pid: 0, payload: timed });
  assert.equal([back.local, back.protocol, back.validLifetime, back.preferredLifetime], ['198.51.100.10', RTPROT_STOCKADE_DHCP, 600, 300]);
  assert.is(plain.length, IFADDRMSG_LEN + 8 + 8 + 5 + 3);
});

function cfg(value: unknown): Config {
  const r = load(value);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

test('the reconcile leaves DHCP-marked addresses and routes alone (no delete, no adopt, no change)', async () => {
  const k = kernelWithWan();
  const sysctl = new FakeSysctl();
  const wan = k.byName('wan')!.index;
  await applyLease(k, 'wan', lease());
  const before = view(k);
  const writes = k.writes;
  // DHCP on wan: nothing to do (the DHCP path's objects are not "owned and not in the config").
  const dhcp = cfg({ version: 1, interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }] }, addresses: [{ interface: 'wan', dhcp: true }] });
  assert.equal((await planNetwork(desiredFromConfig(dhcp), { kernel: k, sysctl })).actions.map((a) => `${a.verb} ${a.object}`), []);
  // No longer DHCP, not anywhere in the config: still not the reconcile's to delete.
  const none = cfg({ version: 1, interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }] }, addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }] });
  const r = await applyNetwork(desiredFromConfig(none), { kernel: k, sysctl });
  assert.equal(r.done.map((a) => `${a.verb} ${a.object}`), ['create address 192.0.2.1/24 on lan']);
  // The same address and a default route on the same key in the config: neither adopted nor replaced.
  const same = cfg({
    version: 1, interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }] },
    addresses: [{ interface: 'wan', static: ['198.51.100.10/24'] }, { interface: 'lan', static: ['192.0.2.1/24'] }],
    routes: [{ destination: 'default', gateway: '198.51.100.254' }],
  });
  const plan = await planNetwork(desiredFromConfig(same), { kernel: k, sysctl });
  assert.equal(plan.actions.map((a) => `${a.verb} ${a.object}`), []);
  assert.equal(view(k).addresses, [...before.addresses, 'lan 192.0.2.1/24 83'].sort());
  assert.equal(view(k).routes, before.routes);
  assert.is(k.writes, writes + 1);
  assert.ok(k.addressList.some((a) => a.index === wan && a.protocol === RTPROT_STOCKADE_DHCP));
});

class FakeClients implements DhcpClientApi {
  procs = new Map<string, number>();
  pidfiles = new Set<string>();
  next = 100;
  log: string[] = [];
  running(ifname: string) { return this.procs.get(ifname); }
  known() { return [...this.pidfiles]; }
  start(ifname: string) {
    const pid = this.next++;
    this.procs.set(ifname, pid);
    this.pidfiles.add(ifname);
    this.log.push(`start ${ifname}`);
    return pid;
  }
  async stop(ifname: string) {
    const pid = this.procs.get(ifname);
    this.procs.delete(ifname);
    this.pidfiles.delete(ifname);
    this.log.push(`stop ${ifname}`);
    return pid;
  }
}

test('DHCP clients: started where missing, left running, stopped (and their lease removed) when the interface is no longer DHCP', async () => {
  const k = kernelWithWan();
  const c = new FakeClients();
  assert.equal(await startDhcpClients(['wan', 'gone'], k, c), ['started the DHCP client on wan (udhcpc, pid 100)', 'no DHCP client on gone: no such interface']);
  assert.equal(await startDhcpClients(['wan'], k, c), [], 'one running already');
  assert.equal(await stopStaleDhcpClients(['wan'], k, c), []);
  await applyLease(k, 'wan', lease());
  await k.addAddress({ index: k.byName('lan')!.index, local: '192.0.2.1', prefixLength: 24, protocol: RTPROT_STOCKADE });
  const stopped = await stopStaleDhcpClients([], k, c);
  assert.equal(stopped, [
    'stopped the DHCP client on wan (pid 100): no longer DHCP in the config',
    'deleted route default via 198.51.100.1 on wan (a DHCP lease; no longer DHCP in the config)',
    'deleted address 198.51.100.10/24 on wan (a DHCP lease; no longer DHCP in the config)',
  ]);
  assert.equal(view(k), { addresses: ['lan 192.0.2.1/24 83'], routes: [] });
  assert.equal(c.log, ['start wan', 'stop wan']);
});

test.run();
