// `stockade daemon` with Debian's keepalived at the daemon level in VRRPv2 with the simple
// password (keepalived `authentication { auth_type PASS }`), 1 s adverts, each as master and as
// backup: the election is right both ways, the backup drops nothing, and a priority-0 handover
// (SIGTERM on the master) moves the VIP. Then a wrong password: each side drops the other's
// adverts, so both become MASTER (what keepalived does too), and Stockade counts the drops.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab, LabProcess } from '../../lab/harness.ts';
import { kaIn, kaLog, kaState, keepalivedConf, startKeepalived } from '../../lab/helpers/keepalived.ts';
import { VIP, electionOf, instanceOf, pairTopology, pings, startDaemon, vipOn, waitState, withDaemonLab } from '../../lab/helpers/stockade-daemon.ts';
import type { DaemonNode } from '../../lab/helpers/stockade-daemon.ts';
import { requireLab } from '../../lab/require.ts';

const test = suite('vrrp: stockade daemon with keepalived, VRRPv2 with PASS');
const ready = requireLab(test, 'interop/vrrp/daemon-keepalived-v2', { tools: ['keepalived', 'ping'] });

const topo = pairTopology('ka', 'stk');

const kaConf = (priority: number, password: string) => keepalivedConf({
  routerId: 'stockade_daemon_interop_v2',
  instance: { state: 'BACKUP', interface: 'eth0', vrid: 51, priority, advertInt: 1, version: 2, auth: password, vips: [`${VIP}/24`] },
});

async function withBoth(kaPriority: number, stkPriority: number, passwords: [ka: string, stk: string], fn: (lab: Lab, ka: LabProcess, stk: DaemonNode) => Promise<void>): Promise<void> {
  await withDaemonLab(topo, 'stk-vrrp-daemon-ka2-', async (lab, dir) => {
    let ka: LabProcess | undefined;
    let stk: DaemonNode | undefined;
    try {
      ka = startKeepalived(lab, 'ka', dir, kaConf(kaPriority, passwords[0]));
      stk = startDaemon(lab, dir, { host: 'stk', address: '192.0.2.2', priority: stkPriority, version: 2, intervalMs: 1000, vi1: { password: passwords[1] } });
      await fn(lab, ka, stk);
    } finally {
      ka?.kill('SIGKILL');
      stk?.proc.kill('SIGKILL');
      await Promise.all([ka?.exited, stk?.proc.exited]);
    }
  });
}

if (ready) {
  test('v2 PASS: Stockade (200) MASTER, keepalived (100) BACKUP; SIGTERM on Stockade: keepalived takes the VIP', async () => {
    await withBoth(100, 200, ['secret12', 'secret12'], async (lab, ka, stk) => {
      await waitState(lab, stk, 'MASTER');
      await kaState(lab, ka, 'BACKUP');
      await vipOn(lab, 'stk', true);
      assert.ok(await pings(lab, 'c', VIP));
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(kaIn(ka, 'BACKUP'), kaLog(ka));
      assert.not.match(kaLog(ka), /(?:auth|password|invalid)/i, 'keepalived complains of nothing');
      stk.proc.kill('SIGTERM');
      assert.is(await stk.proc.exited, 0);
      await kaState(lab, ka, 'MASTER');
      await vipOn(lab, 'ka', true);
      assert.ok(await pings(lab, 'c', VIP));
    });
  });

  test('v2 PASS: keepalived (200) MASTER, Stockade (100) BACKUP with no drops; SIGTERM on keepalived: Stockade takes the VIP', async () => {
    await withBoth(200, 100, ['secret12', 'secret12'], async (lab, ka, stk) => {
      await kaState(lab, ka, 'MASTER');
      await waitState(lab, stk, 'BACKUP');
      await vipOn(lab, 'ka', true);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(await electionOf(lab, stk), { state: 'BACKUP', masterAddress: '192.0.2.1', drops: {} });
      ka.kill('SIGTERM');
      await ka.exited;
      await waitState(lab, stk, 'MASTER');
      assert.ok((await instanceOf(lab, stk))!.counters['priorityZeroIn']! >= 1, 'heard keepalived\'s priority 0');
      await vipOn(lab, 'stk', true);
      assert.ok(await pings(lab, 'c', VIP));
    });
  });

  test('v2 PASS with different passwords: neither accepts the other (both MASTER); Stockade counts the drops', async () => {
    await withBoth(200, 100, ['secret12', 'other123'], async (lab, ka, stk) => {
      await kaState(lab, ka, 'MASTER');
      await waitState(lab, stk, 'MASTER', 15_000);
      const i = (await instanceOf(lab, stk))!;
      const dropped = Object.values(i.drops).reduce((a, b) => a + b, 0);
      assert.ok(dropped >= 1, `drops: ${JSON.stringify(i.drops)}`);
      assert.is(i.counters['advertsIn'], 0);
    });
  });
}

test.run();
