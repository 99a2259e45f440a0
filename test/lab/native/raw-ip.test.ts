// IP protocol 112 over the addon's raw IPv4 socket between two namespaces: multicast to
// 224.0.0.18 and unicast, each received with the sender's address, TTL 255 and b's ifindex.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { ifindexOf, parseLines, runHelper, spawnHelper, waitLine } from './addon.ts';
import { requireLab } from '../require.ts';

const test = suite('native raw IPv4 (VRRP)');
const ready = requireLab(test, 'lab/native/raw-ip');

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0'], ['a:eth1', 'b:eth1']],
  addresses: {
    'a:eth0': ['192.0.2.1/24', '192.0.2.11/24'],
    'b:eth0': ['192.0.2.2/24'],
    'a:eth1': ['203.0.113.1/24'],
    'b:eth1': ['203.0.113.2/24'],
  },
};

interface Received { source: string; destination: string; ttl: number; ifindex: number; payload: string }

/** Starts a receiver on b:ifname, runs the sender in a, returns what b got. */
async function exchange(lab: Lab, recvArgs: string[], sendArgs: string[], count: number): Promise<{ got: Received[]; ifindex: number }> {
  const rx = spawnHelper(lab, 'b', 'native-vrrp.ts', ['recv', ...recvArgs]);
  const ready = await waitLine(lab, rx, 'receiver ready', (l) => l['ready'] === true);
  const sent = await runHelper(lab, 'a', 'native-vrrp.ts', ['send', ...sendArgs]);
  assert.is(sent.length, Number(sendArgs[2]));
  for (const s of sent) assert.is(s['sent'], 12);
  assert.is(await rx.exited, 0, `receiver: ${rx.stdout()} ${rx.stderr()}`);
  const got = parseLines(rx.stdout()).filter((l) => 'source' in l) as unknown as Received[];
  assert.is(got.length, count);
  return { got, ifindex: ready['ifindex'] as number };
}

if (ready) {
  test('multicast 224.0.0.18: TTL 255, sender address, receiving ifindex, payload intact', async () => {
    await withLab(topo, async (lab) => {
      const { got, ifindex } = await exchange(lab, ['eth0', '3'], ['eth0', '224.0.0.18', '3'], 3);
      assert.is(ifindex, await ifindexOf(lab, 'b', 'eth0'));
      got.forEach((p, i) => {
        assert.is(p.ttl, 255);
        assert.is(p.source, '192.0.2.1');
        assert.is(p.destination, '224.0.0.18');
        assert.is(p.ifindex, ifindex);
        // the IP header is stripped: the payload is exactly what was sent
        assert.is(p.payload, Buffer.from([0x31, 0x07, 100, 1, 0, 0x64, 0, 0, 198, 51, 100, 7 + i]).toString('hex'));
      });
    });
  });

  test('unicast to b, with a chosen source address (IP_PKTINFO)', async () => {
    await withLab(topo, async (lab) => {
      const plain = await exchange(lab, ['eth0', '2'], ['eth0', '192.0.2.2', '2'], 2);
      for (const p of plain.got) {
        assert.is(p.source, '192.0.2.1');
        assert.is(p.destination, '192.0.2.2');
        assert.is(p.ttl, 255);
        assert.is(p.ifindex, plain.ifindex);
      }
      const chosen = await exchange(lab, ['eth0', '1'], ['eth0', '192.0.2.2', '1', '192.0.2.11'], 1);
      assert.is(chosen.got[0]!.source, '192.0.2.11');
    });
  });

  test('SO_BINDTODEVICE: a receiver bound to eth1 does not see adverts sent on eth0', async () => {
    await withLab(topo, async (lab) => {
      const rx = spawnHelper(lab, 'b', 'native-vrrp.ts', ['recv', 'eth1', '1']);
      await waitLine(lab, rx, 'receiver ready', (l) => l['ready'] === true);
      await runHelper(lab, 'a', 'native-vrrp.ts', ['send', 'eth0', '224.0.0.18', '2']);
      await runHelper(lab, 'a', 'native-vrrp.ts', ['send', 'eth1', '224.0.0.18', '1']);
      assert.is(await rx.exited, 0, `receiver: ${rx.stdout()} ${rx.stderr()}`);
      const got = parseLines(rx.stdout()).filter((l) => 'source' in l);
      assert.is(got.length, 1);
      assert.is(got[0]!['source'], '203.0.113.1');
      assert.is(got[0]!['ifindex'], await ifindexOf(lab, 'b', 'eth1'));
    });
  });
}

test.run();
