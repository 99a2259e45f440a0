// The crash guard on the built executable (issue 10, item 5): a fault injected into the master's
// event loop (the test hook test.fault, which exists only under STOCKADE_TEST_HOOKS=1) is logged
// with its stack; the daemon then stops in order and exits 70: the peer takes over because it got
// a priority-0 advert (graceful handover), not because adverts stopped (adverts every second here:
// the master-down path would leave priorityZeroIn at 0); the crashed box's kernel keeps its
// conntrack entries and the peer commits the synced copy. An unhandled rejection does the same.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labAvailable } from '../harness.ts';
import type { Lab } from '../harness.ts';
import { NODE_A, NODE_B, STOCKADE_BIN, VIP, hasAddress, instanceOf, pairTopology, vipOn, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { controlRequest } from '../../../src/control/index.ts';
import { spawnDaemon } from './daemon-lab.ts';

const test = suite('daemon: crash guard (lab)');
const avail = labAvailable({ tools: ['conntrack'] });
const EXIT_CRASH = 70;
const TCP = ['-p', 'tcp', '-s', '198.51.100.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];
const ENTRY = /src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80/;

const sync = (peer: string) => ({ sync: { interface: 'eth0', peer, vrrp_group: 'vi1', startup_sync_wait_s: 0 } });
const lines = (d: DaemonNode): string[] => d.proc.stdout().split('\n');
const kernelHas = async (lab: Lab, host: string): Promise<boolean> => ENTRY.test((await lab.exec(host, ['conntrack', '-L'], { check: false })).stdout);

if (!avail.ok) {
  if (process.env.CI === 'true') test('lab available', () => assert.unreachable(avail.reason));
  else console.log(`SKIP lab/daemon/crash: ${avail.reason}`);
} else {
  test('an uncaught exception on the master: stack logged, priority 0 sent, peer takes over, exit 70, conntrack kept', async () => {
    await withDaemonLab(pairTopology(), 'stk-daemon-crash-', async (lab, dir) => {
      const a = spawnDaemon(lab, dir, { ...NODE_A, intervalMs: 1000, sections: sync('192.0.2.2'), testHooks: true });
      await waitState(lab, a, 'MASTER', 15_000);
      const b = spawnDaemon(lab, dir, { ...NODE_B, intervalMs: 1000, sections: sync('192.0.2.1') });
      await waitState(lab, b, 'BACKUP', 15_000);
      // Without the variable the hook does not exist.
      assert.is(await controlRequest(b.socket, 'test.fault', { kind: 'throw' }).then(() => 'ran', (e: Error) => e.message), "unknown method 'test.fault'");

      await lab.exec('a', ['conntrack', '-I', ...TCP]);
      await lab.waitFor("a's connection in b's external cache", async () => {
        const r = await lab.exec('b', [STOCKADE_BIN, 'ctl', 'sync', '-e', '--socket', b.socket], { check: false });
        return ENTRY.test(r.stdout) || undefined;
      }, { timeoutMs: 10_000, intervalMs: 100 });
      assert.is((await instanceOf(lab, b))!.counters['priorityZeroIn'], 0);

      assert.equal(await controlRequest(a.socket, 'test.fault', { kind: 'throw' }), { scheduled: 'throw' });
      assert.is(await a.proc.exited, EXIT_CRASH, a.proc.stdout());
      const log = lines(a);
      const at = log.findIndex((l) => / error: crash: uncaught exception: Error: test\.fault: thrown from an event loop callback$/.test(l));
      assert.ok(at >= 0, a.proc.stdout());
      assert.match(log[at + 1]!, / error: +at /, 'the stack follows, a frame a line');
      const stopping = log.findIndex((l) => l.endsWith('info: stopping (uncaught exception)'));
      const removed = log.findIndex((l) => / vrrp: vi1: VIPs removed from eth0$/.test(l));
      assert.ok(at < stopping && stopping < removed && removed < log.findIndex((l) => l.endsWith('info: stopped')), 'fault, then the orderly stop');
      assert.not.ok(await hasAddress(lab, 'a', VIP), 'the crashed box let go of the VIP');

      const bi = await waitState(lab, b, 'MASTER', 10_000);
      assert.ok(bi.counters['priorityZeroIn']! >= 1, `b took over on a priority-0 advert, not on master-down: ${JSON.stringify(bi.counters)}`);
      await vipOn(lab, 'b', true);
      assert.ok(await kernelHas(lab, 'a'), "the crashed box's kernel conntrack table is kept");
      await lab.waitFor("b's commit of a's connection", async () => (await kernelHas(lab, 'b')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      b.proc.kill('SIGTERM');
      assert.is(await b.proc.exited, 0);
    });
  });

  test('an unhandled rejection: logged, orderly stop, exit 70', async () => {
    await withDaemonLab(pairTopology(), 'stk-daemon-reject-', async (lab, dir) => {
      const a = spawnDaemon(lab, dir, { ...NODE_A, testHooks: true });
      await waitState(lab, a, 'MASTER', 10_000);
      assert.match(a.proc.stdout(), /warn: test hooks on \(STOCKADE_TEST_HOOKS\)/);
      await controlRequest(a.socket, 'test.fault', { kind: 'reject' });
      assert.is(await a.proc.exited, EXIT_CRASH, a.proc.stdout());
      assert.match(a.proc.stdout(), / error: crash: unhandled rejection: Error: test\.fault: a rejection nobody handles\n/);
      assert.match(a.proc.stdout(), /vrrp: vi1: VIPs removed from eth0\n/);
      assert.not.ok(await hasAddress(lab, 'a', VIP));
    });
  });
}

test.run();
