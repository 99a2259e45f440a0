// Port naming (src/net/ports.ts, called by `stockade boot`) against the real kernel: veths with
// set MACs in a lab namespace are renamed to their labels.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('net ports');
const ready = requireLab(test, 'lab/net/ports');

const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:p0'], ['a:eth1', 'b:p1'], ['a:eth2', 'b:p2']],
};

const MAC = ['02:00:00:00:aa:00', '02:00:00:00:aa:01', '02:00:00:00:aa:02'];

interface LinkJson { ifname: string; address: string; flags: string[]; ifindex: number }

async function links(lab: Lab): Promise<Map<string, LinkJson>> {
  const r = await lab.exec('a', ['ip', '-j', 'link', 'show']);
  return new Map((JSON.parse(r.stdout) as LinkJson[]).map((l) => [l.ifname, l]));
}

async function setMacs(lab: Lab): Promise<void> {
  for (let i = 0; i < 3; i++) await lab.exec('a', ['ip', 'link', 'set', 'dev', `eth${i}`, 'address', MAC[i]!]);
}

async function name(lab: Lab, specs: unknown): Promise<Record<string, unknown>> {
  const [out] = await runHelper(lab, 'a', 'net-name-ports.ts', [JSON.stringify(specs)]);
  return out!;
}

if (ready) {
  test('NICs are renamed to their labels by MAC; admin state is kept; a second run writes nothing', async () => {
    await withLab(topo, async (lab) => {
      await setMacs(lab);
      await lab.exec('a', ['ip', 'link', 'set', 'dev', 'eth1', 'down']);
      const before = await links(lab);
      const specs = [{ label: 'wan', mac: MAC[0]!.toUpperCase() }, { label: 'lan', mac: MAC[1] }, { label: 'ghost', mac: '02:00:00:00:aa:99' }];
      const out = await name(lab, specs);
      assert.equal(out['missing'], ['ghost']);
      assert.equal(out['named'], [
        { label: 'wan', from: 'eth0', index: before.get('eth0')!.ifindex, changed: true },
        { label: 'lan', from: 'eth1', index: before.get('eth1')!.ifindex, changed: true },
      ]);
      const after = await links(lab);
      assert.is(after.get('wan')?.address, MAC[0]);
      assert.is(after.get('lan')?.address, MAC[1]);
      assert.not.ok(after.has('eth0') || after.has('eth1'), 'old names are gone');
      assert.ok(after.get('wan')!.flags.includes('UP'), 'wan was up and is up again');
      assert.not.ok(after.get('lan')!.flags.includes('UP'), 'lan was down and stays down');
      assert.is(after.get('eth2')?.address, MAC[2], 'an unlisted NIC keeps its name');

      const again = await name(lab, specs);
      assert.is(again['writes'], 0, 'idempotent: no rtnetlink writes');
      assert.equal((again['named'] as Array<{ changed: boolean; from: string }>).map((n) => [n.from, n.changed]), [['wan', false], ['lan', false]]);
    });
  });

  test('swapped names are swapped back through temporary names', async () => {
    await withLab(topo, async (lab) => {
      await setMacs(lab);
      const out = await name(lab, [{ label: 'eth0', mac: MAC[1] }, { label: 'eth1', mac: MAC[0] }]);
      assert.is(out['error'], undefined, String(out['error']));
      const after = await links(lab);
      assert.is(after.get('eth0')?.address, MAC[1]);
      assert.is(after.get('eth1')?.address, MAC[0]);
      assert.ok(after.get('eth0')!.flags.includes('UP') && after.get('eth1')!.flags.includes('UP'));
      assert.not.ok([...after.keys()].some((n) => n.startsWith('stkport')), 'no temporary name left');
    });
  });

  test('a label held by a NIC the board does not list: that NIC is moved aside', async () => {
    await withLab(topo, async (lab) => {
      await setMacs(lab);
      const idx = (await links(lab)).get('eth2')!.ifindex;
      const out = await name(lab, [{ label: 'eth2', mac: MAC[0] }]);
      assert.is(out['error'], undefined, String(out['error']));
      const after = await links(lab);
      assert.is(after.get('eth2')?.address, MAC[0]);
      assert.is(after.get(`nic${idx}`)?.address, MAC[2]);
    });
  });

  test('a label held by a bridge is refused before anything is renamed', async () => {
    await withLab({ ...topo, bridges: [{ at: 'a', name: 'lan', ports: [] }] }, async (lab) => {
      await setMacs(lab);
      const out = await name(lab, [{ label: 'wan', mac: MAC[0] }, { label: 'lan', mac: MAC[1] }]);
      assert.match(String(out['error']), /port lan: the name is taken by bridge link lan/);
      assert.is(out['writes'], 0);
      const after = await links(lab);
      assert.ok(after.has('eth0') && after.has('eth1'), 'nothing renamed');
    });
  });
}

test.run();
