// Link events from the kernel as typed events (src/kernel/rtnetlink/events.ts): created,
// deleted, admin up/down, carrier up/down, changed (rename), in a lab namespace.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import { parseLines, spawnHelper, waitLine } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('net link events');
const ready = requireLab(test, 'lab/net/link-events');

if (ready) {
  test('created, up, carrier-up, carrier-down, down, changed, deleted', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      const p = spawnHelper(lab, 'a', 'net-link-events.ts', ['15000']);
      const ready = await waitLine(lab, p, 'monitor ready', (l) => l['ready'] === true);
      assert.ok((ready['links'] as string[]).includes('eth0'), 'the initial dump knows eth0');
      const seen = (pred: (l: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> => waitLine(lab, p, what, pred);

      // A veth pair inside a: both ends, then up (carrier needs both ends up).
      await lab.exec('a', ['ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
      await seen((l) => l['type'] === 'created' && l['name'] === 'v0', 'v0 created');
      await seen((l) => l['type'] === 'created' && l['name'] === 'v1', 'v1 created');
      await lab.exec('a', ['ip', 'link', 'set', 'v1', 'up']);
      await lab.exec('a', ['ip', 'link', 'set', 'v0', 'up']);
      await seen((l) => l['type'] === 'up' && l['name'] === 'v0', 'v0 up');
      await seen((l) => l['type'] === 'carrier-up' && l['name'] === 'v0', 'v0 carrier up');

      // The peer going down takes v0's carrier, not its admin state.
      await lab.exec('a', ['ip', 'link', 'set', 'v1', 'down']);
      await seen((l) => l['type'] === 'carrier-down' && l['name'] === 'v0', 'v0 carrier down');
      await lab.exec('a', ['ip', 'link', 'set', 'v0', 'down']);
      await seen((l) => l['type'] === 'down' && l['name'] === 'v0', 'v0 down');

      await lab.exec('a', ['ip', 'link', 'set', 'v0', 'name', 'uplink']);
      await seen((l) => l['type'] === 'changed' && l['name'] === 'uplink' && l['before'] === 'v0', 'renamed');
      await lab.exec('a', ['ip', 'link', 'del', 'uplink']);
      await seen((l) => l['type'] === 'deleted' && l['name'] === 'uplink', 'uplink deleted');
      await seen((l) => l['type'] === 'deleted' && l['name'] === 'v1', 'its peer deleted');

      const events = parseLines(p.stdout()).filter((l) => l['name'] === 'v0' || l['name'] === 'uplink').map((l) => l['type']);
      assert.not.ok(events.includes('carrier-down') && events.indexOf('carrier-down') < events.indexOf('carrier-up'), events.join(' '));
      assert.not.ok(parseLines(p.stdout()).some((l) => l['error'] !== undefined), p.stdout());
      p.kill();
    });
  });
}

test.run();
