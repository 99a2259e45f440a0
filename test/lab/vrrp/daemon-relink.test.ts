// An interface deleted and created again under a running `stockade daemon` (as when net apply
// rebuilds a bridge or bond): the VRRP sockets follow the new interface. Each box runs VRRP on a
// bridge `lan` over eth0; the test deletes a box's `lan` and makes it again (same name, new
// ifindex, address re-added). A socket left bound to the old ifindex would neither send (the peer
// would stay MASTER: two masters) nor hear (the box would declare the master down: two masters).
// With use_vmac the kernel deletes the macvlan with its parent: it is made again over the new one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labAvailable, withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { instanceOf, pings, startDaemon, waitState } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';

const test = suite('vrrp: interface deleted and created again under the daemon');
const avail = labAvailable({ tools: ['ping'] });

const VIP = '192.0.2.100';
const topo: Topology = {
  hosts: ['a', 'b', 'c', 'sw'],
  links: [['a:eth0', 'sw:pa'], ['b:eth0', 'sw:pb'], ['c:eth0', 'sw:pc']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['pa', 'pb', 'pc'] }],
  addresses: { 'c:eth0': ['192.0.2.10/24'] },
};
const A: NodeSpec = { host: 'a', address: '192.0.2.1', priority: 200, bridge: 'lan' };
const B: NodeSpec = { host: 'b', address: '192.0.2.2', priority: 100, bridge: 'lan' };
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

async function hasVip(lab: Lab, host: string): Promise<boolean> {
  const r = await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'lan'], { check: false });
  return r.stdout.includes(` ${VIP}/`);
}

const vipOn = (lab: Lab, host: string, on: boolean) => lab.waitFor(`VIP ${on ? 'on' : 'off'} ${host}`, async () => (await hasVip(lab, host)) === on || undefined, { timeoutMs: 10_000, intervalMs: 50 });

async function recreate(lab: Lab, host: string, address: string): Promise<void> {
  const before = await indexOf(lab, host, 'lan');
  await lab.exec(host, ['ip', 'link', 'del', 'lan']);
  await sleep(300);
  await makeLan(lab, host, address);
  assert.is.not(await indexOf(lab, host, 'lan'), before, 'a new ifindex');
}

if (!avail.ok) {
  console.log(`SKIP lab/vrrp/daemon-relink: ${avail.reason}`);
} else {
  test('the master\'s and then the backup\'s interface deleted and made again: each hears and sends on the new one', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-vrrp-relink-'));
      let daemons: DaemonNode[] = [];
      try {
        await makeLan(lab, 'a', A.address);
        await makeLan(lab, 'b', B.address);
        const a = startDaemon(lab, dir, A);
        await waitState(lab, a, 'MASTER');
        const b = startDaemon(lab, dir, B);
        daemons = [a, b];
        await waitState(lab, b, 'BACKUP');
        await vipOn(lab, 'a', true);

        // The master's: FAULT while it is gone (b takes over), then it preempts back. b yields
        // only if a's adverts leave through the new interface.
        await recreate(lab, 'a', A.address);
        await waitState(lab, b, 'MASTER');
        await waitState(lab, a, 'MASTER', 15_000);
        await waitState(lab, b, 'BACKUP');
        await vipOn(lab, 'a', true);
        await vipOn(lab, 'b', false);
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
        for (const d of daemons) d.proc.kill('SIGTERM');
        assert.equal(await Promise.all(daemons.map((d) => d.proc.exited)), [0, 0]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('use_vmac: the parent deleted (its macvlan goes with it) and made again: the macvlan is made again and carries the VIP', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-vrrp-relink-vmac-'));
      let daemons: DaemonNode[] = [];
      try {
        await makeLan(lab, 'a', A.address);
        await makeLan(lab, 'b', B.address);
        const a = startDaemon(lab, dir, { ...A, vi1: { use_vmac: true } });
        await waitState(lab, a, 'MASTER');
        const b = startDaemon(lab, dir, { ...B, vi1: { use_vmac: true } });
        daemons = [a, b];
        await waitState(lab, b, 'BACKUP');
        const vmacVip = async (host: string) => (await lab.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'vrrp.51'], { check: false })).stdout.includes(` ${VIP}/`);
        await lab.waitFor('VIP on a\'s vrrp.51', async () => (await vmacVip('a')) || undefined, { timeoutMs: 10_000, intervalMs: 50 });

        await recreate(lab, 'a', A.address);
        await waitState(lab, b, 'MASTER');
        await waitState(lab, a, 'MASTER', 15_000);
        await waitState(lab, b, 'BACKUP');
        await lab.waitFor('VIP on a\'s new vrrp.51', async () => (await vmacVip('a')) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
        const link = JSON.parse((await lab.exec('a', ['ip', '-j', '-d', 'link', 'show', 'dev', 'vrrp.51'])).stdout) as Array<{ address: string; link?: string }>;
        assert.is(link[0]!.address, '00:00:5e:00:01:33');
        assert.is(link[0]!.link, 'lan');
        await lab.waitFor('the client pings the VIP', async () => (await pings(lab, 'c', VIP)) || undefined, { timeoutMs: 5000, intervalMs: 100 });
        const ib = (await instanceOf(lab, b))!;
        assert.is(ib.masterAddress, '192.0.2.1');
        for (const d of daemons) d.proc.kill('SIGTERM');
        assert.equal(await Promise.all(daemons.map((d) => d.proc.exited)), [0, 0]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test.run();
