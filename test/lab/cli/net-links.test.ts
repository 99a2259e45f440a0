// The built executable inside a lab host: `stockade net links` loads the native addon that sits
// next to it and lists the host's links over rtnetlink.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import { requireLab } from '../require.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const ready = requireLab(test, 'lab/cli/net-links');

if (ready) {
  test('stockade net links lists the links of the namespace it runs in', async () => {
    assert.ok(existsSync(bin), `${bin} is built by npm run build`);
    await withLab({ hosts: ['a', 'b'], links: [['a:wan0', 'b:eth0']] }, async (l) => {
      // `env -u` so the addon is found next to the executable, as on the appliance.
      const r = await l.exec('a', ['env', '-u', 'STOCKADE_NATIVE', bin, 'net', 'links']);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0]!, /^INDEX\s+NAME\s+STATE\s+MTU\s+MAC$/);
      assert.ok(lines.some((x) => /^1\s+lo\s+up\s+65536\s+00:00:00:00:00:00$/.test(x)), r.stdout);
      assert.ok(lines.some((x) => /\swan0\s+up\s+1500\s+[0-9a-f:]{17}$/.test(x)), r.stdout);
      assert.not.ok(r.stdout.includes('eth0'), 'links of the other host are not listed');

      await l.exec('a', ['ip', 'link', 'set', 'wan0', 'down']);
      const json = JSON.parse((await l.exec('a', ['env', '-u', 'STOCKADE_NATIVE', bin, 'net', 'links', '--json'])).stdout);
      const wan = json.find((x: { name: string }) => x.name === 'wan0');
      assert.is(wan.state, 'down');
    });
  });

  test('stockade net links with a bad argument exits 2 and touches nothing', async () => {
    await withLab({ hosts: ['a'] }, async (l) => {
      const r = await l.exec('a', [bin, 'net', 'links', '--jsno'], { check: false });
      assert.is(r.code, 2);
      assert.match(r.stderr, /unexpected argument '--jsno'/);
    });
  });

  test.run();
}
