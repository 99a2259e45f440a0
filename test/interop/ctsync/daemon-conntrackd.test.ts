// The shipped `stockade daemon` (the built executable, addon next to it) opposite conntrackd 1.4.7
// (Debian's), FTFW over UDP with 20 % loss on the sync link in both directions (iptables
// statistic in both namespaces). IPv4 and IPv6 entries made on each side reach the other; FTFW
// converges (no NACKs once the link is clean and idle, nothing dropped as unusable); then
// conntrackd's commit (-c) and ours (ctl sync -c) leave the two kernels with the same table.
// A flood of garbage is counted by reason and logged once per interval.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireLab } from '../../lab/require.ts';
import { withLab } from '../../lab/harness.ts';
import type { Lab, Topology } from '../../lab/harness.ts';
import { STOCKADE_BIN } from '../../lab/helpers/stockade-daemon.ts';
import { runHelper } from '../../lab/native/addon.ts';
import type { DaemonNode } from '../../lab/helpers/stockade-daemon.ts';
import { ctdCache, loadEntries, PORT, startConntrackd, startSyncDaemon, syncStatus } from '../../lab/ctsync/peers.ts';
import type { Conntrackd } from '../../lab/ctsync/peers.ts';

const test = suite('ctsync: stockade daemon <-> conntrackd (lab)');
const A = '192.0.2.1';
const B = '192.0.2.2';
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };
const EST = ['--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];
const BULK = 300;

/** Entries made with conntrack -I on a host: IPv4 and IPv6, NAT and ICMP among them. */
function named(side: 'a' | 'b'): string[][] {
  const n = side === 'a' ? 1 : 2;
  return [
    ['-p', 'tcp', '-s', `198.51.100.${10 + n}`, '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', ...EST, '-m', '7'],
    ['-p', 'tcp', '-s', `198.51.100.${30 + n}`, '-d', '203.0.113.30', '--sport', '40001', '--dport', '443', ...EST, '--src-nat', `203.0.113.${n}:61000`],
    ['-p', 'icmp', '-s', `198.51.100.${50 + n}`, '-d', '203.0.113.22', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '4660', '-t', '300'],
    ['-p', 'tcp', '-s', `2001:db8::${n}`, '-d', '2001:db8:1::20', '--sport', '40000', '--dport', '80', ...EST, '-m', '9'],
    ['-p', 'udp', '-s', `2001:db8::${n}`, '-d', '2001:db8:1::32', '--sport', '1000', '--dport', '2000', '-t', '600'],
    ['-p', 'icmpv6', '-s', `2001:db8::${n}`, '-d', '2001:db8:1::22', '--icmpv6-type', '128', '--icmpv6-code', '0', '--icmpv6-id', '4660', '-t', '300'],
  ];
}
const PER_SIDE = BULK + named('a').length;

/** The kernel table, one line per entry, without what legitimately differs (timeouts, use, ids). */
async function table(lab: Lab, host: string): Promise<string[]> {
  const lines: string[] = [];
  for (const f of ['ipv4', 'ipv6']) {
    const r = await lab.exec(host, ['conntrack', '-L', '-f', f], { check: false });
    for (const l of r.stdout.split('\n')) {
      if (!/^(tcp|udp|icmp|icmpv6)\s/.test(l)) continue;
      lines.push(l.replace(/^(\S+\s+\d+)\s+\d+\s/, '$1 ').replace(/\s+use=\d+/, '').replace(/\s+/g, ' ').trim());
    }
  }
  return lines.sort();
}

const lossRule = (lab: Lab, host: string, op: '-A' | '-D') => lab.exec(host, ['iptables', op, 'INPUT', '-p', 'udp', '--dport', String(PORT), '-m', 'statistic', '--mode', 'random', '--probability', '0.2', '-j', 'DROP']);
/** Both sides' protocol state, for a wait that timed out (a stall is explained by it). */
async function stuckState(lab: Lab, d: DaemonNode, ctd: Conntrackd): Promise<string> {
  const out = (r: { stdout: string }) => r.stdout.trim();
  return [
    'stockade ctl sync -s:', out(await ctl(lab, d, ['-s'])),
    'conntrackd -s:', out(await lab.exec('a', ['conntrackd', '-C', ctd.conf, '-s'], { check: false })),
    'conntrackd -s network:', out(await lab.exec('a', ['conntrackd', '-C', ctd.conf, '-s', 'network'], { check: false })),
    'conntrackd -s rsqueue (head):', out(await lab.exec('a', ['conntrackd', '-C', ctd.conf, '-s', 'rsqueue'], { check: false })).split('\n').slice(0, 20).join('\n'),
  ].join('\n');
}

/** A wait that, on timing out, says where both sides' protocols stood. */
async function explained<T>(lab: Lab, d: DaemonNode, ctd: Conntrackd, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${await stuckState(lab, d, ctd)}`, { cause: e });
  }
}

const ctl = (lab: Lab, d: DaemonNode, args: string[]) => lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'sync', ...args, '--socket', d.socket], { check: false, timeoutMs: 20_000 });

if (requireLab(test, 'interop/ctsync/daemon-conntrackd', { tools: ['conntrack', 'conntrackd', 'iptables', 'ip6tables'] })) {
  test('20 % loss both ways: IPv4 and IPv6 entries arrive both ways, FTFW converges, both commits give the same kernel table', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-ctd-'));
      let daemon: DaemonNode | undefined;
      try {
        for (const h of ['a', 'b']) {
          // NAT entries need the nat tables in the namespace (for conntrack -I and for commits).
          await lab.exec(h, ['iptables', '-t', 'nat', '-L', '-n']);
          await lab.exec(h, ['ip6tables', '-t', 'nat', '-L', '-n']);
          await lossRule(lab, h, '-A');
        }
        const ctd = await startConntrackd(lab, 'a', A, B);
        daemon = startSyncDaemon(lab, dir, 'b', B, A);
        const d = daemon;
        await lab.waitFor('daemon sync running', async () => (await syncStatus(lab, d))?.running === true || undefined, { timeoutMs: 20_000, intervalMs: 200 });

        await loadEntries(lab, 'a', BULK, 0);
        await loadEntries(lab, 'b', BULK, 5000);
        for (const side of ['a', 'b'] as const) for (const args of named(side)) await lab.exec(side, ['conntrack', '-I', ...args]);

        // conntrackd's entries (IPv6 among them) in our external cache, ours in conntrackd's.
        const ours = await explained(lab, d, ctd, lab.waitFor(`${PER_SIDE} of conntrackd's entries in the daemon's external cache`, async () => {
          const s = await syncStatus(lab, d);
          return s?.external?.active === PER_SIDE ? s : undefined;
        }, { timeoutMs: 60_000, intervalMs: 500 }));
        await explained(lab, d, ctd, lab.waitFor(`${PER_SIDE} of the daemon's entries in conntrackd's external cache`, async () => {
          const l = await ctdCache(lab, ctd, '-e');
          return l.length === PER_SIDE || undefined;
        }, { timeoutMs: 60_000, intervalMs: 500 }));
        const ext = (await ctdCache(lab, ctd, '-e')).join('\n');
        assert.match(ext, /src=2001:db8::2 dst=2001:db8:1::20 sport=40000 dport=80/);
        assert.match(ext, /src=2001:db8::2 dst=2001:db8:1::22 type=128 code=0 id=4660/);
        const ourExt = (await ctl(lab, d, ['-e'])).stdout;
        assert.match(ourExt, /src=2001:db8::1 dst=2001:db8:1::32 sport=1000 dport=2000/);
        assert.ok((ours.protocol?.['lost'] ?? 0) > 0, `the loss was real: ${JSON.stringify(ours.protocol)}`);
        assert.is(ours.drops?.['unsupported'] ?? 0, 0, 'nothing from conntrackd dropped as unusable');

        // The link heals; idle, nobody asks for anything again (no NACK storm).
        for (const h of ['a', 'b']) await lossRule(lab, h, '-D');
        await new Promise((r) => setTimeout(r, 3000));
        const n0 = (await syncStatus(lab, d))!;
        await new Promise((r) => setTimeout(r, 4000));
        const n1 = (await syncStatus(lab, d))!;
        assert.is((n1.protocol?.['nacksSent'] ?? 0) - (n0.protocol?.['nacksSent'] ?? 0), 0, 'no NACKs while idle');
        assert.is((n1.protocol?.['retransmitted'] ?? 0) - (n0.protocol?.['retransmitted'] ?? 0), 0, 'conntrackd NACKs nothing either');
        assert.is(n1.pending?.entries, 0, 'everything we sent was acknowledged');

        // Commits: conntrackd's on a, ours on b. Each kernel then holds both sides' entries.
        await lab.exec('a', ['conntrackd', '-C', ctd.conf, '-c']);
        const c = await ctl(lab, d, ['-c']);
        assert.is(c.code, 0, c.stderr);
        assert.match(c.stdout, new RegExp(`^committed ${PER_SIDE} entries`, 'm'));
        const ta = await table(lab, 'a');
        const tb = await table(lab, 'b');
        assert.is(ta.length, 2 * PER_SIDE);
        assert.equal(tb, ta, 'the same kernel table on both boxes');

        // Rejects: a flood of garbage from the peer's address is counted by reason in ctl sync and
        // logged as one summary line, not a line per datagram. Every bound is shown.
        const logLines = () => d.proc.stdout().split('\n').filter((l) => l.includes('rejected from the sync link'));
        const before = logLines().length;
        await runHelper(lab, 'a', 'ctsync-udp.ts', ['send', A, String(PORT + 1), `${B}:${PORT}`, ...Array.from({ length: 200 }, () => 'deadbeef')]);
        const st = await lab.waitFor('200 truncated datagrams counted', async () => {
          const x = await syncStatus(lab, d);
          return (x?.drops?.['truncated'] ?? 0) >= 200 ? x : undefined;
        }, { timeoutMs: 10_000, intervalMs: 200 });
        assert.is(st.drops?.['truncated'], 200);
        // The 200 arrive over about 4 s: one summary line, two if they straddle the 10 s interval.
        const truncatedLogged = () => logLines().slice(before).reduce((n, l) => n + Number(/truncated=(\d+)/.exec(l)?.[1] ?? 0), 0);
        await lab.waitFor('the flood in the log', () => truncatedLogged() >= 200 || undefined, { timeoutMs: 30_000, intervalMs: 250 });
        assert.is(truncatedLogged(), 200);
        assert.ok(logLines().length - before <= 2, logLines().slice(before).join('\n'));
        // ctl sync wraps lines past column 79 (a serial console): joined again here.
        const text = (await ctl(lab, d, ['-s'])).stdout.replace(/\n {4}/g, ' ');
        assert.match(text, /^bounds: internal cache \d+\/262144, external cache \d+\/262144, entries awaiting ack 0\/262144, resend queue \d+\/\d+, kernel write queue 0\/65536, send queue 0\/4096, event buffer \(bytes\) \d+\/\d+/m);
        await ctd.stop();
        daemon.proc.kill('SIGTERM');
        assert.is(await daemon.proc.exited, 0);
        daemon = undefined;
      } finally {
        daemon?.proc.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

test.run();
