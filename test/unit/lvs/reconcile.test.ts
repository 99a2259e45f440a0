// Reconcile: the config's table against a (fake) kernel's dump. Only what differs is written, an
// unchanged apply writes nothing, foreign services stay unless lvs.exclusive, health drives the
// table, a refused write undoes the others, a missing scheduler stops the apply before any write.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtureConfig } from '../config/helpers.ts';
import { desiredTable, LvsApplyError, LvsManager, planLvs, planSync } from '../../../src/lvs/index.ts';
import { FakeIpvs } from './fake-ipvs.ts';

const config = fixtureConfig;

const quiet = (): void => undefined;

test('a fresh kernel gets every service and real server, with ipvsadm\'s values', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config(), quiet);
  await m.apply();
  assert.equal(k.writes, [
    'add-service tcp 203.0.113.10:80', 'add-service tcp 203.0.113.10:443',
    'add-dest tcp 203.0.113.10:80 198.51.100.11:8080', 'add-dest tcp 203.0.113.10:80 198.51.100.12:8080',
    'add-dest tcp 203.0.113.10:443 198.51.100.11:443', 'add-dest tcp 203.0.113.10:443 198.51.100.12:443',
  ]);
  const tls = k.services.get('tcp 203.0.113.10:443')!;
  assert.is(tls.scheduler, 'wlc');
  assert.is(tls.timeout, 300);
  assert.is(tls.flags & 1, 1, 'persistent');
  assert.is(tls.netmask >>> 0, 0xffffffff);
  assert.equal(k.services.get('tcp 203.0.113.10:80')!.dests.map((d) => [d.forward, d.weight]), [['nat', 1], ['nat', 2]]);
});

test('an unchanged apply writes nothing', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config(), quiet);
  await m.apply();
  k.writes = [];
  const r = await m.apply();
  assert.equal(r.actions, []);
  assert.equal(k.writes, []);
});

test('one weight changed: one edit', async () => {
  const k = new FakeIpvs();
  await new LvsManager(k, config(), quiet).apply();
  k.writes = [];
  await new LvsManager(k, config((c) => (c.lvs.virtual_services[0].real_servers[1].weight = 7)), quiet).apply();
  assert.equal(k.writes, ['edit-dest tcp 203.0.113.10:80 198.51.100.12:8080']);
  assert.is(k.services.get('tcp 203.0.113.10:80')!.dests[1]!.weight, 7);
});

test('scheduler, persistence and flags changed: one service edit', async () => {
  const k = new FakeIpvs();
  await new LvsManager(k, config(), quiet).apply();
  k.writes = [];
  await new LvsManager(k, config((c) => Object.assign(c.lvs.virtual_services[0], { scheduler: 'sh', scheduler_flags: ['sh-port'] })), quiet).apply();
  assert.equal(k.writes, ['edit-service tcp 203.0.113.10:80']);
  assert.is(k.services.get('tcp 203.0.113.10:80')!.flags & 0x10, 0x10);
});

test('a real server removed or disabled is deleted; a new one added', async () => {
  const k = new FakeIpvs();
  await new LvsManager(k, config(), quiet).apply();
  k.writes = [];
  await new LvsManager(k, config((c) => {
    c.lvs.virtual_services[0].real_servers[0].enabled = false;
    c.lvs.virtual_services[1].real_servers.push({ address: '198.51.100.13' });
  }), quiet).apply();
  assert.equal(k.writes, ['del-dest tcp 203.0.113.10:80 198.51.100.11:8080', 'add-dest tcp 203.0.113.10:443 198.51.100.13:443']);
});

test('services not in the config are left alone unless lvs.exclusive', async () => {
  const k = new FakeIpvs();
  await k.newService({ key: { protocol: 'udp', address: '192.0.2.50', port: 53 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, pe: '' });
  k.writes = [];
  await new LvsManager(k, config(), quiet).apply();
  assert.ok(k.services.has('udp 192.0.2.50:53'));
  assert.not.ok(k.writes.some((w) => w.startsWith('del-service')));
  k.writes = [];
  await new LvsManager(k, config((c) => (c.lvs.exclusive = true)), quiet).apply();
  assert.equal(k.writes, ['del-service udp 192.0.2.50:53']);
});

test('a table flushed behind our back is repaired by the next apply', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config(), quiet);
  await m.apply();
  k.services.clear();
  k.writes = [];
  await m.apply();
  assert.is(k.writes.length, 6);
});

test('a down server leaves the table and comes back; events are kept with reasons', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config(), quiet);
  await m.apply();
  k.writes = [];
  await m.setServiceDestinations('web', [{ address: '198.51.100.12', port: 8080, weight: 2 }], [{ server: 'web 198.51.100.11:8080', up: false, reason: '3 failed checks' }]);
  assert.equal(k.writes, ['del-dest tcp 203.0.113.10:80 198.51.100.11:8080']);
  k.writes = [];
  await m.setServiceDestinations('web', [{ address: '198.51.100.11', port: 8080, weight: 4 }, { address: '198.51.100.12', port: 8080, weight: 2 }], [{ server: 'web 198.51.100.11:8080', up: true, weight: 4, reason: 'check passed' }]);
  assert.equal(k.writes, ['add-dest tcp 203.0.113.10:80 198.51.100.11:8080']);
  assert.is(k.services.get('tcp 203.0.113.10:80')!.dests.find((d) => d.address === '198.51.100.11')!.weight, 4);
  const ev = m.events();
  assert.equal(ev.events.map((e) => [e.server, e.up, e.reason]), [['web 198.51.100.11:8080', false, '3 failed checks'], ['web 198.51.100.11:8080', true, 'check passed']]);
});

test('the checkers\' table for a service: quorum lost -> the sorry server alone; back -> the servers', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config(), quiet);
  await m.apply();
  k.writes = [];
  await m.setServiceDestinations('web', [{ address: '198.51.100.99', port: 8080, weight: 1, sorry: true }], [{ server: 'web', up: false, reason: 'quorum lost' }]);
  assert.equal(k.writes, ['del-dest tcp 203.0.113.10:80 198.51.100.11:8080', 'del-dest tcp 203.0.113.10:80 198.51.100.12:8080', 'add-dest tcp 203.0.113.10:80 198.51.100.99:8080']);
  k.writes = [];
  await m.setServiceDestinations('web', [{ address: '198.51.100.11', port: 8080, weight: 1 }, { address: '198.51.100.12', port: 8080, weight: 0 }], [{ server: 'web', up: true, reason: 'quorum back' }]);
  assert.equal(k.writes, ['del-dest tcp 203.0.113.10:80 198.51.100.99:8080', 'add-dest tcp 203.0.113.10:80 198.51.100.11:8080', 'add-dest tcp 203.0.113.10:80 198.51.100.12:8080']);
  assert.equal(k.services.get('tcp 203.0.113.10:80')!.dests.map((d) => d.weight), [1, 0]);
});

test('an inhibited server (weight 0 from the checkers) keeps its config settings', () => {
  const t = desiredTable(config(), (s) => (s === 'web' ? [{ address: '198.51.100.11', port: 8080, weight: 1 }, { address: '198.51.100.12', port: 8080, weight: 0 }] : undefined));
  assert.equal(t[0]!.dests.map((d) => [d.weight, d.pointer]), [[1, '/lvs/virtual_services/0/real_servers/0'], [0, '/lvs/virtual_services/0/real_servers/1']]);
  assert.equal(t[1]!.dests.map((d) => d.weight), [1, 1], 'a service without a checker result: every enabled server');
});

test('DR and fwmark servers keep the service port; tunnels carry their settings', () => {
  const t = desiredTable(config((c) => {
    Object.assign(c.lvs.virtual_services[1], { method: 'tun', tunnel: { type: 'gue', port: 6080, checksum: 'csum' } });
    const vs = c.lvs.virtual_services[0];
    delete vs.address;
    delete vs.port;
    Object.assign(vs, { fwmark: 9, method: 'dr', real_servers: [{ address: '198.51.100.11' }], health_check: { type: 'tcp', port: 80 } }); // a fwmark service has no port to check by default
  }));
  assert.equal(t[0]!.key, { fwmark: 9, family: 'inet' });
  assert.is(t[0]!.dests[0]!.port, 0);
  assert.equal(t[1]!.dests[0]!.tunnel, { type: 'gue', port: 6080, csum: 'csum' });
  assert.is(t[1]!.dests[0]!.port, 443);
});

/**
 * The config applied, then a change (a weight, a new server 198.51.100.13) whose write to
 * .13 meets `fault`: the apply's error, and the table as JSON before and after.
 */
async function faultedApply(fault: 'refuse' | 'loseReply'): Promise<{ e: unknown; before: string; after: string }> {
  const k = new FakeIpvs();
  const json = async (): Promise<string> => JSON.stringify(await k.table(), (_, v) => (typeof v === 'bigint' ? String(v) : v));
  await new LvsManager(k, config(), quiet).apply();
  const before = await json();
  k[fault] = '198.51.100.13';
  const m = new LvsManager(k, config((c) => {
    c.lvs.virtual_services[0].real_servers[1].weight = 9;
    c.lvs.virtual_services[0].real_servers.push({ address: '198.51.100.13', port: 8080 });
  }), quiet);
  const e = await m.apply().catch((x: unknown) => x);
  return { e, before, after: await json() };
}

test('a refused write undoes the ones before it: the table is as it was', async () => {
  const { e, before, after } = await faultedApply('refuse');
  assert.instance(e, LvsApplyError);
  assert.match((e as LvsApplyError).message, /198\.51\.100\.13.*undone/);
  assert.is((e as LvsApplyError).pointer, '/lvs/virtual_services/0/real_servers/2');
  assert.is(after, before);
});

// The partial apply seen under load: writes the kernel carried out but whose replies were not
// read in time must not stay behind an apply that failed (nor one that claims success).
test('a write whose reply is lost (done, outcome unknown) fails the apply and is undone with the rest', async () => {
  const { e, before, after } = await faultedApply('loseReply');
  assert.instance(e, LvsApplyError);
  assert.match((e as LvsApplyError).message, /ETIMEDOUT.*undone, the table is as it was/);
  assert.ok((e as LvsApplyError).rolledBack);
  assert.is(after, before);
});

test('a scheduler the kernel lacks stops the apply before any write', async () => {
  const k = new FakeIpvs();
  k.lacking.add('twos');
  const e = await new LvsManager(k, config((c) => (c.lvs.virtual_services[1].scheduler = 'twos')), quiet).apply().catch((x: unknown) => x);
  assert.instance(e, LvsApplyError);
  assert.match((e as LvsApplyError).message, /the kernel has no IPVS scheduler twos .*nothing written/);
  assert.is((e as LvsApplyError).pointer, '/lvs/virtual_services/1/scheduler');
  assert.equal(k.writes, []);
});

test('timeouts are written only when they differ', async () => {
  const k = new FakeIpvs();
  await new LvsManager(k, config(), quiet).apply();
  assert.not.ok(k.writes.includes('timeouts'));
  k.writes = [];
  await new LvsManager(k, config((c) => (c.lvs.timeouts = { tcp_s: 600 })), quiet).apply();
  assert.equal(k.writes, ['timeouts']);
  assert.is(k.timeoutsNow.tcp, 600);
});

test('the sync daemon follows the VRRP unit: master on MASTER, backup otherwise, one at a time', async () => {
  const k = new FakeIpvs();
  const m = new LvsManager(k, config((c) => (c.lvs.sync = { interface: 'int' })), quiet);
  assert.equal(m.syncSettings, { unit: 'fw', group: true, members: ['vi_ext', 'vi_int', 'vi_srv'], interface: 'int', syncId: 10 });
  await m.setSyncRole('backup');
  assert.equal(k.daemonList, [{ state: 'backup', interface: 'int', syncId: 10 }]);
  await m.onVrrpTransition({ instance: 'vi_ext', group: false, to: 'MASTER' }); // a member, not the unit
  assert.equal(k.daemonList.map((d) => d.state), ['backup']);
  await m.onVrrpTransition({ instance: 'fw', group: true, to: 'MASTER' });
  assert.equal(k.daemonList, [{ state: 'master', interface: 'int', syncId: 10 }]);
  k.writes = [];
  await m.onVrrpTransition({ instance: 'fw', group: true, to: 'MASTER' });
  assert.equal(k.writes, []);
  await m.onVrrpTransition({ instance: 'fw', group: true, to: 'FAULT' });
  assert.equal(k.daemonList.map((d) => d.state), ['backup']);
});

test('planSync: a daemon on the wrong interface is restarted', () => {
  const s = { unit: 'u', group: false, members: ['u'], interface: 'sync', syncId: 1 };
  assert.equal(planSync(s, 'master', [{ state: 'master', interface: 'lan', syncId: 1 }]), [
    { op: 'stop', state: 'master' }, { op: 'start', daemon: { state: 'master', interface: 'sync', syncId: 1 } },
  ]);
  assert.equal(planSync(undefined, undefined, [{ state: 'backup', interface: 'lan', syncId: 1 }]), [{ op: 'stop', state: 'backup' }]);
});

test('planLvs on an empty config and empty kernel: nothing', () => {
  assert.equal(planLvs([], [], { exclusive: true }), []);
});

test.run();
