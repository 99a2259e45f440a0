// Errors from the addon are Node-style system errors; sockets hold the loop only while receiving.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { parseLines, runHelper, spawnHelper, waitLine } from './addon.ts';
import { requireLab } from '../require.ts';

const test = suite('native errors and lifetime');
const ready = requireLab(test, 'lab/native/errors');
const topo: Topology = { hosts: ['a'] };

interface ErrOut { isError: boolean; code: string; errno: number; syscall: string; message: string }

if (ready) {
  test('errno cases: ENODEV for a missing device, Node-shaped', async () => {
    await withLab(topo, async (lab) => {
      const [out] = await runHelper(lab, 'a', 'native-errno.ts', []);
      const raw = out!['rawIpNoDevice'] as ErrOut;
      assert.ok(raw.isError);
      assert.is(raw.code, 'ENODEV');
      assert.is(raw.errno, -19);
      assert.is(raw.syscall, 'setsockopt');
      assert.match(raw.message, /^setsockopt ENODEV: no such device, SO_BINDTODEVICE$/);
      const idx = out!['ifNameToIndex'] as ErrOut;
      assert.is(idx.code, 'ENODEV');
      assert.is(idx.syscall, 'if_nametoindex');
      const pkt = out!['packetNoDevice'] as ErrOut;
      assert.is(pkt.code, 'ENODEV');
      assert.is(pkt.syscall, 'bind');
      const nl = out!['netlinkBadProtocol'] as ErrOut;
      assert.is(nl.code, 'EPROTONOSUPPORT');
      assert.is(nl.syscall, 'socket');
      const closed = out!['sendAfterClose'] as ErrOut;
      assert.is(closed.code, 'EBADF');
    });
  });

  test('idle, stopped and unref\'d sockets let the process exit; a receiving one keeps it alive; workers tear down', async () => {
    await withLab(topo, async (lab) => {
      for (const mode of ['idle', 'stopped', 'unref', 'worker']) {
        const out = await runHelper(lab, 'a', 'native-lifetime.ts', [mode], 10_000);
        assert.equal(out, [{ armed: mode }]);
      }
      const p = spawnHelper(lab, 'a', 'native-lifetime.ts', ['receiving']);
      await waitLine(lab, p, 'receiving socket armed', (l) => l['armed'] === 'receiving');
      const exited = await Promise.race([p.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]);
      assert.is(exited, false, 'a receiving socket holds the loop');
      p.kill('SIGTERM');
      await p.exited;
      assert.equal(parseLines(p.stdout()), [{ armed: 'receiving' }]);
    });
  });
}

test.run();
