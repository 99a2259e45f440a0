// The no-change fast path of `stockade firewall apply` (src/firewall/applied-state.ts), in a lab
// namespace: a second apply of the same file on an untouched kernel skips the comparison, and
// anything that changed (the config file edited, a rule added by hand with iptables) takes the
// full path and is applied or repaired.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireLab } from '../require.ts';
import { withLab, type Lab } from '../harness.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';

const test = suite('firewall: apply skips only when nothing changed');

const config = (port: number): unknown => ({
  version: 1,
  interfaces: { ports: [{ name: 'lan' }, { name: 'wan' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'wan', static: ['203.0.113.1/24'] }],
  firewall: { rules: [{ chain: 'forward', action: 'accept', protocol: 'tcp', in_interface: 'lan', out_interface: 'wan', destination_ports: [port] }] },
});

interface Applied { tables: Array<{ family: string; table: string; status: string; chains: number }>; skipped?: string }

if (requireLab(test, 'lab/firewall/fast-path', { tools: ['iptables', 'iptables-save'] })) {
  test('same file, untouched kernel: skipped; config edited or iptables run by hand: full apply', async () => {
    await withLab({ hosts: ['fw'], links: [['fw:lan', 'fw:wan']] }, async (lab: Lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-fw-fast-'));
      try {
        const file = join(dir, 'config.json');
        const runDir = join(dir, 'run');
        const apply = async (): Promise<Applied> => {
          const r = await lab.exec('fw', ['env', `STOCKADE_RUN_DIR=${runDir}`, STOCKADE_BIN, 'firewall', 'apply', file, '--json'], { check: false, timeoutMs: 60_000 });
          assert.is(r.code, 0, r.stderr);
          return JSON.parse(r.stdout) as Applied;
        };
        const restored = (a: Applied): string[] => a.tables.filter((t) => t.status === 'restored').map((t) => `${t.family} ${t.table} ${t.chains}`);
        const save = async (): Promise<string> => (await lab.exec('fw', ['iptables-save'])).stdout;

        writeFileSync(file, JSON.stringify(config(22)));
        const first = await apply();
        assert.is(first.skipped, undefined);
        assert.ok(restored(first).some((t) => t.startsWith('ipv4 filter ')), JSON.stringify(first));
        const second = await apply();
        assert.is(second.skipped, 'unchanged since the last apply of this file', 'the same file on an untouched kernel');
        assert.ok(second.tables.length > 0 && second.tables.every((t) => t.status === 'unchanged'));

        // The config edited: full path, the new rule in the kernel.
        writeFileSync(file, JSON.stringify(config(443)));
        const edited = await apply();
        assert.is(edited.skipped, undefined, 'an edited config is loaded and compared');
        assert.equal(restored(edited), ['ipv4 filter 1']);
        assert.match(await save(), /--dport 443 /);
        assert.is((await apply()).skipped, 'unchanged since the last apply of this file');

        // A rule added by hand (iptables-nft bumps the generation): found and undone.
        await lab.exec('fw', ['iptables', '-A', 'STOCKADE-FWD-0', '-p', 'udp', '-j', 'ACCEPT']);
        const byHand = await apply();
        assert.is(byHand.skipped, undefined, 'a kernel changed by hand is compared');
        assert.equal(restored(byHand), ['ipv4 filter 1']);
        assert.not.match(await save(), /-A STOCKADE-FWD-0 -p udp -j ACCEPT/);
        assert.is((await apply()).skipped, 'unchanged since the last apply of this file');

        // A rule deleted by hand in another table (nat): found too.
        await lab.exec('fw', ['iptables', '-t', 'nat', '-N', 'ADMIN-TEST']);
        assert.is((await apply()).skipped, undefined, 'any table changed by hand is compared');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test.run();
