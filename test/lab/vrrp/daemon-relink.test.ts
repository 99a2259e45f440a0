// An interface deleted and created again under a running `stockade daemon` (as when net apply
// rebuilds a bridge or bond): the VRRP sockets follow the new interface. Each box runs VRRP on a
// bridge `lan` over eth0; the test deletes a box's `lan` and makes it again (same name, new
// ifindex, address re-added). A socket left bound to the old ifindex would neither send (the peer
// would stay MASTER: two masters) nor hear (the box would declare the master down: two masters).
// With use_vmac the kernel deletes the macvlan with its parent: it is made again over the new one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab, Topology } from '../harness.ts';
import { NODE_A, NODE_B, VIP, instanceOf, pairTopology, pings, startPair, stopDaemons, vipOn, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: interface deleted and created again under the daemon');
const ready = requireLab(test, 'lab/vrrp/daemon-relink', { tools: ['ping'] });

// The boxes' addresses are on their bridge lan (makeLan), not on eth0.
const topo: Topology = { ...pairTopology(), addresses: { 'c:eth0': ['192.0.2.10/24'] } };
const A: NodeSpec = { ...NODE_A, bridge: 'lan' };
const B: NodeSpec = { ...NODE_B, bridge: 'lan' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function makeLan(lab: Lab, host: string, address: string): Promise<void> {
  for (const argv of [
    ['ip', 'link', 'add', 'lan', 'type', 'bridge'],
    ['ip', 'link', 'set', 'eth0', 'master', 'lan'],
    ['ip', 'addr', 'add', `${address}/24`, 'dev', 'lan'],
    ['ip', 'link', 'set', 'lan', 'up'],
  ]) await lab.exec(host, argv);
}

async function indexOf(lab: Lab, host: string, name: string): Promise<number> {
  const r = await lab.exec(host, ['ip', '-j', 'link', 'show', 'dev', name]);
  return (JSON.parse(r.stdout) as Array<{ ifindex: number }>)[0]!.ifindex;
}

async function recreate(lab: Lab, host: string, address: string): Promise<void> {
  const before = await indexOf(lab, host, 'lan');
  await lab.exec(host, ['ip', 'link', 'del', 'lan']);
  await sleep(300);
  await makeLan(lab, host, address);
  assert.is.not(await indexOf(lab, host, 'lan'), before, 'a new ifindex');
}

/** Both boxes' lan made, then the pair started on it (a MASTER, b BACKUP). */
function withLans(prefix: string, a: NodeSpec, b: NodeSpec, fn: (lab: Lab, a: DaemonNode, b: DaemonNode) => Promise<void>): Promise<void> {
  return withDaemonLab(topo, prefix, async (lab, dir) => {
    await makeLan(lab, 'a', a.address);
    await makeLan(lab, 'b', b.address);
    const [da, db] = await startPair(lab, dir, a, b);
    await fn(lab, da, db);
  });
}

/**
 * The master's lan made again: FAULT while it is gone (b takes over), then it preempts back. b
 * yields only if a's adverts leave through the new interface.
 */
async function recreateMaster(lab: Lab, a: DaemonNode, b: DaemonNode): Promise<void> {
  await recreate(lab, 'a', A.address);
  await waitState(lab, b, 'MASTER');
  await waitState(lab, a, 'MASTER', 15_000);
  await waitState(lab, b, 'BACKUP');
}

if (ready) {
  test('the master\'s and then the backup\'s interface deleted and made again: each hears and sends on the new one', async () => {
    await withLans('stk-vrrp-relink-', A, B, async (lab, a, b) => {
      await vipOn(lab, 'a', true, 'lan');

      await recreateMaster(lab, a, b);
      await vipOn(lab, 'a', true, 'lan');
      await vipOn(lab, 'b', false, 'lan');
      assert.ok(await pings(lab, 'c', VIP), 'the client pings the VIP on the new interface');

      // The backup's: it must hear a again on the new interface, so stay BACKUP.
      const heard = (await instanceOf(lab, b))!.counters['advertsIn']!;
      await recreate(lab, 'b', B.address);
      await waitState(lab, b, 'BACKUP');
      const states = new Set<string>();
      for (let i = 0; i < 15; i++) {
        states.add((await instanceOf(lab, b))!.state);
        await sleep(100);
      }
      assert.equal([...states], ['BACKUP'], 'b never became a second master');
      const ib = (await instanceOf(lab, b))!;
      assert.ok(ib.counters['advertsIn']! > heard + 5, 'b hears a on its new interface');
      assert.is(ib.masterAddress, '192.0.2.1');
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
      assert.equal(await stopDaemons(a, b), [0, 0]);
    });
  });

  test('use_vmac: the parent deleted (its macvlan goes with it) and made again: the macvlan is made again and carries the VIP', async () => {
    await withLans('stk-vrrp-relink-vmac-', { ...A, vi1: { use_vmac: true } }, { ...B, vi1: { use_vmac: true } }, async (lab, a, b) => {
      await vipOn(lab, 'a', true, 'vrrp.51');

      await recreateMaster(lab, a, b);
      await vipOn(lab, 'a', true, 'vrrp.51');
      const link = JSON.parse((await lab.exec('a', ['ip', '-j', '-d', 'link', 'show', 'dev', 'vrrp.51'])).stdout) as Array<{ address: string; link?: string }>;
      assert.is(link[0]!.address, '00:00:5e:00:01:33');
      assert.is(link[0]!.link, 'lan');
      await lab.waitFor('the client pings the VIP', async () => (await pings(lab, 'c', VIP)) || undefined, { timeoutMs: 5000, intervalMs: 100 });
      const ib = (await instanceOf(lab, b))!;
      assert.is(ib.masterAddress, '192.0.2.1');
      assert.equal(await stopDaemons(a, b), [0, 0]);
    });
  });
}

test.run();
