// The appliance's start-up order in two lab namespaces: `stockade boot` (fail-closed base
// firewall with the system rules) and then `stockade daemon` on each box, in the HA shape of
// test/fixtures/config/ha-node-a.json: VRRP on the LAN (multicast), conntrack sync on a dedicated
// link. Exactly one box is MASTER and the backup's external cache fills with the master's
// connections, and the daemon has applied the config's full firewall over boot's. Before the
// system rules (issue 12) the base firewall dropped the adverts and both boxes became MASTER.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { labAvailable, withLab, type Lab, type Topology } from '../harness.ts';
import { STOCKADE_BIN, instanceOf, waitState, type DaemonNode } from '../helpers/stockade-daemon.ts';

const test = suite('firewall: stockade boot, then stockade daemon, on both boxes of a pair');
const avail = labAvailable({ tools: ['iptables', 'conntrack', 'unshare'] });

const VIP = '192.0.2.100';
const topo: Topology = {
  hosts: ['a', 'b', 'c', 'sw'],
  links: [['a:eth0', 'sw:pa'], ['b:eth0', 'sw:pb'], ['c:eth0', 'sw:pc'], ['a:eth1', 'b:eth1']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['pa', 'pb', 'pc'] }],
  addresses: {
    'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'], 'c:eth0': ['192.0.2.10/24'],
    'a:eth1': ['198.51.100.1/30'], 'b:eth1': ['198.51.100.2/30'],
  },
};

interface Box { host: string; lan: string; sync: string; peer: string; priority: number }
const A: Box = { host: 'a', lan: '192.0.2.1', sync: '198.51.100.1', peer: '198.51.100.2', priority: 150 };
const B: Box = { host: 'b', lan: '192.0.2.2', sync: '198.51.100.2', peer: '198.51.100.1', priority: 100 };

function boxConfig(x: Box): unknown {
  return {
    version: 1,
    system: { hostname: `fw-${x.host}` },
    interfaces: { ports: [{ name: 'eth0', description: 'lan' }, { name: 'eth1', description: 'dedicated sync link' }] },
    addresses: [{ interface: 'eth0', static: [`${x.lan}/24`] }, { interface: 'eth1', static: [`${x.sync}/30`] }],
    firewall: {
      policy: { input: 'drop', forward: 'drop', output: 'accept' },
      rules: [{ chain: 'forward', action: 'accept', in_interface: 'eth0', out_interface: 'eth0' }],
    },
    vrrp: {
      instances: [{ name: 'vi1', interface: 'eth0', vrid: 51, priority: x.priority, advert_interval_ms: 100, vips: [`${VIP}/24`] }],
      sync_groups: [{ name: 'fw', instances: ['vi1'] }],
    },
    sync: { mode: 'ftfw', interface: 'eth1', transport: 'udp', peer: x.peer, vrrp_group: 'fw', startup_sync_wait_s: 1 },
  };
}

const BOARD = { name: 'lab-board', arch: 'x64', debian_arch: 'amd64', kernel_package: 'linux-image-amd64', modules: [], console: { device: 'ttyS0', baud: 115200 }, ports: [], partitions: { esp_mb: 32, root_mb: 192, data_mb: 64 } };

function files(dir: string, x: Box): { config: string; board: string; cmdline: string } {
  const f = { config: join(dir, `${x.host}.json`), board: join(dir, 'board.json'), cmdline: join(dir, 'cmdline') };
  writeFileSync(f.config, JSON.stringify(boxConfig(x), null, 2));
  writeFileSync(f.board, JSON.stringify(BOARD));
  writeFileSync(f.cmdline, 'console=ttyS0,115200 stockade.slot=A\n');
  return f;
}

/** `stockade boot` as init runs it, in the host's namespace (own UTS namespace: it sets the hostname). */
async function boot(lab: Lab, dir: string, x: Box): Promise<string> {
  const f = files(dir, x);
  const r = await lab.exec(x.host, ['unshare', '--uts', STOCKADE_BIN, 'boot', '--board', f.board, '--config', f.config, '--default-config', f.config, '--cmdline', f.cmdline, '--skip', 'mounts,modules'], { check: false });
  assert.is(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

function daemon(lab: Lab, dir: string, x: Box): DaemonNode {
  const socket = join(dir, `${x.host}.sock`);
  const proc = lab.spawn(x.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', join(dir, `${x.host}.json`), '--default-config', 'none', '--socket', socket]);
  return { proc, socket, host: x.host };
}

if (!avail.ok) {
  console.log(`SKIP lab/firewall/boot-pair: ${avail.reason}`);
} else {
  test('boot then daemon on both: exactly one MASTER with the VIP, and the backup receives the master\'s connections', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-fw-pair-'));
      const daemons: DaemonNode[] = [];
      try {
        const outA = await boot(lab, dir, A);
        await boot(lab, dir, B);
        // The summary wraps long values at 80 columns.
        assert.match(outA.replace(/\n {13}/g, ' '), /^  firewall {3}fail-closed; open: nothing in \(no management interface: console only\); VRRP on eth0; sync on eth1$/m);
        // Fail-closed: the boxes drop what the config does not ask for.
        const saved = (await lab.exec('a', ['iptables-save', '-t', 'filter'])).stdout;
        assert.match(saved, /^:INPUT DROP \[\d+:\d+\]$/m);
        assert.match(saved, /^-A STOCKADE-INPUT -d 224\.0\.0\.18\/32 -i eth0 -p (112|vrrp) -m comment --comment "\/vrrp\/instances\/0" -j ACCEPT$/m);
        assert.is((await lab.exec('c', ['ping', '-c', '1', '-W', '1', A.lan], { check: false })).code, 1, 'the client cannot ping the box (no management interface)');

        // Both daemons at once: neither may take the other's silence for a dead peer.
        const a = daemon(lab, dir, A);
        daemons.push(a);
        const b = daemon(lab, dir, B);
        daemons.push(b);
        await waitState(lab, a, 'MASTER', 15_000);
        await waitState(lab, b, 'BACKUP', 15_000);
        // Stays that way over many advert intervals (100 ms each).
        for (let i = 0; i < 10; i++) {
          await new Promise((r) => setTimeout(r, 200));
          const [ia, ib] = [await instanceOf(lab, a), await instanceOf(lab, b)];
          assert.equal([ia?.state, ib?.state], ['MASTER', 'BACKUP'], `sample ${i}`);
          assert.is(ib?.masterAddress, A.lan, 'b hears a\'s adverts');
        }
        // The daemon took over boot's ruleset and added the config's own rules.
        const full = (await lab.exec('a', ['iptables-save', '-t', 'filter'])).stdout;
        assert.match(full, /^-A STOCKADE-FWD-0 -i eth0 -o eth0 -m comment --comment "\/firewall\/rules\/0" -j ACCEPT$/m);
        const fw = JSON.parse((await lab.exec('a', [STOCKADE_BIN, 'ctl', 'firewall', '--json', '--socket', a.socket])).stdout) as { managed: boolean; error: string | null; drift: unknown[] };
        assert.equal([fw.managed, fw.error, fw.drift], [true, null, []]);
        const addrs = async (h: string): Promise<string> => (await lab.exec(h, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
        assert.match(await addrs('a'), new RegExp(` ${VIP.replace(/\./g, '\\.')}/24`));
        assert.not.match(await addrs('b'), new RegExp(` ${VIP.replace(/\./g, '\\.')}/24`));

        // Conntrack sync over the dedicated link: a connection on a reaches b's external cache.
        await lab.exec('a', ['conntrack', '-I', '-p', 'tcp', '-s', '192.0.2.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED']);
        await lab.waitFor('the connection in b\'s external cache', async () => {
          const r = await lab.exec('b', [STOCKADE_BIN, 'ctl', 'sync', '-e', '--socket', b.socket], { check: false, timeoutMs: 5000 });
          return /src=192\.0\.2\.10 dst=203\.0\.113\.20 sport=40000 dport=80/.test(r.stdout) || undefined;
        }, { timeoutMs: 15_000, intervalMs: 200 });
      } finally {
        for (const d of daemons) d.proc.kill('SIGTERM');
        await Promise.all(daemons.map((d) => d.proc.exited));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test.run();
