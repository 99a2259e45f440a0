// The daemon's sync wiring without a kernel: driver options from a config, cache entries as
// conntrack -L lines, and `stockade ctl sync` against an in-process control socket (human and
// --json, bad flags, no daemon).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../../src/config/load.ts';
import { ControlServer } from '../../../src/daemon/control.ts';
import { serveSync } from '../../../src/daemon/sync.ts';
import { ownAddresses, syncDriverOptions } from '../../../src/ctsync/index.ts';
import { entryView, formatEntry, formatSyncStatus, type SyncStatusView } from '../../../src/control/index.ts';
import { main } from '../../../src/cli/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'stk-sync-'));
const capture = () => {
  const io = { stdout: '', stderr: '', out(t: string) { io.stdout += t; }, err(t: string) { io.stderr += t; } };
  return io;
};

function config(sync: Record<string, unknown>) {
  const r = loadConfigText(JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }] },
    addresses: [{ interface: 'eth0', static: ['192.0.2.1/24'] }],
    sync: { interface: 'eth0', ...sync },
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

test('driver options from the config: local from the interface, filters, auth, buffers', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const c = config({
    peer: '192.0.2.2', mode: 'notrack', port: 3781, ignore_addresses: ['203.0.113.0/24'], ignore_protocols: ['udp', 'gre'],
    tcp_states: ['ESTABLISHED'], authentication: { key }, hash_limit: 1000, commit_timeout_s: 60, event_buffer_bytes: 1 << 20, startup_resync: false,
  });
  const o = syncDriverOptions(c, c.sync!);
  assert.equal(
    [o.local, o.peer, o.port, o.mode, o.multicastGroup, o.cacheLimit, o.commitTimeout, o.eventBuffer, o.startupResync, o.replayWindow],
    ['192.0.2.1', '192.0.2.2', 3781, 'notrack', undefined, 1000, 60, 1 << 20, false, 1024],
  );
  assert.equal(o.filter, { ignoreAddresses: ['203.0.113.0/24', '192.0.2.1'], ignoreProtocols: [17, 47], tcpStates: [3] }, 'the own address is added');
  assert.equal(o.authKey, Buffer.alloc(32, 7));
  const m = config({ transport: 'multicast' });
  const mo = syncDriverOptions(m, m.sync!);
  assert.equal([mo.peer, mo.multicastGroup, mo.mode, mo.authKey], ['', '225.0.0.50', 'ftfw', undefined]);
});

test('the own addresses never synced: every static address and every VIP, as hosts', () => {
  const r = loadConfigText(JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }, { name: 'eth1' }] },
    addresses: [{ interface: 'eth0', static: ['192.0.2.1/24', '192.0.2.5/24'] }, { interface: 'eth1', static: ['198.51.100.1/24'] }],
    vrrp: { instances: [{ name: 'lan', interface: 'eth1', vrid: 7, priority: 100, vips: ['198.51.100.254/24', '198.51.100.253'] }] },
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  assert.equal(ownAddresses(r.config), ['192.0.2.1', '192.0.2.5', '198.51.100.1', '198.51.100.254', '198.51.100.253']);
});

test('external_cache, stats_only and the failover settings: defaults and driver options', () => {
  const d = config({ peer: '192.0.2.2' });
  assert.equal([d.sync!.external_cache, d.sync!.stats_only, d.sync!.startup_sync_wait_s, d.sync!.master_commit_timeout_ms, d.sync!.purge_timeout_s], [true, false, 30, 5000, 60]);
  const c = config({ peer: '192.0.2.2', external_cache: false, stats_only: true });
  const o = syncDriverOptions(c, c.sync!);
  assert.equal([o.externalCache, o.statsOnly], [false, true]);
});

test('sync -s text: statistics-only header, injected entries, the failover line', () => {
  const base: SyncStatusView = { running: true, mode: 'ftfw', transport: 'udp', interface: 'eth2', local: '203.0.113.2', peer: '203.0.113.1', port: 3780 };
  assert.match(formatSyncStatus({ ...base, mode: 'stats' }), /^sync: statistics only \(conntrackd -S\): nothing replicated\n/);
  const text = formatSyncStatus({
    ...base,
    kernel: { overruns: 0, resyncs: 0, ownEvents: 0, bufferGrowths: 0, eventBuffer: 1, injected: 7, injectFailed: 1 },
    failover: {
      vrrpGroup: 'g', startup: 'synced', masterCommits: 1, commitTimeouts: 0, commitErrors: 0, resyncRequests: 2, purgesScheduled: 1, purges: 0,
      lastCommit: { committed: 20, failed: 0, errors: [], ms: 3, timedOut: false },
    },
  });
  assert.match(text, /^external cache off: 7 peer entries written to the kernel, 1 refused$/m);
  assert.match(text, /^failover \(vrrp g\): start-up preempt hold synced; master commits 1, timed out 0, failed 0 \(last: 20 committed, 0 refused in 3 ms\); resync requests 2; purges 0\/1 scheduled$/m);
});

test('entries as conntrack -L lines: NAT reply tuple, ICMP, unreplied, zone', () => {
  const snat = entryView({ src: '198.51.100.30', dst: '203.0.113.30', proto: 6, sport: 40001, dport: 443, status: 0x19e, tcpState: 3, timeout: 3600, mark: 0, snat: '203.0.113.1', spat: 61000 }, 3599.7, 12.2);
  assert.is(formatEntry(snat), 'tcp      6 3599 ESTABLISHED src=198.51.100.30 dst=203.0.113.30 sport=40001 dport=443 src=203.0.113.30 dst=203.0.113.1 sport=443 dport=61000 [ASSURED] mark=0 [active since 12s]');
  const icmp = entryView({ src: '198.51.100.12', dst: '203.0.113.22', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 4660, status: 0x08, timeout: 30, zone: 5 }, 29, 1);
  assert.is(formatEntry(icmp), 'icmp     1 29 src=198.51.100.12 dst=203.0.113.22 type=8 code=0 id=4660 [UNREPLIED] src=203.0.113.22 dst=198.51.100.12 type=0 code=0 id=4660 mark=0 zone=5 [active since 1s]');
});

test('ctl sync: flags, human and --json answers, sync not running, no daemon', async () => {
  const path = join(dir, 's.sock');
  const server = await ControlServer.listen(path);
  serveSync(server, () => ({ service: undefined, reason: 'not configured' }));
  try {
    const run = async (...args: string[]) => { const io = capture(); const code = await main(['ctl', 'sync', ...args, '--socket', path], io); return { code, ...io }; };
    const s = await run('-s');
    assert.equal([s.code, s.stdout], [0, 'sync: not running (not configured)\n']);
    const j = await run('-s', '--json');
    assert.equal(JSON.parse(j.stdout), { running: false, reason: 'not configured' });
    const e = await run('-e');
    assert.equal([e.code, e.stderr], [1, 'stockade: sync is not running (not configured)\n']);
    for (const bad of [[], ['-x'], ['-s', '-e'], ['--socket']]) {
      const io = capture();
      assert.is(await main(['ctl', 'sync', ...bad], io), 2, bad.join(' '));
      assert.match(io.stderr, /\nusage: stockade ctl sync ACTION/);
    }
  } finally {
    await server.close();
  }
  const io = capture();
  assert.is(await main(['ctl', 'sync', '-s', '--socket', join(dir, 'none.sock')], io), 1);
  assert.is(io.stderr, `stockade: the daemon is not running (no ${join(dir, 'none.sock')})\n`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
