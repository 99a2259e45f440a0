// `stockade diagnose lvs` on a director namespace in front of real servers: a broken setup
// (forwarding off, strict rp_filter, no masquerading, a real server with nothing listening, one
// that is not there, FTP without ip_vs_ftp) has each fault named with its fix; the repaired
// setup passes. (What needs IPVS itself is for the image tier.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { requireLab } from '../require.ts';

const test = suite('lvs: diagnose');
// The built executable when the test runner gives one (npm test builds it), else the source.
const CLI = process.env.STOCKADE_BIN ? [process.env.STOCKADE_BIN] : [process.execPath, fileURLToPath(new URL('../../../src/cli/index.ts', import.meta.url))];

const TOPOLOGY: Topology = {
  hosts: ['dir', 'rs'],
  links: [['dir:eth1', 'rs:eth0']],
  bridges: [{ at: 'dir', name: 'eth0', ports: [] }],
  addresses: { 'dir:eth0': ['203.0.113.1/24', '203.0.113.10/24'], 'dir:eth1': ['198.51.100.1/24'], 'rs:eth0': ['198.51.100.11/24', '198.51.100.12/24'] },
  routes: { rs: ['default via 198.51.100.1'] },
};

function config(realServers: string[], extra: object[] = []): object {
  return {
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }, { name: 'eth1' }] },
    addresses: [{ interface: 'eth0', static: ['203.0.113.1/24', '203.0.113.10/24'] }, { interface: 'eth1', static: ['198.51.100.1/24'] }],
    lvs: { virtual_services: [{ name: 'web', address: '203.0.113.10', port: 80, real_servers: realServers.map((address) => ({ address })) }, ...extra] },
  };
}

async function diagnose(lab: Lab, dir: string, cfg: object): Promise<{ code: number; out: string; lines: Array<{ service: string; verdict: string; what: string; fix?: string }> }> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  const text = await lab.exec('dir', [...CLI, 'diagnose', 'lvs', file], { check: false, timeoutMs: 30_000 });
  const json = await lab.exec('dir', [...CLI, 'diagnose', 'lvs', file, '--json'], { check: false, timeoutMs: 30_000 });
  return { code: text.code, out: text.stdout + text.stderr, lines: (JSON.parse(json.stdout) as { lines: never[] }).lines };
}

if (requireLab(test, 'lab/lvs/diagnose', { tools: ['iptables', 'iptables-save'] })) {
  test('a broken LVS-NAT director: each fault named with its fix; repaired: no problem found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-diag-'));
    try {
      await withLab(TOPOLOGY, async (lab) => {
        const web = lab.spawn('rs', [process.execPath, '-e', "for (const p of [80, 21]) require('node:net').createServer((s) => s.end()).listen(p, '198.51.100.11'); console.log('ready')"]);
        await lab.waitFor('the real server', () => web.stdout().includes('ready'));
        // Broken: forwarding off, strict rp_filter on the real servers' side, no masquerading.
        await lab.exec('dir', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=0', 'net.ipv4.conf.eth1.rp_filter=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth0.rp_filter=0']);
        const ftp = { name: 'ftp', address: '203.0.113.10', port: 21, real_servers: [{ address: '198.51.100.11' }] };
        const broken = await diagnose(lab, dir, config(['198.51.100.11', '198.51.100.12', '198.51.100.13'], [ftp]));
        assert.is(broken.code, 1, broken.out);
        const fail = (re: RegExp, fix: RegExp) => {
          const l = broken.lines.find((x) => x.verdict === 'FAIL' && re.test(x.what));
          assert.ok(l, `no FAIL line for ${re}:\n${broken.out}`);
          assert.match(l!.fix ?? '', fix);
        };
        fail(/^IP forwarding/, /net\.ipv4\.ip_forward/);
        fail(/rp_filter 1\) on the real servers' side eth1/, /net\.ipv4\.conf\.eth1\.rp_filter/);
        fail(/^198\.51\.100\.12:80 refuses connections/, /Start the service on 198\.51\.100\.12/);
        fail(/^198\.51\.100\.13 does not answer ARP on eth1/, /configured on it/);
        assert.not.ok(broken.lines.some((x) => x.what.startsWith('198.51.100.13:80')), 'no port line for a server that does not answer ARP');
        fail(/^no MASQUERADE or SNAT for the real servers' own traffic \(198\.51\.100\.11, 198\.51\.100\.12, 198\.51\.100\.13\)/, /masquerade/);
        fail(/^ip_vs_ftp is not loaded/, /ip_vs_ftp/);
        const ok = (re: RegExp) => assert.ok(broken.lines.some((x) => x.verdict === 'OK' && re.test(x.what)), `no OK line for ${re}:\n${broken.out}`);
        ok(/^the VIP 203\.0\.113\.10 is held here \(on eth0\)/);
        ok(/^198\.51\.100\.11 answers ARP on eth1/);
        ok(/^198\.51\.100\.11:80 accepts connections/);
        assert.match(broken.out, /^FAIL web: 198\.51\.100\.12:80 refuses connections \(TCP reset: nothing listens\)\n     fix: /m);

        // Repaired.
        await lab.exec('dir', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.eth1.rp_filter=2']);
        await lab.exec('dir', ['iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', '198.51.100.0/24', '-o', 'eth0', '-j', 'MASQUERADE']);
        const fixed = await diagnose(lab, dir, config(['198.51.100.11']));
        assert.is(fixed.code, 0, fixed.out);
        assert.equal(fixed.lines.filter((l) => l.verdict === 'FAIL'), []);
        assert.match(fixed.out, /diagnose: no problem found\n$/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the VIP on the other box (BACKUP): said, with what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-diag-'));
    try {
      await withLab(TOPOLOGY, async (lab) => {
        await lab.exec('dir', ['ip', 'addr', 'del', '203.0.113.10/24', 'dev', 'eth0']);
        const r = await diagnose(lab, dir, config(['198.51.100.11']));
        const l = r.lines.find((x) => /VIP 203\.0\.113\.10/.test(x.what));
        assert.equal([l?.verdict, l?.what], ['FAIL', 'the VIP 203.0.113.10 is not on this box']);
        assert.match(l?.fix ?? '', /not the MASTER/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
