// A managed segment served by an HA pair of built daemons in lab namespaces (issue 17: "the
// master killed: addresses, mappings and flows survive on the backup"). a (priority 200) and b
// follow VRRP instance `wan` and sync conntrack over a:eth2 <-> b:eth2. Group web (a bridge in
// sw stands in for its VLAN) holds h1 (public address 203.0.113.65) and h2. Two long-lived flows
// go through a: one from the WAN to h1's public address (DNAT), one from h1 out (SNAT to it).
// a's daemon is killed (-9) and its links cut: b must take the router address and the public
// address (announced, so hosts and the WAN find them), serve DHCP with the same fixed map, and
// carry both flows on. Neither box picks up a connection mid-stream (nf_conntrack_tcp_loose=0):
// without the synced NAT entries, b would answer the flows' next packets with resets.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type Lab, type LabProcess, type Topology } from '../harness.ts';
import { requireLab } from '../require.ts';
import { controlRequest } from '../../../src/control/index.ts';
import type { SegmentsView } from '../../../src/segments/index.ts';
import { STOCKADE_BIN, hasAddress, waitState, type DaemonNode } from '../helpers/stockade-daemon.ts';
import { syncStatus } from '../ctsync/peers.ts';
import { killUdhcpds, UDHCPC_SCRIPT } from './udhcpd.ts';

const node = process.execPath;
const peer = join(import.meta.dirname, 'tcp-peer.ts');
const ready = requireLab(test, 'lab/segments/ha-failover', { tools: ['busybox', 'iptables-restore', 'iptables-save', 'conntrack'] });

const MACS = { h1: '02:00:00:00:0a:01', h2: '02:00:00:00:0a:02' };
const ROUTER = '198.51.100.1';
const PUBLIC = '203.0.113.65';
const OUTSIDE = '203.0.113.10';

const topology: Topology = {
  hosts: ['a', 'b', 'h1', 'h2', 'wan', 'sw'],
  links: [
    ['a:eth0', 'sw:ga'], ['b:eth0', 'sw:gb'], ['h1:eth0', 'sw:p1'], ['h2:eth0', 'sw:p2'],
    ['a:eth1', 'sw:wa'], ['b:eth1', 'sw:wb'], ['wan:eth0', 'sw:ww'],
    ['a:eth2', 'b:eth2'], ['a:trunk', 'sw:ta'], ['b:trunk', 'sw:tb'],
  ],
  bridges: [{ at: 'sw', name: 'web', ports: ['ga', 'gb', 'p1', 'p2'] }, { at: 'sw', name: 'out', ports: ['wa', 'wb', 'ww'] }],
  addresses: {
    'a:eth1': ['203.0.113.2/24'], 'b:eth1': ['203.0.113.3/24'], 'wan:eth0': [`${OUTSIDE}/24`],
    'a:eth2': ['192.0.2.1/24'], 'b:eth2': ['192.0.2.2/24'],
  },
  sysctls: { a: ['net.ipv4.ip_forward=1'], b: ['net.ipv4.ip_forward=1'] },
};

function boxConfig(host: 'a' | 'b'): unknown {
  const n = host === 'a' ? 1 : 2;
  return {
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }, { name: 'eth1' }, { name: 'eth2' }, { name: 'trunk' }] },
    addresses: [{ interface: 'eth1', static: [`203.0.113.${n + 1}/24`] }, { interface: 'eth2', static: [`192.0.2.${n}/24`] }],
    management: { commit_confirm_s: 0 },
    vrrp: { instances: [{ name: 'wan', interface: 'eth1', vrid: 52, priority: host === 'a' ? 200 : 100, version: 3, advert_interval_ms: 100, vips: ['203.0.113.1/24'] }] },
    sync: { interface: 'eth2', peer: `192.0.2.${3 - n}`, vrrp_group: 'wan' },
    segments: [{
      name: 'cloud', mode: 'managed', vrrp: 'wan', interfaces: ['trunk'], subnet: '198.51.100.0/24', addresses_per_group: 64,
      groups: [{
        name: 'web', id: 0, interface: 'eth0',
        hosts: [{ mac: MACS.h1, ip: '198.51.100.2' }, { mac: MACS.h2, ip: '198.51.100.3' }],
        rules: [{ source: '203.0.113.0/24', protocol: 'tcp', ports: 80 }],
      }],
      public: { interface: 'eth1', pool: ['203.0.113.64/28'], assign: [{ address: PUBLIC, host: '198.51.100.2' }] },
    }],
  };
}

interface Box extends DaemonNode { run: string }

async function startBox(l: Lab, dir: string, host: 'a' | 'b'): Promise<Box> {
  const config = join(dir, `${host}.json`);
  writeFileSync(config, JSON.stringify(boxConfig(host), null, 2));
  const run = join(dir, `run-${host}`);
  mkdirSync(run);
  // The firewall first, as `stockade boot` would have put it; then no connection is picked up
  // mid-stream, so only a synced entry can carry a flow across.
  const fw = await l.exec(host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'firewall', 'apply', config], { check: false });
  assert.is(fw.code, 0, fw.stdout + fw.stderr);
  await l.exec(host, ['sysctl', '-w', 'net.netfilter.nf_conntrack_tcp_loose=0']);
  const socket = join(dir, `${host}.sock`);
  const proc = l.spawn(host, ['env', '-u', 'STOCKADE_NATIVE', `STOCKADE_RUN_DIR=${run}`, STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { host, socket, proc, run };
}

const segments = (b: Box) => controlRequest(b.socket, 'segments.status') as Promise<SegmentsView>;
const dhcpPid = async (b: Box): Promise<number | null | undefined> => (await segments(b).catch(() => undefined))?.segments[0]?.dhcp[0]?.pid;
const answers = (p: LabProcess): number => p.stdout().split('\n').filter((x) => / line \d+$/.test(x)).length;

async function lease(l: Lab, host: string, script: string): Promise<string> {
  const r = await l.exec(host, ['busybox', 'udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '1', '-i', 'eth0', '-s', script], { check: false, timeoutMs: 15_000 });
  assert.is(r.code, 0, `${host}: udhcpc: ${r.stdout}${r.stderr}`);
  return (await l.exec(host, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
}

if (ready) {
  test('managed segment on an HA pair: the master killed, router and public addresses, DHCP and both flows go on on the backup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-segments-ha-'));
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, UDHCPC_SCRIPT);
    chmodSync(script, 0o755);
    const boxes: Box[] = [];
    try {
      await withLab(topology, async (l) => {
        for (const [h, mac] of Object.entries(MACS)) await l.exec(h, ['ip', 'link', 'set', 'eth0', 'address', mac]);
        const a = await startBox(l, dir, 'a');
        boxes.push(a);
        await waitState(l, a, 'MASTER', 20_000, 'wan');
        const b = await startBox(l, dir, 'b');
        boxes.push(b);
        await waitState(l, b, 'BACKUP', 20_000, 'wan');
        await l.waitFor("a's DHCP server", async () => ((await dhcpPid(a)) ? true : undefined), { timeoutMs: 10_000 });
        assert.is(await dhcpPid(b), null, 'the backup serves no DHCP');
        assert.not.ok(await hasAddress(l, 'b', ROUTER), 'the backup holds no router address');

        assert.match(await lease(l, 'h1', script), /inet 198\.51\.100\.2\/26 /, 'h1 gets its fixed address from a');
        l.spawn('h1', [node, peer, 'serve', 'h1', '80']);
        l.spawn('wan', [node, peer, 'serve', 'wan', '9000']);
        // In: the WAN to h1's public address. Out: h1 to the WAN, leaving with its public address.
        let inbound: LabProcess | undefined;
        let outbound: LabProcess | undefined;
        await l.waitFor('both flows answering', async () => {
          if (inbound === undefined || inbound.stdout().includes('error')) inbound = l.spawn('wan', [node, peer, 'stream', PUBLIC, '80']);
          if (outbound === undefined || outbound.stdout().includes('error')) outbound = l.spawn('h1', [node, peer, 'stream', OUTSIDE, '9000']);
          return answers(inbound) > 0 && answers(outbound) > 0 ? true : undefined;
        }, { timeoutMs: 15_000, intervalMs: 500 });
        assert.match(inbound!.stdout(), new RegExp(`^h1 ${OUTSIDE} line`, 'm'), 'DNAT to h1');
        assert.match(outbound!.stdout(), new RegExp(`^wan ${PUBLIC.replace(/\./g, '\\.')} line`, 'm'), 'SNAT to its public address');
        await l.waitFor("b's external cache holding both flows", async () => ((await syncStatus(l, b))?.external?.active ?? 0) >= 2 || undefined, { timeoutMs: 15_000, intervalMs: 200 });

        // a dies: its daemon killed, its links cut (its kernel would forward on otherwise).
        a.proc.kill('SIGKILL');
        await a.proc.exited;
        for (const ifname of ['eth0', 'eth1', 'eth2', 'trunk']) await l.exec('a', ['ip', 'link', 'set', ifname, 'down']);
        await waitState(l, b, 'MASTER', 15_000, 'wan');
        await l.waitFor('router and public address on b', async () => ((await hasAddress(l, 'b', ROUTER)) && (await hasAddress(l, 'b', PUBLIC, 'eth1')) ? true : undefined), { timeoutMs: 10_000 });
        const log = b.proc.stdout();
        const commit = log.search(/sync: wan is MASTER: committed \d+ peer entries/);
        const served = log.search(/segments: cloud served here/);
        assert.ok(commit >= 0 && served > commit, `b committed the synced flows before taking the segment's addresses:\n${log}`);

        // Both flows go on through b (TCP retransmits whatever was in flight).
        const [inAt, outAt] = [answers(inbound!), answers(outbound!)];
        await l.waitFor('both flows answering through b', async () => (answers(inbound!) >= inAt + 5 && answers(outbound!) >= outAt + 5 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 })
          .catch((e: Error) => assert.unreachable(`${e.message}\ninbound: ${inbound!.stdout().slice(-300)}\noutbound: ${outbound!.stdout().slice(-300)}\n${(b.proc.stdout()).slice(-3000)}`));
        for (const f of [inbound!, outbound!]) assert.not.match(f.stdout(), /^(error|closed)/m, `no flow was reset or closed: ${f.stdout().slice(-300)}`);
        assert.match(inbound!.stdout().split('\n').filter(Boolean).at(-1)!, new RegExp(`^h1 ${OUTSIDE} line`), 'still DNATed to h1');
        assert.match(outbound!.stdout().split('\n').filter(Boolean).at(-1)!, new RegExp(`^wan ${PUBLIC.replace(/\./g, '\\.')} line`), 'still leaving with its public address');

        // b serves DHCP with the same fixed map: h2 gets its address, h1 renews its own.
        await l.waitFor("b's DHCP server", async () => ((await dhcpPid(b)) ? true : undefined), { timeoutMs: 10_000 });
        assert.match(await lease(l, 'h2', script), /inet 198\.51\.100\.3\/26 /, 'h2 gets its fixed address from b');
        await l.exec('h1', ['ip', 'addr', 'flush', 'dev', 'eth0']);
        assert.match(await lease(l, 'h1', script), /inet 198\.51\.100\.2\/26 /, 'h1 gets the same address from b');
        const ctl = (await l.exec('b', [STOCKADE_BIN, 'ctl', 'segments', '--socket', b.socket])).stdout;
        assert.match(ctl, /public 203\.0\.113\.65 -> 198\.51\.100\.2/, ctl);
      });
    } finally {
      for (const b of boxes) {
        b.proc.kill('SIGKILL');
        await b.proc.exited;
        killUdhcpds(b.run);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
