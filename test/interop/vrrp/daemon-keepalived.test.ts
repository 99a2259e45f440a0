// `stockade daemon` (the built executable) with Debian's keepalived on a bridge with a client,
// VRRPv3 at 100 ms with the pseudo-header checksum (keepalived 2.2.7's only v3 convention), one
// test each direction: the higher priority is MASTER and holds the VIP, the other stays BACKUP
// and drops nothing; the master is killed (kill -9) and its link cut; the backup takes the VIP,
// which then answers the client from the backup's MAC.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab, LabProcess } from '../../lab/harness.ts';
import { macOf } from '../../lab/native/addon.ts';
import { kaIn, kaLog, kaState, keepalivedConf, startKeepalived } from '../../lab/helpers/keepalived.ts';
import { VIP, clientSees, electionOf, hasAddress, instanceOf, neighbourMac, pairTopology, pings, startDaemon, vipOn, waitState, withDaemonLab } from '../../lab/helpers/stockade-daemon.ts';
import type { DaemonNode } from '../../lab/helpers/stockade-daemon.ts';
import { requireLab } from '../../lab/require.ts';

const test = suite('vrrp: stockade daemon with keepalived');
const ready = requireLab(test, 'interop/vrrp/daemon-keepalived', { tools: ['keepalived', 'ping'] });

const topo = pairTopology('ka', 'stk');

const kaConf = (priority: number) => keepalivedConf({
  routerId: 'stockade_daemon_interop',
  instance: { state: 'BACKUP', interface: 'eth0', vrid: 51, priority, advertInt: 0.1, version: 3, vips: [`${VIP}/24`] },
});

async function withBoth(kaPriority: number, stkPriority: number, fn: (lab: Lab, ka: LabProcess, stk: DaemonNode) => Promise<void>): Promise<void> {
  await withDaemonLab(topo, 'stk-vrrp-daemon-ka-', async (lab, dir) => {
    let ka: LabProcess | undefined;
    try {
      ka = startKeepalived(lab, 'ka', dir, kaConf(kaPriority));
      const stk = startDaemon(lab, dir, { host: 'stk', address: '192.0.2.2', priority: stkPriority, checksum: 'pseudo-header' });
      await fn(lab, ka, stk);
    } finally {
      ka?.kill('SIGKILL');
      await ka?.exited;
    }
  });
}

if (ready) {
  test('Stockade (200) MASTER, keepalived (100) BACKUP; Stockade killed and cut off: keepalived takes the VIP', async () => {
    await withBoth(100, 200, async (lab, ka, stk) => {
      await waitState(lab, stk, 'MASTER');
      await kaState(lab, ka, 'BACKUP');
      await vipOn(lab, 'stk', true);
      assert.ok(await pings(lab, 'c', VIP));
      assert.is(await neighbourMac(lab, 'c', VIP), await macOf(lab, 'stk', 'eth0'));
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(kaIn(ka, 'BACKUP'), kaLog(ka));
      const i = (await instanceOf(lab, stk))!;
      assert.equal(i.drops, {});

      stk.proc.kill('SIGKILL');
      await stk.proc.exited;
      await lab.exec('stk', ['ip', 'link', 'set', 'eth0', 'down']);
      await kaState(lab, ka, 'MASTER');
      await vipOn(lab, 'ka', true);
      await clientSees(lab, await macOf(lab, 'ka', 'eth0'));
      assert.ok(await pings(lab, 'c', VIP));
    });
  });

  test('keepalived (200) MASTER, Stockade (100) BACKUP; keepalived killed and cut off: Stockade takes the VIP', async () => {
    await withBoth(200, 100, async (lab, ka, stk) => {
      await kaState(lab, ka, 'MASTER');
      await waitState(lab, stk, 'BACKUP');
      await vipOn(lab, 'ka', true);
      assert.ok(await pings(lab, 'c', VIP));
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await electionOf(lab, stk), { state: 'BACKUP', masterAddress: '192.0.2.1', drops: {} });
      assert.not.ok(await hasAddress(lab, 'stk', VIP));

      ka.kill('SIGKILL');
      await ka.exited;
      await lab.exec('ka', ['ip', 'link', 'set', 'eth0', 'down']);
      await waitState(lab, stk, 'MASTER');
      await vipOn(lab, 'stk', true);
      await clientSees(lab, await macOf(lab, 'stk', 'eth0'));
      assert.ok(await pings(lab, 'c', VIP));
      stk.proc.kill('SIGTERM');
      assert.is(await stk.proc.exited, 0);
      assert.not.ok(await hasAddress(lab, 'stk', VIP), 'SIGTERM removed the VIP');
    });
  });
}

test.run();
