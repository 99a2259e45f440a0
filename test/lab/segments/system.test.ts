// System segments on the built executable, in lab namespaces: the office is a bridge of two of
// the box's ports, its hosts get their addresses from the office's own DHCP server (busybox
// udhcpd on a host, not the box) through that bridge; the servers segment allows connections
// from the office only: office -> servers opens (forwarded, not translated), servers -> office
// does not, replies flow; with allow_from gone the office is shut out too. The box runs no DHCP.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type LabProcess } from '../harness.ts';
import { requireLab } from '../require.ts';
import { probe } from './probe.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const node = process.execPath;
const peer = join(import.meta.dirname, 'tcp-peer.ts');
const ready = requireLab(test, 'lab/segments/system', { tools: ['busybox', 'iptables-restore', 'iptables-save'] });

const config = (allowFrom: string[]) => ({
  version: 1,
  interfaces: { ports: [{ name: 'p1' }, { name: 'p2' }, { name: 'dmz' }], bridges: [{ name: 'lan', members: ['p1', 'p2'] }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'dmz', static: ['198.51.100.1/24'] }],
  firewall: { policy: { input: 'accept', forward: 'drop', output: 'accept' } },
  segments: [
    { name: 'office', mode: 'system', interfaces: ['lan'] },
    { name: 'servers', mode: 'system', interfaces: ['dmz'], allow_from: allowFrom },
  ],
});

if (ready) {
  test('system segments: addresses from the office\'s own DHCP through the box\'s bridge; servers open to the office only, and only while allow_from says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-segments-system-'));
    const configFile = join(dir, 'config.json');
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" && ip route replace default via "$router" ;; esac\nexit 0\n');
    chmodSync(script, 0o755);
    const udhcpdConf = join(dir, 'udhcpd.conf');
    writeFileSync(udhcpdConf, [
      'start 192.0.2.100', 'end 192.0.2.150', 'interface eth0', `lease_file ${join(dir, 'leases')}`, `pidfile ${join(dir, 'udhcpd.pid')}`,
      'option subnet 255.255.255.0', 'option router 192.0.2.1', 'option lease 600',
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'leases'), '');
    const spawned: LabProcess[] = [];
    try {
      await withLab({
        hosts: ['gw', 'h1', 'dhcp', 's1'],
        links: [['gw:p1', 'h1:eth0'], ['gw:p2', 'dhcp:eth0'], ['gw:dmz', 's1:eth0']],
        bridges: [{ at: 'gw', name: 'lan', ports: ['p1', 'p2'] }],
        addresses: { 'gw:lan': ['192.0.2.1/24'], 'gw:dmz': ['198.51.100.1/24'], 'dhcp:eth0': ['192.0.2.2/24'], 's1:eth0': ['198.51.100.10/24'] },
        routes: { s1: ['default via 198.51.100.1'] },
        sysctls: { gw: ['net.ipv4.ip_forward=1'] },
      }, async (l) => {
        const apply = async (allowFrom: string[]): Promise<void> => {
          writeFileSync(configFile, JSON.stringify(config(allowFrom), null, 2));
          const fw = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'firewall', 'apply', configFile], { check: false });
          assert.is(fw.code, 0, fw.stdout + fw.stderr);
        };
        await apply(['office']);
        spawned.push(l.spawn('dhcp', ['busybox', 'udhcpd', '-f', udhcpdConf]));

        // The office host's address comes from the office's DHCP server, across the box's bridge.
        const lease = await l.waitFor('a lease from the office DHCP server', async () => {
          const r = await l.exec('h1', ['busybox', 'udhcpc', '-f', '-q', '-n', '-t', '3', '-T', '1', '-i', 'eth0', '-s', script], { check: false, timeoutMs: 15_000 });
          return r.code === 0 ? r : undefined;
        }, { timeoutMs: 30_000 });
        const h1 = /inet (192\.0\.2\.(\d+))\/24 /.exec((await l.exec('h1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout);
        assert.ok(h1 && Number(h1[2]) >= 100 && Number(h1[2]) <= 150, `h1 has no address from 192.0.2.100-150: ${lease.stdout}${lease.stderr}`);
        const h1Address = h1[1]!;
        // The box serves no DHCP on a system segment: nothing listens on the DHCP port there.
        assert.not.match((await l.exec('gw', ['ss', '-uln'])).stdout, /:67\b/);

        spawned.push(l.spawn('s1', [node, peer, 'serve', 's1', '80']), l.spawn('h1', [node, peer, 'serve', 'h1', '80']));
        await l.waitFor('servers', async () => (spawned.slice(1).every((p) => p.stdout().includes('listening 80')) ? true : undefined));

        // Forwarded as it is: s1 sees h1's own address (no translation on the way).
        assert.match(await probe(l, 'h1', '198.51.100.10', 80), new RegExp(`^s1 ${h1Address.replace(/\./g, '\\.')} `), 'office -> servers is allowed');
        assert.match(await probe(l, 's1', h1Address, 80), /^blocked/, 'servers -> office is not');

        await apply([]);
        assert.match(await probe(l, 'h1', '198.51.100.10', 80), /^blocked/, 'office -> servers once allow_from is empty');
        await apply(['office']);
        assert.match(await probe(l, 'h1', '198.51.100.10', 80), /^s1 /, 'office -> servers again');
      });
    } finally {
      for (const p of spawned) p.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
