// Filtered route dumps against the real kernel: on a strict socket (NETLINK_GET_STRICT_CHK) the
// kernel sends only the table / protocol asked for (not the local table's route per address),
// a table it does not have is no routes; on a plain socket it sends everything and Rtnl filters,
// with the same result.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { withLab } from '../harness.ts';
import { addonPath, parseLines } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('route dumps');
const ready = requireLab(test, 'lab/net/route-dumps');
const CHILD = fileURLToPath(new URL('./route-dumps-child.ts', import.meta.url));

if (ready) {
  test('by protocol and by table: the kernel filters on a strict socket; the result is the same on a plain one', async () => {
    await withLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']] }, async (lab) => {
      const ip = (...args: string[]) => lab.exec('a', ['ip', ...args]);
      await ip('addr', 'add', '192.0.2.1/24', 'dev', 'eth0');
      await ip('route', 'add', '198.51.100.0/24', 'via', '192.0.2.254', 'proto', '83');
      await ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.254', 'proto', 'static');
      await ip('route', 'add', 'default', 'via', '192.0.2.254', 'table', '1000', 'proto', '83');
      await ip('route', 'add', '203.0.113.0/25', 'via', '192.0.2.254', 'table', '1000', 'proto', 'static');
      const filters = [{ protocol: 83 }, { table: 254 }, { table: 1000, protocol: 83 }, { table: 2000 }];
      const r = await lab.exec('a', ['env', `STOCKADE_NATIVE=${addonPath()}`, process.execPath, CHILD, JSON.stringify(filters)]);
      const [out] = parseLines(r.stdout) as Array<Record<string, Array<{ sent: number | string; routes: string[] }>>>;
      const { strict, plain } = out as { strict: Array<{ sent: number | string; routes: string[] }>; plain: Array<{ sent: number | string; routes: string[] }> };
      const want = [
        ['1000 83 default/0', '254 83 198.51.100.0/24'],
        ['254 2 192.0.2.0/24', '254 4 203.0.113.0/24', '254 83 198.51.100.0/24'],
        ['1000 83 default/0'],
        [],
      ];
      assert.equal(strict.map((x) => x.routes), want);
      assert.equal(plain.map((x) => x.routes), want, 'a plain socket: the same routes, filtered here');
      // What the kernel sent: only those on the strict socket (an absent table: ENOENT, which
      // Rtnl turns into no routes); the whole FIB, local table included, on the plain one.
      assert.equal(strict.map((x) => x.sent), [2, 3, 1, 'ENOENT']);
      for (const x of plain) assert.ok(typeof x.sent === 'number' && x.sent >= 7, `plain sent ${x.sent}`);
    });
  });
}

test.run();
