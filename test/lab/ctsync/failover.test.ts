// Failover with conntrack sync (issue 6 items 6 and 7): the NAT-gateway pair of gateway.ts (a
// client, a server, two `stockade daemon`s SNATing to a WAN VIP, and a rule that keeps a box
// without a connection's conntrack entry from picking it up mid-stream). The master is killed
// (kill -9) and its links cut: every flow must continue with zero resets, B's commit logged before
// its VIPs. The control case runs the same without sync: every flow must break (the test can
// fail). The comeback case restarts the killed higher-priority box: it must not preempt until the
// peer's bulk sync is in, then takes over, committing first, and the flows survive again. FAULT
// schedules the internal cache purge (purge_timeout_s) and leaves the kernel table alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, LabProcess } from '../harness.ts';
import { parseLines, waitLine } from '../native/addon.ts';
import { waitState } from '../helpers/stockade-daemon.ts';
import {
  PORT, SERVER, WAN_VIP, flowsHelper, gatewayRules, gatewayTopology, kernelFlows, killBox, startGateway,
} from './gateway.ts';
import { syncStatus } from './peers.ts';
import type { FlowSummary } from './gateway.ts';
import { requireLab } from '../require.ts';

const test = suite('ctsync: failover of a NAT gateway pair keeps every TCP connection');
const ready = requireLab(test, 'lab/ctsync/failover', { tools: ['conntrack', 'iptables'] });

const FLOWS = 20;
const lastStatus = (p: LabProcess) => parseLines(p.stdout()).filter((l) => l['event'] === 'status').at(-1) as { progressed: number; errors: number; closed: number } | undefined;

/** A (priority 200) MASTER, B BACKUP, then the server and FLOWS client connections echoing through A. */
async function pairWithFlows(lab: Lab, dir: string, procs: LabProcess[], withSync: boolean) {
  for (const h of ['a', 'b']) await gatewayRules(lab, h);
  const a = startGateway(lab, dir, { host: 'a', priority: 200, sync: withSync });
  procs.push(a.proc);
  await waitState(lab, a, 'MASTER', 15_000, 'lan');
  const b = startGateway(lab, dir, { host: 'b', priority: 100, sync: withSync });
  procs.push(b.proc);
  await waitState(lab, b, 'BACKUP', 15_000, 'lan');
  const server = flowsHelper(lab, 's', ['server', String(PORT)]);
  procs.push(server);
  await waitLine(lab, server, 'server listening', (l) => l['event'] === 'listening');
  const client = flowsHelper(lab, 'c', ['client', SERVER, String(PORT), String(FLOWS)]);
  procs.push(client);
  await waitLine(lab, client, `${FLOWS} flows echoing`, (l) => l['event'] === 'ready', 20_000);
  return { a, b, server, client };
}

async function scenario(withSync: boolean): Promise<void> {
  await withLab(gatewayTopology, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-failover-'));
    const procs: LabProcess[] = [];
    try {
      const { a, b, server, client } = await pairWithFlows(lab, dir, procs, withSync);

      // The flows go through A (its kernel tracks them, SNATed) ...
      assert.is(await kernelFlows(lab, 'a'), FLOWS, 'every flow tracked on the master');
      assert.match((await lab.exec('a', ['conntrack', '-L', '-p', 'tcp', '--dport', String(PORT)])).stdout, new RegExp(`dst=${WAN_VIP.replace(/\./g, '\\.')} sport=${PORT}`));
      assert.is(await kernelFlows(lab, 'b'), 0, 'and not through B');
      if (withSync) {
        // ... and B has them in its external cache.
        await lab.waitFor(`B's external cache holding the ${FLOWS} flows`, async () => ((await syncStatus(lab, b))?.external?.active ?? 0) >= FLOWS || undefined, { timeoutMs: 15_000, intervalMs: 200 });
      }

      await killBox(lab, a);
      await waitState(lab, b, 'MASTER', 15_000, 'lan');
      await waitState(lab, b, 'MASTER', 15_000, 'wan');
      // From here on, any echo has gone through B.
      client.kill('SIGUSR1');
      await waitLine(lab, client, 'mark', (l) => l['event'] === 'mark');

      if (withSync) {
        const log = b.proc.stdout();
        const commit = log.search(/info: sync: (lan|wan) is MASTER: committed \d+ peer entries to the kernel in \d+ ms, before the VIPs/);
        const vips = log.search(/vrrp: (lan|wan): VIPs added/);
        assert.ok(commit >= 0, `B logged its master commit:\n${log}`);
        assert.ok(vips > commit, 'the commit came before the VIPs');
        // The flows and whatever else A tracked (its VRRP adverts to 224.0.0.18, for one).
        assert.ok(Number(/committed (\d+) peer entries/.exec(log)?.[1]) >= FLOWS, log);
        await lab.waitFor('every flow echoing again through B', async () => (lastStatus(client)?.progressed ?? 0) === FLOWS || undefined, { timeoutMs: 30_000, intervalMs: 250 });
        assert.ok(await kernelFlows(lab, 'b') >= FLOWS, "B's kernel has the committed flows");
        const s = (await syncStatus(lab, b))!;
        assert.is(s.failover?.masterCommits, 1);
        assert.ok((s.failover?.lastCommit?.committed ?? 0) >= FLOWS);
        assert.is(s.failover?.lastCommit?.failed, 0);
        assert.is(s.failover?.vrrpGroup, 'g');
        assert.is(s.external?.active, 0, 'external cache flushed after the commit');
        assert.ok((s.internal?.active ?? 0) >= FLOWS, 'internal cache resynced from the kernel');
      } else {
        // Give TCP time to retransmit through B (several RTOs): nothing gets through.
        await new Promise((r) => setTimeout(r, 6000));
        assert.is(lastStatus(client)?.progressed, 0, 'without sync no flow survives');
      }

      server.kill('SIGUSR2');
      const srv = await waitLine(lab, server, 'server summary', (l) => l['summary'] === true);
      client.kill('SIGUSR2');
      const summary = (await waitLine(lab, client, 'client summary', (l) => l['summary'] === true))['flows'] as FlowSummary[];
      assert.is(summary.length, FLOWS);
      if (withSync) {
        assert.equal(summary.filter((f) => f.error !== null || f.closed), [], 'no flow reset or closed');
        assert.equal(srv['errors'], {}, 'no reset on the server side');
        assert.is(srv['connections'], FLOWS);
        assert.ok(summary.every((f) => f.afterMark > 0));
      } else {
        assert.ok(summary.every((f) => f.afterMark === 0));
      }
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * The killed master comes back: preempting is held until B's bulk sync has reached it (the sync
 * link is blocked for a while to make the wait visible), then it takes over, committing first;
 * the flows survive both failovers.
 */
async function comeback(): Promise<void> {
  await withLab(gatewayTopology, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-failover-'));
    const procs: LabProcess[] = [];
    try {
      const { a, b, server, client } = await pairWithFlows(lab, dir, procs, true);
      await lab.waitFor(`B's external cache holding the ${FLOWS} flows`, async () => ((await syncStatus(lab, b))?.external?.active ?? 0) >= FLOWS || undefined, { timeoutMs: 15_000, intervalMs: 200 });
      await killBox(lab, a);
      await waitState(lab, b, 'MASTER', 15_000, 'lan');

      // A comes back with its sync link up but B's sync datagrams dropped, then its other links.
      await lab.exec('a', ['ip', 'link', 'set', 'eth2', 'up']);
      await lab.exec('a', ['iptables', '-w', '-I', 'INPUT', '-i', 'eth2', '-j', 'DROP']);
      const a2 = startGateway(lab, dir, { host: 'a', priority: 200, sync: true });
      procs.push(a2.proc);
      await lab.waitFor('A2 answering', async () => (await syncStatus(lab, a2))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
      for (const ifname of ['eth0', 'eth1']) await lab.exec('a', ['ip', 'link', 'set', ifname, 'up']);
      await waitState(lab, a2, 'BACKUP', 15_000, 'lan');
      // Without the hold it would preempt B (priority 100) within half a second.
      await new Promise((r) => setTimeout(r, 3000));
      // Still BACKUP (had it preempted, B could not take MASTER back): the limit only bounds a slow ctl.
      assert.is((await waitState(lab, a2, 'BACKUP', 15_000, 'lan')).masterAddress, '192.0.2.3', 'A2 waits, B stays master');
      assert.is((await syncStatus(lab, a2))?.failover?.startup, 'held');

      await lab.exec('a', ['iptables', '-w', '-D', 'INPUT', '-i', 'eth2', '-j', 'DROP']);
      await waitState(lab, a2, 'MASTER', 20_000, 'lan');
      await waitState(lab, b, 'BACKUP', 15_000, 'lan');
      const log = a2.proc.stdout();
      const synced = log.search(/info: sync: peer's bulk sync in after \d+ ms \(\d+ entries\); preempting allowed/);
      const master = log.search(/vrrp: (lan|wan): BACKUP -> MASTER/);
      const commit = log.search(/info: sync: (lan|wan) is MASTER: committed \d+ peer entries/);
      const vips = log.search(/vrrp: (lan|wan): VIPs added/);
      assert.ok(synced >= 0 && synced < master && master < commit && commit < vips, log);
      assert.is((await syncStatus(lab, a2))?.failover?.startup, 'synced');
      // A's kernel still holds the flows' entries from before it died (stale windows, its NAT
      // mapping): the commit must replace them, not be refused over them.
      // One commit per instance that becomes MASTER (lan, wan): the first carries the entries,
      // a later one finds the external cache already committed.
      const commits = [...log.matchAll(/is MASTER: committed (\d+) peer entries to the kernel( \(\d+ refused[^)]*\))?/g)];
      const committed = commits.reduce((n, m) => n + Number(m[1]), 0);
      assert.ok(committed >= FLOWS && commits.every((m) => m[2] === undefined), `A2's commits over its stale entries: ${commits.map((m) => m[0]).join('; ')}\n${log.split('\n').filter((l) => /sync|MASTER/.test(l)).join('\n')}`);
      assert.ok(((await syncStatus(lab, b))?.failover?.resyncRequests ?? 0) >= 1, 'B, back to BACKUP, asked A for a resync');

      client.kill('SIGUSR1');
      await waitLine(lab, client, 'mark', (l) => l['event'] === 'mark');
      await lab.waitFor('every flow echoing again through A', async () => (lastStatus(client)?.progressed ?? 0) === FLOWS || undefined, { timeoutMs: 30_000, intervalMs: 250 });
      server.kill('SIGUSR2');
      const srv = await waitLine(lab, server, 'server summary', (l) => l['summary'] === true);
      client.kill('SIGUSR2');
      const summary = (await waitLine(lab, client, 'client summary', (l) => l['summary'] === true))['flows'] as FlowSummary[];
      assert.equal(summary.filter((f) => f.error !== null || f.closed), [], 'no flow reset or closed');
      assert.equal(srv['errors'], {}, `no reset on the server side: ${JSON.stringify(srv)}\nA2:\n${a2.proc.stdout()}\nB:\n${b.proc.stdout()}`);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** FAULT (the master's LAN link down): the internal cache is purged after purge_timeout_s; the kernel keeps its entries. */
async function faultPurge(): Promise<void> {
  await withLab(gatewayTopology, async (lab) => {
    const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-failover-'));
    const procs: LabProcess[] = [];
    try {
      const a = startGateway(lab, dir, { host: 'a', priority: 200, sync: true }, { purge_timeout_s: 1 });
      procs.push(a.proc);
      await waitState(lab, a, 'MASTER', 15_000, 'lan');
      const tcp = ['-p', 'tcp', '-s', '192.0.2.10', '-d', SERVER, '--sport', '40000', '--dport', String(PORT)];
      await lab.exec('a', ['conntrack', '-I', ...tcp, '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED']);
      await lab.waitFor("A's internal cache holding the entry", async () => ((await syncStatus(lab, a))?.internal?.active ?? 0) >= 1 || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      await lab.exec('a', ['ip', 'link', 'set', 'eth0', 'down']);
      await waitState(lab, a, 'FAULT', 15_000, 'lan');
      await lab.waitFor('the purge', async () => (await syncStatus(lab, a))?.failover?.purges === 1 || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      const s = (await syncStatus(lab, a))!;
      assert.is(s.internal?.active, 0);
      assert.is(s.failover?.purgesScheduled, 1);
      assert.match(a.proc.stdout(), /info: sync: g is FAULT: internal cache purge in 1 s[\s\S]*info: sync: internal cache purged \(\d+ entries\)/);
      assert.match((await lab.exec('a', ['conntrack', '-L', ...tcp])).stdout, /sport=40000/, 'the kernel keeps the connection');
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

if (ready) {
  test(`with sync: ${FLOWS} TCP flows through the NAT pair survive kill -9 of the master: commit before the VIPs, zero resets`, () => scenario(true));
  test('control, without sync: the same failover breaks every flow', () => scenario(false));
  test('FAULT: the internal cache is purged after purge_timeout_s, the kernel table is left alone', () => faultPurge());
  test('the killed master comes back: no preempting before the peer\'s bulk sync, then it takes over, committing first; flows survive both ways', () => comeback());
}

test.run();
