// Two Stockade VRRP cores (test/lab/helpers/vrrp-node.ts: the engine on the raw socket, adverts
// only) on one link, VRRPv3 at 100 ms: election, handover on the master's priority-0 advert, and
// takeover by timeout when the master is killed with SIGKILL. Asserted by order, state and reason;
// how long each took is printed (the vrrp-failover bench measures it; the timers' exact values are
// the core's unit tests, on a fake clock).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { parseLines, spawnHelper, waitLine } from '../native/addon.ts';
import { masterDownMs, skewMs } from '../../../src/vrrp/timers.ts';
import { requireLab } from '../require.ts';

const test = suite('vrrp: two Stockade nodes');
const ready = requireLab(test, 'lab/vrrp/stockade-pair');

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0']],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'] },
};

const node = (lab: Lab, host: string, source: string, priority: number, checksum = 'message') => spawnHelper(lab, host, 'vrrp-node.ts', [JSON.stringify({
  ifname: 'eth0', source, vrid: 42, version: 3, priority, intervalMs: 100, vips: ['192.0.2.100'], checksum,
})]);
const states = (p: LabProcess) => parseLines(p.stdout()).filter((l) => 'to' in l).map((l) => l['to']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (ready) {
  test('election, priority-0 handover, and kill -9 of the master (v3 100 ms, message checksum)', async () => {
    await withLab(topo, async (lab) => {
      const a = node(lab, 'a', '192.0.2.1', 200);
      await waitLine(lab, a, 'a MASTER', (l) => l['to'] === 'MASTER');
      const b = node(lab, 'b', '192.0.2.2', 100);
      await waitLine(lab, b, 'b ready', (l) => l['ready'] === true);
      await sleep(1000);
      assert.equal(states(b), ['BACKUP']);
      assert.equal(parseLines(b.stdout()).filter((l) => 'drops' in l && Object.keys(l['drops'] as object).length > 0), []);

      // graceful: priority 0, heard before b moved
      let t = Date.now();
      a.kill('SIGTERM');
      const handover = await waitLine(lab, b, 'b MASTER after priority 0', (l) => l['to'] === 'MASTER', 3000);
      const graceful = Date.now() - t;
      assert.equal([handover['reason'], handover['priorityZeroIn']], ['master-down', 1]);
      await a.exited;

      // a comes back (higher priority, preempts), then dies hard
      const a2 = node(lab, 'a', '192.0.2.1', 200);
      await waitLine(lab, b, 'b BACKUP again', (l) => l['to'] === 'BACKUP' && l['from'] === 'MASTER', 3000);
      await sleep(500);
      t = Date.now();
      a2.kill('SIGKILL');
      const masters = () => parseLines(b.stdout()).filter((l) => l['to'] === 'MASTER').length;
      await lab.waitFor('b MASTER after kill -9', () => masters() === 2 || undefined, { timeoutMs: 3000, intervalMs: 5 });
      const hard = Date.now() - t;
      // A timeout, not a handover: no priority-0 advert came from the killed master.
      const takeover = parseLines(b.stdout()).filter((l) => l['to'] === 'MASTER')[1]!;
      assert.equal([takeover['from'], takeover['reason'], takeover['priorityZeroIn']], ['BACKUP', 'master-down', 1]);
      assert.equal(states(b), ['BACKUP', 'MASTER', 'BACKUP', 'MASTER']);
      console.log(`  note: v3 100 ms, priority 100 backup: priority-0 handover ${graceful} ms, kill -9 ${hard} ms (Skew_Time ${skewMs(3, 100, 100)} ms, Master_Down_Interval ${masterDownMs(3, 100, 100)} ms)`);
      b.kill('SIGTERM');
      await b.exited;
    });
  });

  test('checksum conventions must agree: a message-checksum node drops pseudo-header adverts (checksum_convention) and both become MASTER', async () => {
    await withLab(topo, async (lab) => {
      const a = node(lab, 'a', '192.0.2.1', 200, 'pseudo-header');
      const b = node(lab, 'b', '192.0.2.2', 100, 'message');
      await waitLine(lab, b, 'b drops by convention', (l) => 'drops' in l && (l['drops'] as Record<string, number>)['checksum_convention']! > 0, 3000);
      await waitLine(lab, b, 'b MASTER (it cannot hear a)', (l) => l['to'] === 'MASTER', 3000);
      await waitLine(lab, a, 'a MASTER', (l) => l['to'] === 'MASTER', 3000);
      a.kill('SIGTERM');
      b.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    });
  });
}

test.run();
