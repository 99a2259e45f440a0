// Two `stockade daemon`s (the built executable, each in its own namespace with a config file) and
// a client on a bridge, VRRPv3 at 100 ms: election (multicast and unicast peers), preempt and nopreempt, the VIP answering the client's ARP and ping on
// the master, kill -9 of the master, priority-0 handover on SIGTERM, master link down (the
// instance's interface is tracked: FAULT), split brain and heal with a fresh gARP seen by the
// client. Waits are bounded but generous: behaviour is asserted, not timings (CI is busy).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab } from '../harness.ts';
import { macOf, runHelper } from '../native/addon.ts';
import { RTPROT_STOCKADE_VRRP } from '../../../src/kernel/rtnetlink/constants.ts';
import { NODE_A as A, NODE_B as B, STOCKADE_BIN, VIP, clientSees, electionOf, hasAddress, instanceOf, neighbourMac, pairTopology, pings, startDaemon, startPair, stopDaemons, vipOn, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: two stockade daemons and a client');
const ready = requireLab(test, 'lab/vrrp/daemon-pair', { tools: ['ping', 'iptables'] });

const topo = pairTopology();

async function withPair(fn: (lab: Lab, dir: string, a: DaemonNode, b: DaemonNode) => Promise<void>, a = A, b = B): Promise<void> {
  await withDaemonLab(topo, 'stk-vrrp-daemon-', async (lab, dir) => {
    const [da, db] = await startPair(lab, dir, a, b);
    await fn(lab, dir, da, db);
  });
}

if (ready) {
  test('election: the higher priority is MASTER with the VIP, which answers the client; kill -9 moves it to the backup', async () => {
    await withPair(async (lab, dir, a, b) => {
      const macA = await macOf(lab, 'a', 'eth0');
      const macB = await macOf(lab, 'b', 'eth0');
      await vipOn(lab, 'a', true);
      assert.not.ok(await hasAddress(lab, 'b', VIP));
      assert.ok(await pings(lab, 'c', VIP), 'the client pings the VIP');
      assert.is(await neighbourMac(lab, 'c', VIP), macA);
      // The VIP carries the VRRP mark (so `net apply` leaves it alone); the static address does not.
      const [marks] = await runHelper(lab, 'a', 'address-marks.ts', []);
      const list = marks as unknown as Array<{ local: string; protocol: number | null }>;
      assert.is(list.find((x) => x.local === VIP)?.protocol, RTPROT_STOCKADE_VRRP);
      assert.is.not(list.find((x) => x.local === '192.0.2.1')?.protocol, RTPROT_STOCKADE_VRRP);
      const ib = (await instanceOf(lab, b))!;
      assert.is(ib.masterAddress, '192.0.2.1');
      assert.ok(ib.counters['advertsIn']! > 0);
      assert.equal(ib.drops, {});
      const text = (await lab.exec('a', [STOCKADE_BIN, 'ctl', 'vrrp', '--socket', a.socket])).stdout;
      assert.match(text, /^vi1\s+eth0\s+51\s+MASTER\s+192\.0\.2\.1\s+200\/200\s+v3 100ms/m);

      a.proc.kill('SIGKILL');
      await a.proc.exited;
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true);
      await clientSees(lab, macB);
      assert.ok(await pings(lab, 'c', VIP), 'the client pings the VIP on the new master');

      // a comes back (stale VIP from the killed daemon removed at start), preempts.
      const a2 = startDaemon(lab, dir, A);
      await waitState(lab, a2, 'MASTER');
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'b', false);
      await clientSees(lab, macA);
      assert.ok(await pings(lab, 'c', VIP));
      assert.equal(await stopDaemons(a2, b), [0, 0]);
    });
  });

  test('nopreempt: a higher priority started later stays BACKUP; preempt (the default) takes over', async () => {
    await withDaemonLab(topo, 'stk-vrrp-daemon-', async (lab, dir) => {
      const b = startDaemon(lab, dir, B);
      await waitState(lab, b, 'MASTER');
      const a = startDaemon(lab, dir, { ...A, preempt: false });
      await waitState(lab, a, 'BACKUP');
      await new Promise((r) => setTimeout(r, 1000));
      assert.is((await instanceOf(lab, a))!.state, 'BACKUP');
      assert.is((await instanceOf(lab, b))!.state, 'MASTER');
      assert.ok(await hasAddress(lab, 'b', VIP));
      a.proc.kill('SIGTERM');
      assert.is(await a.proc.exited, 0);
      const a2 = startDaemon(lab, dir, A);
      await waitState(lab, a2, 'MASTER');
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'a', true);
      await vipOn(lab, 'b', false);
      assert.equal(await stopDaemons(a2, b), [0, 0]);
    });
  });

  test('unicast peers: election without multicast, kill -9 of the master moves the VIP', async () => {
    const ua: NodeSpec = { ...A, unicastPeers: ['192.0.2.2'] };
    const ub: NodeSpec = { ...B, unicastPeers: ['192.0.2.1'] };
    await withPair(async (lab, _dir, a, b) => {
      await vipOn(lab, 'a', true);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await electionOf(lab, b), { state: 'BACKUP', masterAddress: '192.0.2.1', drops: {} });
      a.proc.kill('SIGKILL');
      await a.proc.exited;
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true);
      b.proc.kill('SIGTERM');
      assert.is(await b.proc.exited, 0);
    }, ua, ub);
  });

  test('SIGTERM on the master: priority 0, the backup takes over at once, the VIP leaves the old master', async () => {
    await withPair(async (lab, _dir, a, b) => {
      const macB = await macOf(lab, 'b', 'eth0');
      await vipOn(lab, 'a', true);
      assert.ok(await pings(lab, 'c', VIP), 'the client has an ARP entry for the VIP');
      const t = Date.now();
      a.proc.kill('SIGTERM');
      await waitState(lab, b, 'MASTER', 5000);
      const took = Date.now() - t;
      assert.is(await a.proc.exited, 0);
      assert.not.ok(await hasAddress(lab, 'a', VIP), 'the VIP left the stopped master');
      const ib = (await instanceOf(lab, b))!;
      assert.ok(ib.counters['priorityZeroIn']! >= 1, 'b heard the priority-0 advert');
      await vipOn(lab, 'b', true);
      await clientSees(lab, macB);
      // Far below Master_Down_Interval (~360 ms) would be the point; CI is busy, so only note it.
      console.log(`  note: priority-0 handover observed within ${took} ms (includes ctl polling)`);
      b.proc.kill('SIGTERM');
      assert.is(await b.proc.exited, 0);
    });
  });

  test('master link down: the master goes FAULT and drops the VIP, the backup takes over; link up: it preempts back', async () => {
    await withPair(async (lab, _dir, a, b) => {
      await vipOn(lab, 'a', true);
      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
      await waitState(lab, a, 'FAULT');
      await waitState(lab, b, 'MASTER');
      await vipOn(lab, 'b', true);
      assert.ok(await pings(lab, 'c', VIP));
      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'up']);
      await waitState(lab, a, 'MASTER', 15_000);
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'a', true);
      assert.ok(await pings(lab, 'c', VIP));
      await stopDaemons(a, b);
    });
  });

  test('split brain (VRRP blocked both ways): two masters; heal: the lower yields, the winner sends a fresh gARP the client sees', async () => {
    await withPair(async (lab, _dir, a, b) => {
      const macA = await macOf(lab, 'a', 'eth0');
      const macB = await macOf(lab, 'b', 'eth0');
      await vipOn(lab, 'a', true);
      assert.ok(await pings(lab, 'c', VIP));
      for (const h of ['a', 'b']) await lab.exec(h, ['iptables', '-I', 'INPUT', '-p', '112', '-j', 'DROP']);
      await waitState(lab, b, 'MASTER');
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
      await clientSees(lab, macB); // b's gARP burst moved the client
      for (const h of ['a', 'b']) await lab.exec(h, ['iptables', '-D', 'INPUT', '-p', '112', '-j', 'DROP']);
      await waitState(lab, b, 'BACKUP');
      await vipOn(lab, 'b', false);
      // No new transition on a: only a fresh gARP from the winner can move the client back.
      await clientSees(lab, macA);
      assert.ok(await pings(lab, 'c', VIP));
      await stopDaemons(a, b);
    });
  });
}

test.run();
