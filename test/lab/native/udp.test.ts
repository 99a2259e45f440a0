// The addon's UDP socket (conntrack sync's transport) between two namespaces joined by two
// links: bound to eth0 (SO_BINDTODEVICE), a datagram to its address with the right source that
// arrives on eth1 is not received; on eth0 it is, with source, port and ifindex; sendTo echoes.
// A second socket without a device receives the eth1 datagram: it really arrived.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resolve } from 'node:path';
import { withLab } from '../harness.ts';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { addonPath, ifindexOf, parseLines, ROOT, waitLine } from './addon.ts';
import { requireLab } from '../require.ts';

const test = suite('native UDP socket');
const ready = requireLab(test, 'lab/native/udp');
const HELPER = resolve(ROOT, 'test/lab/native/udp-helper.ts');
const BOUND_PORT = 5000;
const OPEN_PORT = 5001;
const MCAST_PORT = 5002;
const MCAST_LISTEN_MS = 3000;
const LISTEN_MS = 8000; // outlives the three sends (two wait out their 2 s echo timeout)

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0'], ['a:eth1', 'b:eth1']],
  addresses: {
    'a:eth0': ['192.0.2.1/24'],
    'b:eth0': ['192.0.2.2/24'],
    'a:eth1': ['203.0.113.1/24'],
    'b:eth1': ['203.0.113.2/24'],
  },
};

const listen = (lab: Lab, args: string[]): LabProcess =>
  lab.spawn('b', [process.execPath, HELPER, 'listen', ...args], { env: { STOCKADE_NATIVE: addonPath() }, cwd: ROOT });
const send = async (lab: Lab, args: string[]): Promise<Array<Record<string, unknown>>> =>
  parseLines((await lab.exec('a', ['env', `STOCKADE_NATIVE=${addonPath()}`, process.execPath, HELPER, 'send', ...args], { timeoutMs: 10_000 })).stdout);

if (ready) {
  test('bound to eth0: the eth1 datagram is refused, the eth0 one received with source/port/ifindex and echoed', async () => {
    await withLab(topo, async (lab) => {
      // a reaches 192.0.2.2 over eth1 too (from 192.0.2.1), as a spoofer on another link would;
      // b must not drop it by reverse-path filtering, or the test would prove nothing.
      await lab.exec('a', ['ip', 'route', 'add', '192.0.2.2/32', 'dev', 'eth1']);
      await lab.exec('b', ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth1.rp_filter=0']);
      const b0 = await ifindexOf(lab, 'b', 'eth0');
      const b1 = await ifindexOf(lab, 'b', 'eth1');
      const bound = listen(lab, ['192.0.2.2', String(BOUND_PORT), 'eth0', String(LISTEN_MS)]);
      const open = listen(lab, ['192.0.2.2', String(OPEN_PORT), '-', String(LISTEN_MS)]);
      assert.is((await waitLine(lab, bound, 'bound listener', (l) => l['ready'] === true))['ifindex'], b0);
      await waitLine(lab, open, 'open listener', (l) => l['ready'] === true);

      const wrong = await send(lab, ['192.0.2.1', '40001', 'eth1', '192.0.2.2', String(BOUND_PORT), 'aa01']);
      assert.equal(wrong.map((l) => Object.keys(l)[0]), ['sent', 'timeout']);
      const control = await send(lab, ['192.0.2.1', '40002', 'eth1', '192.0.2.2', String(OPEN_PORT), 'bb02']);
      assert.is(control[0]!['sent'], 2); // its echo goes out of b's eth0, to a's socket on eth1: lost
      const right = await send(lab, ['192.0.2.1', '40003', 'eth0', '192.0.2.2', String(BOUND_PORT), 'cc03']);
      assert.is(right[0]!['sent'], 2);
      assert.equal(right[1], { reply: true, source: '192.0.2.2', port: BOUND_PORT, ifindex: await ifindexOf(lab, 'a', 'eth0'), hex: 'cc03' });

      assert.is(await bound.exited, 0, bound.stderr());
      assert.is(await open.exited, 0, open.stderr());
      const got = parseLines(bound.stdout()).filter((l) => 'source' in l);
      assert.equal(got, [{ source: '192.0.2.1', port: 40003, ifindex: b0, hex: 'cc03' }]);
      const ctl = parseLines(open.stdout()).filter((l) => 'source' in l);
      assert.equal(ctl, [{ source: '192.0.2.1', port: 40002, ifindex: b1, hex: 'bb02' }]);
    });
  });

  test('multicast: joined on the device, heard only there, TTL 1 path works, no loopback to the sender', async () => {
    await withLab(topo, async (lab) => {
      const group = '239.0.2.50';
      const b0 = await ifindexOf(lab, 'b', 'eth0');
      const on0 = listen(lab, ['0.0.0.0', String(MCAST_PORT), 'eth0', String(MCAST_LISTEN_MS), group]);
      const on1 = listen(lab, ['0.0.0.0', String(MCAST_PORT), 'eth1', String(MCAST_LISTEN_MS), group]);
      await waitLine(lab, on0, 'eth0 listener', (l) => l['ready'] === true);
      await waitLine(lab, on1, 'eth1 listener', (l) => l['ready'] === true);
      const sent = await send(lab, ['0.0.0.0', String(MCAST_PORT), 'eth0', group, String(MCAST_PORT), 'dd04', group]);
      // The first thing the sender hears is b's unicast echo, not its own datagram.
      assert.equal(sent[1], { reply: true, source: '192.0.2.2', port: MCAST_PORT, ifindex: await ifindexOf(lab, 'a', 'eth0'), hex: 'dd04' });
      assert.is(await on0.exited, 0, on0.stderr());
      assert.is(await on1.exited, 0, on1.stderr());
      assert.equal(parseLines(on0.stdout()).filter((l) => 'source' in l), [{ source: '192.0.2.1', port: MCAST_PORT, ifindex: b0, hex: 'dd04' }]);
      assert.equal(parseLines(on1.stdout()).filter((l) => 'source' in l), []);
    });
  });

  test('errors carry the errno name: bind to an address not on the box, unknown device', async () => {
    await withLab(topo, async (lab) => {
      const r = await lab.exec('a', ['env', `STOCKADE_NATIVE=${addonPath()}`, process.execPath, HELPER, 'listen', '198.51.100.9', '5000', '-', '10'], { check: false });
      assert.match(r.stderr, /EADDRNOTAVAIL/);
      const d = await lab.exec('a', ['env', `STOCKADE_NATIVE=${addonPath()}`, process.execPath, HELPER, 'listen', '192.0.2.1', '5000', 'nosuch0', '10'], { check: false });
      assert.match(d.stderr, /ENODEV/);
    });
  });
}

test.run();
