// `stockade daemon` (the built executable) with Debian's keepalived on a bridge with a client,
// VRRPv3 at 100 ms with the pseudo-header checksum (keepalived 2.2.7's only v3 convention), one
// test each direction: the higher priority is MASTER and holds the VIP, the other stays BACKUP
// and drops nothing; the master is killed (kill -9) and its link cut; the backup takes the VIP,
// which then answers the client from the backup's MAC.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labAvailable, withLab } from '../harness.ts';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { macOf } from '../native/addon.ts';
import { keepalivedArgv } from './keepalived-adverts.ts';
import { hasAddress, instanceOf, neighbourMac, pings, startDaemon, waitState } from '../helpers/stockade-daemon.ts';

const test = suite('vrrp: stockade daemon with keepalived');
const avail = labAvailable({ tools: ['keepalived', 'ping'] });

const VIP = '192.0.2.100';
const topo: Topology = {
  hosts: ['ka', 'stk', 'c', 'sw'],
  links: [['ka:eth0', 'sw:pk'], ['stk:eth0', 'sw:ps'], ['c:eth0', 'sw:pc']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['pk', 'ps', 'pc'] }],
  addresses: { 'ka:eth0': ['192.0.2.1/24'], 'stk:eth0': ['192.0.2.2/24'], 'c:eth0': ['192.0.2.10/24'] },
};

function kaConf(priority: number): string {
  return `global_defs {
    router_id stockade_daemon_interop
    enable_script_security
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${priority}
    advert_int 0.1
    version 3
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;
}

const kaLog = (ka: LabProcess) => `${ka.stdout()}${ka.stderr()}`;
const kaIn = (ka: LabProcess, state: string) => {
  const all = [...kaLog(ka).matchAll(/Entering (\w+) STATE/g)];
  return all.length > 0 && all[all.length - 1]![1] === state;
};
const vipOn = (lab: Lab, host: string, on: boolean) => lab.waitFor(`VIP ${on ? 'on' : 'off'} ${host}`, async () => (await hasAddress(lab, host, VIP)) === on || undefined, { timeoutMs: 10_000, intervalMs: 50 });
const clientSees = (lab: Lab, mac: string) => lab.waitFor(`client's ARP entry for the VIP to be ${mac}`, async () => (await neighbourMac(lab, 'c', VIP)) === mac || undefined, { timeoutMs: 10_000, intervalMs: 50 });

async function withBoth(kaPriority: number, stkPriority: number, fn: (lab: Lab, ka: LabProcess, stk: ReturnType<typeof startDaemon>) => Promise<void>): Promise<void> {
  await withLab(topo, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-vrrp-daemon-ka-'));
    let ka: LabProcess | undefined;
    try {
      writeFileSync(join(dir, 'keepalived.conf'), kaConf(kaPriority));
      ka = lab.spawn('ka', keepalivedArgv(dir));
      const stk = startDaemon(lab, dir, { host: 'stk', address: '192.0.2.2', priority: stkPriority, checksum: 'pseudo-header' });
      await fn(lab, ka, stk);
    } finally {
      ka?.kill('SIGKILL');
      await ka?.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

if (!avail.ok) {
  console.log(`SKIP lab/vrrp/daemon-keepalived: ${avail.reason}`);
} else {
  test('Stockade (200) MASTER, keepalived (100) BACKUP; Stockade killed and cut off: keepalived takes the VIP', async () => {
    await withBoth(100, 200, async (lab, ka, stk) => {
      await waitState(lab, stk, 'MASTER');
      await lab.waitFor('keepalived BACKUP', () => kaIn(ka, 'BACKUP') || undefined, { timeoutMs: 10_000 });
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
      await lab.waitFor('keepalived MASTER', () => kaIn(ka, 'MASTER') || undefined, { timeoutMs: 10_000 });
      await vipOn(lab, 'ka', true);
      await clientSees(lab, await macOf(lab, 'ka', 'eth0'));
      assert.ok(await pings(lab, 'c', VIP));
    });
  });

  test('keepalived (200) MASTER, Stockade (100) BACKUP; keepalived killed and cut off: Stockade takes the VIP', async () => {
    await withBoth(200, 100, async (lab, ka, stk) => {
      await lab.waitFor('keepalived MASTER', () => kaIn(ka, 'MASTER') || undefined, { timeoutMs: 10_000 });
      await waitState(lab, stk, 'BACKUP');
      await vipOn(lab, 'ka', true);
      assert.ok(await pings(lab, 'c', VIP));
      await new Promise((r) => setTimeout(r, 1000));
      const i = (await instanceOf(lab, stk))!;
      assert.is(i.state, 'BACKUP');
      assert.is(i.masterAddress, '192.0.2.1');
      assert.equal(i.drops, {});
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
