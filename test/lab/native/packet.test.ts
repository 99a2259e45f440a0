// AF_PACKET over the addon: a gratuitous ARP frame sent in host a is received in host b.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { ifindexOf, macOf, parseLines, runHelper, spawnHelper, waitLine } from './addon.ts';
import { requireLab } from '../require.ts';

const test = suite('native AF_PACKET');
const ready = requireLab(test, 'lab/native/packet');
const PACKET_BROADCAST = 1;
const ETH_P_ARP = 0x0806;

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0']],
  addresses: { 'a:eth0': ['198.51.100.1/24'], 'b:eth0': ['198.51.100.2/24'] },
};

if (ready) {
  test('gratuitous ARP from a arrives in b byte for byte, as a broadcast on eth0', async () => {
    await withLab(topo, async (lab) => {
      const rx = spawnHelper(lab, 'b', 'native-arp.ts', ['recv', 'eth0']);
      await waitLine(lab, rx, 'ARP receiver ready', (l) => l['ready'] === true);
      const sent = await runHelper(lab, 'a', 'native-arp.ts', ['send', 'eth0', '2']);
      assert.is(sent[0]!['sent'], 42);
      assert.is(await rx.exited, 0, `receiver: ${rx.stdout()} ${rx.stderr()}`);
      const frames = parseLines(rx.stdout()).filter((l) => 'frame' in l);
      const last = frames.at(-1)!;
      const mac = (await macOf(lab, 'a', 'eth0')).replaceAll(':', '');
      assert.is(sent[0]!['mac'], mac);
      const vip = 'c6336407'; // 198.51.100.7
      const want = `ffffffffffff${mac}0806` + `0001080006040001${mac}${vip}ffffffffffff${vip}`;
      // veth delivers the frame as sent (no padding to 60 bytes on a virtual link)
      assert.is((last['frame'] as string).slice(0, want.length), want);
      assert.is(last['pkttype'], PACKET_BROADCAST);
      assert.is(last['ethertype'], ETH_P_ARP);
      assert.is(last['ifindex'], await ifindexOf(lab, 'b', 'eth0'));
    });
  });
}

test.run();
