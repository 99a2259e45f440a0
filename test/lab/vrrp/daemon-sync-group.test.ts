// A sync group across two `stockade daemon`s: vi1 (VIP .100) and vi2 (VIP .101) on eth0 move
// together. On a, vi2 also tracks eth1 (weight 0): eth1 down faults vi2, the group faults, and b
// takes both VIPs; eth1 up: a takes both back (preempt).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Lab, Topology } from '../harness.ts';
import { hasAddress, startDaemon, stopDaemons, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: sync group across two stockade daemons');
const ready = requireLab(test, 'lab/vrrp/daemon-sync-group');

const topo: Topology = {
  hosts: ['a', 'b', 'sw'],
  links: [['a:eth0', 'sw:pa'], ['b:eth0', 'sw:pb'], ['a:eth1', 'b:eth1']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['pa', 'pb'] }],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'], 'a:eth1': ['198.51.100.1/24'], 'b:eth1': ['198.51.100.2/24'] },
};
const V1 = '192.0.2.100';
const V2 = '192.0.2.101';
const both = (lab: Lab, host: string, on: boolean) => lab.waitFor(`both VIPs ${on ? 'on' : 'off'} ${host}`, async () => {
  const [x, y] = [await hasAddress(lab, host, V1), await hasAddress(lab, host, V2)];
  return (x === on && y === on) || undefined;
}, { timeoutMs: 10_000, intervalMs: 50 });

if (ready) {
  test('members move together: a tracked link down on one member faults the group and b takes both VIPs', async () => {
    await withDaemonLab(topo, 'stk-vrrp-sync-', async (lab, dir) => {
      const a = startDaemon(lab, dir, { host: 'a', address: '192.0.2.1', priority: 200, ports: { eth1: '198.51.100.1/24' }, syncGroup: { vi2Vip: `${V2}/24`, vi2Track: 'eth1' } });
      await waitState(lab, a, 'MASTER');
      await waitState(lab, a, 'MASTER', 10_000, 'vi2');
      const b = startDaemon(lab, dir, { host: 'b', address: '192.0.2.2', priority: 100, ports: { eth1: '198.51.100.2/24' }, syncGroup: { vi2Vip: `${V2}/24` } });
      await waitState(lab, b, 'BACKUP');
      await waitState(lab, b, 'BACKUP', 10_000, 'vi2');
      await both(lab, 'a', true);
      await both(lab, 'b', false);

      await lab.exec('a', ['ip', 'link', 'set', 'eth1', 'down']);
      await waitState(lab, a, 'FAULT', 10_000, 'vi2');
      await waitState(lab, a, 'FAULT', 10_000, 'vi1');
      await waitState(lab, b, 'MASTER');
      await waitState(lab, b, 'MASTER', 10_000, 'vi2');
      await both(lab, 'b', true);
      await both(lab, 'a', false);

      await lab.exec('a', ['ip', 'link', 'set', 'eth1', 'up']);
      await waitState(lab, a, 'MASTER', 15_000);
      await waitState(lab, a, 'MASTER', 10_000, 'vi2');
      await waitState(lab, b, 'BACKUP');
      await waitState(lab, b, 'BACKUP', 10_000, 'vi2');
      await both(lab, 'a', true);
      await both(lab, 'b', false);
      assert.equal(await stopDaemons(a, b), [0, 0]);
    });
  });
}

test.run();
