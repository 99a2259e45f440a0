// Virtual MAC (use_vmac) between two `stockade daemon`s and a client on a bridge, VRRPv3 at
// 100 ms: each box makes the macvlan vrrp.51 (00:00:5e:00:01:33, private mode) over eth0; the
// master carries the VIP there, its adverts and gratuitous ARPs leave from the virtual MAC, the
// client's ARP entry for the VIP is the virtual MAC and stays so across failover (kill -9, and
// back by preemption); the boxes' own MACs never answer for the VIP. SIGTERM deletes the macvlan.
// Then with Debian's keepalived (use_vmac) as the master: Stockade hears it on its own vrrp.51
// (the peer's adverts come from the same MAC) and takes over; the client's entry is the virtual
// MAC after Stockade's gARP and stays so while it is answered.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab } from '../harness.ts';
import { macOf } from '../native/addon.ts';
import { NODE_A, NODE_B, VIP, electionOf, instanceOf, neighbourMac, pairTopology, pings, startDaemon, startPair, stopDaemons, vipOn, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import { kaEntered, keepalivedConf, startKeepalived } from '../helpers/keepalived.ts';
import type { NodeSpec } from '../helpers/stockade-daemon.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: virtual MAC (use_vmac), two stockade daemons and with keepalived');
const ready = requireLab(test, 'lab/vrrp/daemon-vmac', { tools: ['ping', 'tcpdump'] });

const VMAC = '00:00:5e:00:01:33'; // VRID 51
const topo = pairTopology();
const A: NodeSpec = { ...NODE_A, vi1: { use_vmac: true } };
const B: NodeSpec = { ...NODE_B, vi1: { use_vmac: true } };

interface LinkJson { ifname: string; address: string; operstate: string; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }

async function linkOf(lab: Lab, host: string, name: string): Promise<LinkJson | undefined> {
  const r = await lab.exec(host, ['ip', '-j', '-d', 'link', 'show', 'dev', name], { check: false });
  return r.code === 0 ? (JSON.parse(r.stdout) as LinkJson[])[0] : undefined;
}

async function addressesOn(lab: Lab, host: string, dev: string): Promise<string[]> {
  const r = await lab.exec(host, ['ip', '-4', '-j', 'addr', 'show', 'dev', dev], { check: false });
  if (r.code !== 0) return [];
  const [l] = JSON.parse(r.stdout) as Array<{ addr_info: Array<{ local: string }> }>;
  return (l?.addr_info ?? []).map((a) => a.local);
}

/** Link-level lines of the next `count` VRRP frames the client sees (tcpdump -e). */
async function vrrpFrames(lab: Lab, count: number): Promise<string[]> {
  const r = await lab.exec('c', ['timeout', '5', 'tcpdump', '-i', 'eth0', '-e', '-n', '-l', '-c', String(count), 'ip proto 112'], { check: false, timeoutMs: 10_000 });
  return r.stdout.split('\n').filter((l) => l.includes('VRRP'));
}

/** The client pings the VIP (a few tries: right after a transition one ping may meet a busy lab). */
const answers = (lab: Lab, what: string) => lab.waitFor(what, async () => (await pings(lab, 'c', VIP)) || undefined, { timeoutMs: 5000, intervalMs: 100 });

/** The bridge port the switch has learnt the virtual MAC at. */
async function fdbPort(lab: Lab): Promise<string | undefined> {
  const r = await lab.exec('sw', ['bridge', '-j', 'fdb', 'show', 'br', 'br0']);
  return (JSON.parse(r.stdout) as Array<{ mac: string; ifname: string }>).find((e) => e.mac === VMAC)?.ifname;
}

if (ready) {
  test('use_vmac: the VIP on the macvlan, adverts and ARP from the virtual MAC; the client keeps one ARP entry across failover', async () => {
    await withDaemonLab(topo, 'stk-vrrp-vmac-', async (lab, dir) => {
      const macA = await macOf(lab, 'a', 'eth0');
      const macB = await macOf(lab, 'b', 'eth0');
      const [a, b] = await startPair(lab, dir, A, B);
      for (const h of ['a', 'b']) {
        const l = (await linkOf(lab, h, 'vrrp.51'))!;
        assert.ok(l, `${h} has vrrp.51`);
        assert.is(l.address, VMAC);
        assert.is(l.linkinfo?.info_kind, 'macvlan');
        assert.is(l.linkinfo?.info_data?.mode, 'private');
      }
      await vipOn(lab, 'a', true, 'vrrp.51');
      assert.not.ok((await addressesOn(lab, 'a', 'eth0')).includes(VIP), 'the VIP is not on eth0');
      assert.equal(await addressesOn(lab, 'b', 'vrrp.51'), []);

      const frames = await vrrpFrames(lab, 3);
      assert.is(frames.length, 3, 'three adverts captured');
      for (const f of frames) assert.ok(f.startsWith(`${VMAC} > 01:00:5e:00:00:12`) || f.includes(` ${VMAC} > 01:00:5e:00:00:12`), `advert from the virtual MAC: ${f}`);
      assert.ok(frames.every((f) => f.includes('192.0.2.1 > 224.0.0.18')), `from a's own address: ${frames.join(' | ')}`);

      await answers(lab, 'the client pings the VIP');
      assert.is(await neighbourMac(lab, 'c', VIP), VMAC);
      const ib = (await instanceOf(lab, b))!;
      assert.is(ib.masterAddress, '192.0.2.1');
      assert.equal(ib.drops, {});

      a.proc.kill('SIGKILL');
      await a.proc.exited;
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true, 'vrrp.51');
      await answers(lab, 'the client pings the VIP on b');
      assert.is(await neighbourMac(lab, 'c', VIP), VMAC, 'the ARP entry did not change');
      const fb = await vrrpFrames(lab, 2);
      assert.ok(fb.length === 2 && fb.every((f) => f.includes(`${VMAC} > `) && f.includes('192.0.2.2 > 224.0.0.18')), `b's adverts from the virtual MAC: ${fb.join(' | ')}`);

      // a comes back: reuses its vrrp.51, drops the stale VIP, preempts.
      const a2 = startDaemon(lab, dir, A);
      await waitState(lab, a2, 'MASTER');
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'b', false, 'vrrp.51');
      await vipOn(lab, 'a', true, 'vrrp.51');
      // The switch keeps the virtual MAC at a's port: b's last advert as it yielded came from
      // b's own MAC (only a MASTER sends from the virtual one), so it did not pull it back.
      await lab.waitFor('the bridge to learn the virtual MAC at pa', async () => (await fdbPort(lab)) === 'pa' || undefined, { timeoutMs: 5000, intervalMs: 50 });
      for (let i = 0; i < 10; i++) {
        assert.is(await fdbPort(lab), 'pa');
        await new Promise((r) => setTimeout(r, 50));
      }
      await answers(lab, 'the client pings the VIP');
      assert.is(await neighbourMac(lab, 'c', VIP), VMAC);
      // Neither box's own MAC ever answered for the VIP.
      const r = await lab.exec('c', ['ip', '-j', 'neigh', 'show', 'dev', 'eth0']);
      const entries = JSON.parse(r.stdout) as Array<{ dst: string; lladdr?: string }>;
      assert.ok(!entries.some((e) => e.dst === VIP && (e.lladdr === macA || e.lladdr === macB)));

      assert.equal(await stopDaemons(a2, b), [0, 0]);
      assert.is(await linkOf(lab, 'a', 'vrrp.51'), undefined, 'SIGTERM deletes the macvlan');
      assert.is(await linkOf(lab, 'b', 'vrrp.51'), undefined);
    });
  });

  if (requireLab(test, 'lab/vrrp/daemon-vmac with keepalived', { tools: ['keepalived'] })) {
    test('use_vmac with keepalived (use_vmac) as master: Stockade stays BACKUP hearing it, takes over when it stops, answers from the virtual MAC', async () => {
      await withDaemonLab(topo, 'stk-vrrp-vmac-ka-', async (lab, dir) => {
        const kd = join(dir, 'ka');
        mkdirSync(kd);
        const ka = startKeepalived(lab, 'a', kd, keepalivedConf({
          routerId: 'stockade_vmac',
          instance: { state: 'BACKUP', interface: 'eth0', vrid: 51, priority: 200, advertInt: 0.1, version: 3, useVmac: true, vips: [`${VIP}/24`] },
        }));
        try {
          await lab.waitFor('keepalived MASTER', () => kaEntered(ka, 'MASTER') || undefined, { timeoutMs: 10_000 });
          const b = startDaemon(lab, dir, B);
          await waitState(lab, b, 'BACKUP');
          await answers(lab, 'the client pings the VIP on keepalived');
          // keepalived 2.2.7 leaves the parent's arp_announce at 0: answering the ping, its ARP for
          // the client names the VIP as sender with eth0's MAC, and the client's entry for the VIP
          // moves off the virtual MAC. Stockade sets arp_announce=2 on the parent (vrrp-vmac.ts).
          const onKa = await neighbourMac(lab, 'c', VIP);
          console.log(`  note: the client's entry for the VIP with keepalived as master: ${onKa}${onKa === VMAC ? '' : ' (not the virtual MAC)'}`);
          await new Promise((r) => setTimeout(r, 1000));
          assert.equal(await electionOf(lab, b), { state: 'BACKUP', masterAddress: '192.0.2.1', drops: {} });
          ka.kill('SIGTERM');
          await ka.exited;
          await waitState(lab, b, 'MASTER');
          await vipOn(lab, 'b', true, 'vrrp.51');
          await lab.waitFor('the client\'s entry at the virtual MAC (gARP)', async () => (await neighbourMac(lab, 'c', VIP)) === VMAC || undefined, { timeoutMs: 5000, intervalMs: 50 });
          await answers(lab, 'the client pings the VIP on Stockade');
          assert.is(await neighbourMac(lab, 'c', VIP), VMAC, 'answering stays on the virtual MAC');
          b.proc.kill('SIGTERM');
          assert.is(await b.proc.exited, 0);
        } finally {
          ka.kill('SIGKILL');
          await ka.exited;
        }
      });
    });
  }

  test('use_vmac with unicast peers: adverts over eth0 (vmac_xmit_base), VIP and gARP on the virtual MAC; kill -9 moves it, the client\'s entry stays', async () => {
    await withDaemonLab(topo, 'stk-vrrp-vmac-uc-', async (lab, dir) => {
      const macA = await macOf(lab, 'a', 'eth0');
      const [a, b] = await startPair(lab, dir, { ...A, unicastPeers: ['192.0.2.2'] }, { ...B, unicastPeers: ['192.0.2.1'] });
      await vipOn(lab, 'a', true, 'vrrp.51');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await electionOf(lab, b), { state: 'BACKUP', masterAddress: '192.0.2.1', drops: {} });
      // b learnt a's address at a's own MAC, never at the virtual one.
      assert.is(await neighbourMac(lab, 'b', '192.0.2.1'), macA);
      await answers(lab, 'the client pings the VIP');
      assert.is(await neighbourMac(lab, 'c', VIP), VMAC);
      a.proc.kill('SIGKILL');
      await a.proc.exited;
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true, 'vrrp.51');
      await answers(lab, 'the client pings the VIP');
      assert.is(await neighbourMac(lab, 'c', VIP), VMAC);
      b.proc.kill('SIGTERM');
      assert.is(await b.proc.exited, 0);
    });
  });
}

test.run();
