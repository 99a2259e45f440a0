// Conntrack sync in `stockade daemon` (the built executable): two daemons with only a `sync`
// section, a connection made on A's kernel lands in B's external cache (`ctl sync -e`), the
// counters show it (`ctl sync -s`), `ctl sync -c` on B writes it into B's kernel, -f / -n / -R /
// -B do what conntrackd's do, a sync that cannot start leaves VRRP running, and `ctl sync`
// without a daemon says which socket it tried.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { STOCKADE_BIN, nodeConfig, waitState } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { startSyncDaemon, syncStatus } from './peers.ts';
import { requireLab } from '../require.ts';

const test = suite('ctsync: two stockade daemons (lab)');
const ready = requireLab(test, 'lab/ctsync/daemon', { tools: ['conntrack'] });
const A = '192.0.2.1';
const B = '192.0.2.2';
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };
const TCP = ['-p', 'tcp', '-s', '198.51.100.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '-m', '7'];
const LINE = /^tcp {6}6 \d+ ESTABLISHED src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80 src=203\.0\.113\.20 dst=198\.51\.100\.10 sport=80 dport=40000 \[ASSURED\] mark=7 \[active since \d+s\]$/m;

type Daemon = DaemonNode;

const ctl = (lab: Lab, d: Daemon, args: string[]) => lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'sync', ...args, '--socket', d.socket], { check: false, timeoutMs: 10_000 });

const status = syncStatus;

const waitRunning = (lab: Lab, d: Daemon) => lab.waitFor(`${d.host}: sync running`, async () => (await status(lab, d))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
const waitCache = (lab: Lab, d: Daemon, flag: '-i' | '-e', re: RegExp) => lab.waitFor(`${d.host} ctl sync ${flag} matching ${re}`, async () => {
  const r = await ctl(lab, d, [flag]);
  return r.code === 0 && re.test(r.stdout) ? r.stdout : undefined;
}, { timeoutMs: 10_000, intervalMs: 100 });

if (ready) {
  test('A\'s connection reaches B\'s external cache; -s counts it; -c on B puts it into B\'s kernel; -f, -n, -R, -B; SIGTERM exits 0', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-daemon-'));
      const daemons: Daemon[] = [];
      try {
        const a = startSyncDaemon(lab, dir, 'a', A, B);
        daemons.push(a);
        const b = startSyncDaemon(lab, dir, 'b', B, A);
        daemons.push(b);
        await waitRunning(lab, a);
        await waitRunning(lab, b);

        await lab.exec('a', ['conntrack', '-I', ...TCP]);
        const ext = await waitCache(lab, b, '-e', LINE);
        assert.is(ext.trim().split('\n').length, 1);
        assert.match(await waitCache(lab, a, '-i', LINE), LINE);

        const sa = (await status(lab, a))!;
        const sb = (await status(lab, b))!;
        assert.is(sa.internal?.active, 1);
        assert.ok((sa.events?.['new'] ?? 0) >= 1);
        assert.ok((sa.protocol?.['messagesSent'] ?? 0) >= 1);
        assert.is(sb.external?.active, 1);
        assert.ok((sb.protocol?.['applied'] ?? 0) >= 1);
        assert.equal([sb.mode, sb.transport, sb.local, sb.peer, sb.port], ['ftfw', 'udp', B, A, 3780]);
        const text = (await ctl(lab, b, ['-s'])).stdout;
        assert.match(text, /^cache external:\ncurrent active connections: +1$/m);
        assert.match(text, /^cache internal:$/m);

        // Commit: B's kernel had nothing, then has the entry.
        const before = await lab.exec('b', ['conntrack', '-L'], { check: false });
        assert.not.match(before.stdout, /198\.51\.100\.10/);
        const c = await ctl(lab, b, ['-c']);
        assert.is(c.code, 0, c.stderr);
        assert.match(c.stdout, /^committed 1 entries to the kernel in \d+ ms$/m);
        const after = await lab.exec('b', ['conntrack', '-L']);
        assert.match(after.stdout, /tcp +6 \d+ ESTABLISHED src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80 .*mark=7/);
        assert.is((await status(lab, b))!.lastCommit?.committed, 1);

        // -f external on B empties it; -n asks A, whose bulk send fills it again.
        assert.match((await ctl(lab, b, ['-f', 'external'])).stdout, /flushed external \(1 entries\)/);
        assert.is((await ctl(lab, b, ['-e'])).stdout, '');
        assert.is((await ctl(lab, b, ['-n'])).code, 0);
        await waitCache(lab, b, '-e', LINE);
        assert.ok(((await status(lab, a))!.resyncRequests ?? 0) >= 1);
        // -R on A re-reads its kernel; -B sends its table again.
        assert.match((await ctl(lab, a, ['-R'])).stdout, /resynced from the kernel: 1 entries/);
        assert.match((await ctl(lab, a, ['-B'])).stdout, /bulk send: 1 entries queued/);

        a.proc.kill('SIGTERM');
        assert.is(await a.proc.exited, 0);
        assert.match(a.proc.stdout(), /info: sync: ftfw over udp, 192\.0\.2\.1 -> 192\.0\.2\.2 port 3780/);
      } finally {
        for (const d of daemons) d.proc.kill('SIGKILL');
        await Promise.all(daemons.map((d) => d.proc.exited));
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('sync that cannot start (its address is not on the box) is logged; VRRP runs on', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-daemon-'));
      let d: Daemon | undefined;
      try {
        const config = join(dir, 'a.json');
        const socket = join(dir, 'a.sock');
        // The config gives eth1 198.51.100.1, which the daemon does not apply: the sync socket cannot bind.
        const base = nodeConfig({ host: 'a', address: A, priority: 200, ports: { eth1: '198.51.100.1/24' } }) as Record<string, unknown>;
        writeFileSync(config, JSON.stringify({ ...base, sync: { interface: 'eth1', peer: '198.51.100.2', vrrp_group: 'vi1' } }));
        const proc = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
        d = { host: 'a', socket, proc };
        await waitState(lab, d, 'MASTER');
        const s = (await status(lab, d))!;
        assert.is(s.running, false);
        assert.match(s.reason ?? '', /^failed to start: /);
        assert.match(proc.stdout(), /error: sync: failed to start: /);
        const e = await ctl(lab, d, ['-e']);
        assert.is(e.code, 1);
        assert.match(e.stderr, /^stockade: sync is not running \(failed to start: /);
      } finally {
        d?.proc.kill('SIGKILL');
        await d?.proc.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  test('ctl sync: a missing socket is one clear line (exit 1); bad flags print the usage (exit 2)', async () => {
    await withLab({ hosts: ['a'], links: [] }, async (lab) => {
      const missing = join(tmpdir(), `stk-no-daemon-${process.pid}.sock`);
      const r = await lab.exec('a', [STOCKADE_BIN, 'ctl', 'sync', '-s', '--socket', missing], { check: false });
      assert.is(r.code, 1);
      assert.is(r.stderr, `stockade: the daemon is not running (no ${missing})\n`);
      const bad = await lab.exec('a', [STOCKADE_BIN, 'ctl', 'sync', '-x'], { check: false });
      assert.is(bad.code, 2);
      assert.match(bad.stderr, /unexpected argument '-x'\nusage: stockade ctl sync/);
    });
  });
}

test.run();
