// A managed_novlan segment on the built daemon in lab namespaces: groups web (h1, h2) and db (h3)
// share one L2 segment (the bridge l2 in sw, reaching the box's `lan`), told apart by subnet
// only. dnsmasq, started by the daemon, serves each host its fixed address and its own group's
// router; the groups reach each other through the box only where a rule allows, a rule added at
// run time opens exactly that; the box sends no redirect that would let a host go around it; a
// host opens connections through the box only from its own address. dnsmasq runs detached:
// killed by its pidfile on every exit path.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type LabProcess } from '../harness.ts';
import { requireLab } from '../require.ts';
import { expectProbe, probe } from './probe.ts';
import { controlRequest } from '../../../src/control/index.ts';
import type { SegmentsView } from '../../../src/segments/index.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';
import { killUdhcpds, UDHCPC_SCRIPT } from './udhcpd.ts';

const node = process.execPath;
const peer = join(import.meta.dirname, 'tcp-peer.ts');
const ready = requireLab(test, 'lab/segments/novlan', { tools: ['busybox', 'dnsmasq', 'iptables-restore', 'iptables-save'] });

const MACS = { h1: '02:00:00:00:0a:01', h2: '02:00:00:00:0a:02', h3: '02:00:00:00:0b:01' };

const CONFIG = {
  version: 1,
  interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }] },
  addresses: [{ interface: 'wan', static: ['203.0.113.2/24'] }],
  management: { commit_confirm_s: 0 },
  segments: [{
    name: 'flat', mode: 'managed_novlan', interfaces: ['lan'], subnet: '198.51.100.0/24', addresses_per_group: 64,
    groups: [
      { name: 'web', id: 0, interface: 'lan', hosts: [{ mac: MACS.h1, ip: '198.51.100.2' }, { mac: MACS.h2, ip: '198.51.100.3' }], rules: [{ source: '203.0.113.0/24', protocol: 'tcp', ports: 80 }] },
      { name: 'db', id: 1, interface: 'lan', hosts: [{ mac: MACS.h3, ip: '198.51.100.66' }], rules: [{ group: 'web', protocol: 'tcp', ports: 5432 }] },
    ],
  }],
};

if (ready) {
  test('managed_novlan: groups on one L2 segment get their addresses and routers by DHCP, are isolated through the box until a rule, no redirects, no spoofed sources', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-novlan-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(CONFIG, null, 2));
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, UDHCPC_SCRIPT);
    chmodSync(script, 0o755);
    const socket = join(dir, 'ctl.sock');
    let daemon: LabProcess | undefined;
    try {
      await withLab({
        hosts: ['gw', 'h1', 'h2', 'h3', 'wan', 'sw'],
        links: [['gw:lan', 'sw:pg'], ['h1:eth0', 'sw:p1'], ['h2:eth0', 'sw:p2'], ['h3:eth0', 'sw:p3'], ['gw:wan', 'wan:eth0']],
        bridges: [{ at: 'sw', name: 'l2', ports: ['pg', 'p1', 'p2', 'p3'] }],
        addresses: { 'gw:wan': ['203.0.113.2/24'], 'wan:eth0': ['203.0.113.10/24'] },
        routes: { wan: ['198.51.100.0/24 via 203.0.113.2'] },
        sysctls: { gw: ['net.ipv4.ip_forward=1'] },
      }, async (l) => {
        for (const [h, mac] of Object.entries(MACS)) await l.exec(h, ['ip', 'link', 'set', 'eth0', 'address', mac]);
        const fw = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'firewall', 'apply', configFile], { check: false });
        assert.is(fw.code, 0, fw.stdout + fw.stderr);
        daemon = l.spawn('gw', ['env', '-u', 'STOCKADE_NATIVE', `STOCKADE_RUN_DIR=${run}`, STOCKADE_BIN, 'daemon', '--config', configFile, '--default-config', 'none', '--socket', socket]);
        const status = () => controlRequest(socket, 'segments.status') as Promise<SegmentsView>;
        await l.waitFor('the DHCP server', async () => {
          const v = await status().catch(() => undefined);
          return v?.segments[0]?.dhcp.length === 1 && v.segments[0].dhcp[0]!.pid !== null ? v : undefined;
        }, { timeoutMs: 15_000 });

        // 1. Each host gets its fixed address and its own group's router, on the one segment.
        for (const h of ['h1', 'h2', 'h3']) {
          const r = await l.exec(h, ['busybox', 'udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '1', '-i', 'eth0', '-s', script], { check: false, timeoutMs: 15_000 });
          assert.is(r.code, 0, `${h}: udhcpc: ${r.stdout}${r.stderr}\n${daemon.stdout()}`);
        }
        const addr = async (h: string) => (await l.exec(h, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
        assert.match(await addr('h1'), /inet 198\.51\.100\.2\/26 /);
        assert.match(await addr('h2'), /inet 198\.51\.100\.3\/26 /);
        assert.match(await addr('h3'), /inet 198\.51\.100\.66\/26 /);
        assert.match((await l.exec('h3', ['ip', 'route', 'show', 'default'])).stdout, /default via 198\.51\.100\.65 /);
        assert.match((await l.exec('h1', ['ip', 'route', 'show', 'default'])).stdout, /default via 198\.51\.100\.1 /);
        const ctl = await l.exec('gw', [STOCKADE_BIN, 'ctl', 'segments', '--socket', socket]);
        assert.match(ctl.stdout, /02:00:00:00:0b:01  198\.51\.100\.66 +leased, \d+ s left/, ctl.stdout);

        for (const h of ['h1', 'h2', 'h3']) l.spawn(h, [node, peer, 'serve', h, '80', '5432', '22']);
        const wanPeer = l.spawn('wan', [node, peer, 'serve', 'wan', '9000']);
        await l.waitFor('servers', async () => ((await probe(l, 'h2', '198.51.100.2', 80)).startsWith('h1') && wanPeer.stdout().includes('listening 9000') ? true : undefined));

        // 2. Through the box, groups reach each other only where a rule allows.
        await expectProbe(l, 'h1', '198.51.100.66', 5432, /^h3 198\.51\.100\.2 /, 'web -> db:5432 is allowed');
        await expectProbe(l, 'h1', '198.51.100.66', 22, /^blocked/, 'web -> db:22 is not');
        await expectProbe(l, 'h3', '198.51.100.2', 80, /^blocked/, 'db -> web:80 is not (yet)');
        // The box told h1 nothing about going to h3 directly: its route still goes through the box.
        assert.match((await l.exec('h1', ['ip', 'route', 'get', '198.51.100.66'])).stdout, /via 198\.51\.100\.1 /, 'no redirect taken');
        const added = await l.exec('gw', [STOCKADE_BIN, 'segment', 'rule', 'add', 'flat', 'web', '--from', 'db', '--protocol', 'tcp', '--ports', '80', '--socket', socket], { check: false });
        assert.is(added.code, 0, added.stdout + added.stderr);
        await expectProbe(l, 'h3', '198.51.100.2', 80, /^h1 198\.51\.100\.66 /, 'db -> web:80 after the rule');
        await expectProbe(l, 'h3', '198.51.100.2', 22, /^blocked/, 'db -> web:22 still not');

        // 3. Out through the box only from a host's own address (and MAC).
        await expectProbe(l, 'h3', '203.0.113.10', 9000, /^wan 198\.51\.100\.66 /, 'h3 out from its own address');
        await l.exec('h3', ['ip', 'addr', 'add', '198.51.100.70/26', 'dev', 'eth0']);
        await expectProbe(l, 'h3', '203.0.113.10', 9000, /^blocked/, 'h3 out from an address that is not its own', '198.51.100.70');
      });
    } finally {
      daemon?.kill();
      await daemon?.exited;
      killUdhcpds(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
