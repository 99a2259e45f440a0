// A managed segment on the built daemon, in lab namespaces (bridges stand in for the groups'
// VLANs): gw is the box (groups web on bridge g10 with h1 and h2, db on g11 with h3; wan
// outside), udhcpd started by the daemon serves each host its fixed address; groups reach each
// other only where a rule allows, a rule added at run time opens exactly that; a public address
// assigned at run time reaches its host from outside and its outbound traffic leaves with it,
// while another host's long-lived flow through its own public address goes on; the metadata
// address is redirected. udhcpd runs detached: killed by its pidfile on every exit path.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type LabProcess } from '../harness.ts';
import { requireLab } from '../require.ts';
import { expectProbe, probe } from './probe.ts';
import { killUdhcpds } from './udhcpd.ts';
import { controlRequest } from '../../../src/control/index.ts';
import type { SegmentsView } from '../../../src/segments/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const node = process.execPath;
const peer = join(import.meta.dirname, 'tcp-peer.ts');
const ready = requireLab(test, 'lab/segments/managed', { tools: ['busybox', 'iptables-restore', 'iptables-save'] });

const MACS = { h1: '02:00:00:00:0a:01', h2: '02:00:00:00:0a:02', h3: '02:00:00:00:0b:01' };

const CONFIG = {
  version: 1,
  interfaces: {
    ports: [{ name: 'wan' }, { name: 'trunk' }, { name: 't1' }, { name: 't2' }, { name: 't3' }],
    bridges: [{ name: 'g10', members: ['t1', 't2'] }, { name: 'g11', members: ['t3'] }],
  },
  addresses: [{ interface: 'wan', static: ['203.0.113.2/24'] }],
  management: { commit_confirm_s: 0 },
  segments: [{
    name: 'cloud', mode: 'managed', interfaces: ['trunk'], subnet: '198.51.100.0/24', addresses_per_group: 64,
    groups: [
      { name: 'web', id: 0, interface: 'g10', hosts: [{ mac: MACS.h1, ip: '198.51.100.2' }, { mac: MACS.h2, ip: '198.51.100.3' }], rules: [{ source: '203.0.113.0/24', protocol: 'tcp', ports: 80 }] },
      { name: 'db', id: 1, interface: 'g11', hosts: [{ mac: MACS.h3, ip: '198.51.100.66' }], rules: [{ group: 'web', protocol: 'tcp', ports: 5432 }] },
    ],
    public: { interface: 'wan', pool: ['203.0.113.64/28'], assign: [{ address: '203.0.113.66', host: '198.51.100.3' }] },
    metadata: { to: '203.0.113.10', port: 8773 },
  }],
};

if (ready) {
  test('managed segment: DHCP fixed addresses, groups isolated until a rule, public IP at run time, long-lived flow kept, metadata redirect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-segments-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(CONFIG, null, 2));
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" && ip route replace default via "$router" ;; esac\nexit 0\n');
    chmodSync(script, 0o755);
    const socket = join(dir, 'ctl.sock');
    let daemon: LabProcess | undefined;
    try {
      await withLab({
        hosts: ['gw', 'h1', 'h2', 'h3', 'wan', 'sw'],
        links: [['gw:t1', 'h1:eth0'], ['gw:t2', 'h2:eth0'], ['gw:t3', 'h3:eth0'], ['gw:wan', 'wan:eth0'], ['gw:trunk', 'sw:eth0']],
        bridges: [{ at: 'gw', name: 'g10', ports: ['t1', 't2'] }, { at: 'gw', name: 'g11', ports: ['t3'] }],
        addresses: { 'gw:wan': ['203.0.113.2/24'], 'wan:eth0': ['203.0.113.10/24'] },
        sysctls: { gw: ['net.ipv4.ip_forward=1'] },
      }, async (l) => {
        for (const [h, mac] of Object.entries(MACS)) await l.exec(h, ['ip', 'link', 'set', 'eth0', 'address', mac]);
        // The box's firewall first (as `stockade boot` would have), so the daemon manages it.
        const fw = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'firewall', 'apply', configFile], { check: false });
        assert.is(fw.code, 0, fw.stdout + fw.stderr);
        daemon = l.spawn('gw', ['env', '-u', 'STOCKADE_NATIVE', `STOCKADE_RUN_DIR=${run}`, bin, 'daemon', '--config', configFile, '--default-config', 'none', '--socket', socket]);
        const status = () => controlRequest(socket, 'segments.status') as Promise<SegmentsView>;
        await l.waitFor('the DHCP servers', async () => {
          const v = await status().catch(() => undefined);
          return v?.segments[0]?.dhcp.every((d) => d.pid !== null) && v.segments[0]!.dhcp.length === 2 ? v : undefined;
        }, { timeoutMs: 15_000 });

        // 1. Each host gets its fixed address by DHCP.
        for (const h of ['h1', 'h2', 'h3']) {
          const r = await l.exec(h, ['busybox', 'udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '1', '-i', 'eth0', '-s', script], { check: false, timeoutMs: 15_000 });
          assert.is(r.code, 0, `${h}: udhcpc: ${r.stdout}${r.stderr}\n${daemon.stderr()}`);
        }
        const addr = async (h: string) => (await l.exec(h, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
        assert.match(await addr('h1'), /inet 198\.51\.100\.2\/26 /);
        assert.match(await addr('h2'), /inet 198\.51\.100\.3\/26 /);
        assert.match(await addr('h3'), /inet 198\.51\.100\.66\/26 /);
        const view = await status();
        assert.match(JSON.stringify(view.segments[0]!.groups[1]!.hosts[0]), /"lease":"leased, \d+ s left"/, JSON.stringify(view));
        const ctl = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'ctl', 'segments', '--socket', socket]);
        assert.match(ctl.stdout, /02:00:00:00:0b:01  198\.51\.100\.66 +leased/);

        for (const h of ['h1', 'h2', 'h3']) l.spawn(h, [node, peer, 'serve', h, '80', '5432', '22']);
        const wanPeer = l.spawn('wan', [node, peer, 'serve', 'wan', '9000', '8773']);
        await l.waitFor('servers', async () => ((await probe(l, 'h1', '198.51.100.2', 80)).startsWith('h1') && wanPeer.stdout().includes('listening 8773') ? true : undefined));

        // 2. Groups are isolated until a rule allows, then only what it allows.
        await expectProbe(l, 'h1', '198.51.100.66', 5432, /^h3 198\.51\.100\.2 /, 'web -> db:5432 is allowed');
        await expectProbe(l, 'h1', '198.51.100.66', 22, /^blocked/, 'web -> db:22 is not');
        await expectProbe(l, 'h3', '198.51.100.2', 80, /^blocked/, 'db -> web:80 is not (yet)');
        const added = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'segment', 'rule', 'add', 'cloud', 'web', '--from', 'db', '--protocol', 'tcp', '--ports', '80', '--socket', socket], { check: false });
        assert.is(added.code, 0, added.stdout + added.stderr);
        await expectProbe(l, 'h3', '198.51.100.2', 80, /^h1 198\.51\.100\.66 /, 'db -> web:80 after the rule');
        await expectProbe(l, 'h3', '198.51.100.2', 22, /^blocked/, 'db -> web:22 still not');

        // 3. A long-lived flow from outside to h2's public address, then a public address for h1.
        const flow = l.spawn('wan', ['sh', '-c', `while :; do echo line; sleep 0.2; done | ${node} -e "const s=require('net').connect(80,'203.0.113.66');process.stdin.pipe(s);s.pipe(process.stdout)"`]);
        await l.waitFor('the long-lived flow', async () => (/h2 203\.0\.113\.10 line/.test(flow.stdout()) ? true : undefined));
        await expectProbe(l, 'wan', '203.0.113.65', 80, /^blocked/, 'no mapping yet');
        const assigned = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'segment', 'ip', 'assign', 'cloud', '203.0.113.65', '198.51.100.2', '--socket', socket], { check: false });
        assert.is(assigned.code, 0, assigned.stdout + assigned.stderr);
        await expectProbe(l, 'wan', '203.0.113.65', 80, /^h1 203\.0\.113\.10 /, 'reaches h1 from the WAN');
        await expectProbe(l, 'h1', '203.0.113.10', 9000, /^wan 203\.0\.113\.65 /, "h1's outbound traffic leaves with its public address");
        const before = flow.stdout().length;
        await l.waitFor('the flow still answers', async () => (flow.stdout().length > before + 40 ? true : undefined));
        assert.is(flow.signal(), null, 'the long-lived flow was not cut');
        // Refused at the command, naming it; nothing applied.
        const taken = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'segment', 'ip', 'assign', 'cloud', '203.0.113.65', '198.51.100.66', '--socket', socket], { check: false });
        assert.is(taken.code, 2);
        assert.match(taken.stderr, /already mapped to 198\.51\.100\.2/);
        // Refused by the check of the whole result (an IP outside its group), naming where; nothing applied.
        const outside = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'segment', 'host', 'add', 'cloud', '02:00:00:00:0a:09', '198.51.100.200', '--group', 'web', '--socket', socket], { check: false });
        assert.is(outside.code, 2, outside.stdout + outside.stderr);
        assert.match(outside.stderr, /\/segments\/0\/groups\/0\/hosts\/2\/ip/);
        assert.not.match(JSON.stringify(await status()), /02:00:00:00:0a:09/);

        // 4. The metadata address is redirected to the configured server.
        // h3 has no public address: it leaves masqueraded behind the box's WAN address.
        await expectProbe(l, 'h3', '169.254.169.254', 80, /^wan 203\.0\.113\.2 /, 'metadata');
        // The view counts what each group's rules let in and what each public address translated.
        const counted = (await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'ctl', 'segments', '--socket', socket])).stdout;
        assert.match(counted, /group web id 0 on g10: 198\.51\.100\.0\/26, 2 rule\(s\), [1-9]\d* packets let in by them/, counted);
        assert.match(counted, /public 203\.0\.113\.65 -> 198\.51\.100\.2 \([1-9]\d* packets translated\)/, counted);
        flow.kill();
      });
    } finally {
      daemon?.kill();
      killUdhcpds(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
