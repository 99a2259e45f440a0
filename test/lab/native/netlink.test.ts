// Netlink over the addon in a lab namespace: link dump, link events, receive overrun (ENOBUFS).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Topology } from '../harness.ts';
import { ifindexOf, parseLines, runHelper, spawnHelper, waitLine } from './addon.ts';
import { requireLab } from '../require.ts';

const test = suite('native netlink');
const ready = requireLab(test, 'lab/native/netlink');

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0'], ['a:lan1', 'b:eth1']],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'] },
};

if (ready) {
  test('RTM_GETLINK dump lists lo and the veths the topology made, with their ifindexes', async () => {
    await withLab(topo, async (lab) => {
      const [out] = await runHelper(lab, 'a', 'native-links.ts', []);
      const links = (out!['links'] as Array<{ index: number; name: string; mtu: number; address: string; flags: number }>);
      const names = links.map((l) => l.name);
      assert.ok(names.includes('lo'), `lo in ${names.join(',')}`);
      assert.ok(names.includes('eth0') && names.includes('lan1'), `veths in ${names.join(',')}`);
      assert.not.ok(names.includes('eth1'), 'b\'s interface is not in a\'s namespace');
      const eth0 = links.find((l) => l.name === 'eth0')!;
      assert.is(eth0.index, await ifindexOf(lab, 'a', 'eth0'));
      assert.is(eth0.mtu, 1500);
      assert.is(eth0.address, (await lab.exec('a', ['cat', '/sys/class/net/eth0/address'])).stdout.trim());
      assert.ok(typeof out!['portId'] === 'number' && out!['portId'] > 0);
    });
  });

  test('RTNLGRP_LINK: an MTU change arrives as a multicast RTM_NEWLINK event', async () => {
    await withLab(topo, async (lab) => {
      const p = spawnHelper(lab, 'a', 'native-link-events.ts', ['lan1', '1400']);
      await waitLine(lab, p, 'event listener ready', (l) => l['ready'] === true);
      await lab.exec('a', ['ip', 'link', 'set', 'dev', 'lan1', 'mtu', '1400']);
      assert.is(await p.exited, 0, `listener: ${p.stdout()} ${p.stderr()}`);
      const last = parseLines(p.stdout()).at(-1)!;
      assert.is(last['group'], 1);
      assert.is((last['link'] as { mtu: number }).mtu, 1400);
    });
  });

  test('a receive overrun is delivered to JS as an ENOBUFS error, then data flows again', async () => {
    await withLab(topo, async (lab) => {
      const [out] = await runHelper(lab, 'a', 'native-overrun.ts', ['lan1', '40']);
      const seen = out!['seen'] as string[];
      assert.is(seen[0], 'ENOBUFS/recvmsg/-105', `callbacks: ${seen.join(' ')}`);
      assert.ok(seen.slice(1).includes('data'), `queued events still delivered after the error: ${seen.join(' ')}`);
    });
  });
}

test.run();
