// `stockade daemon` sync variants: external_cache false (conntrackd's DisableExternalCache: A's
// connection is written into B's kernel as it arrives, each later state too, SNATed or not, and
// removed when A's goes) and stats_only
// (conntrackd -S: the internal cache follows the kernel, nothing goes on the wire).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { startSyncDaemon, syncStatus } from './peers.ts';
import { requireLab } from '../require.ts';

const test = suite('ctsync: external cache off, statistics only (lab)');
const ready = requireLab(test, 'lab/ctsync/modes', { tools: ['conntrack'] });
const A = '192.0.2.1';
const B = '192.0.2.2';
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };
const TCP = ['-p', 'tcp', '-s', '198.51.100.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80'];
const CREATE = [...TCP, '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '-m', '7'];

type Daemon = DaemonNode;
const start = startSyncDaemon;
const status = syncStatus;

const waitRunning = (lab: Lab, d: Daemon) => lab.waitFor(`${d.host}: sync running`, async () => (await status(lab, d))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
const kernelHas = async (lab: Lab, host: string) => (await lab.exec(host, ['conntrack', '-L', ...TCP], { check: false })).stdout.includes('sport=40000');

/** A and B started with these sync settings, both running. */
async function startRunning(lab: Lab, dir: string, daemons: Daemon[], aSync: Record<string, unknown>, bSync: Record<string, unknown>): Promise<[Daemon, Daemon]> {
  const a = start(lab, dir, 'a', A, B, aSync);
  const b = start(lab, dir, 'b', B, A, bSync);
  daemons.push(a, b);
  await waitRunning(lab, a);
  await waitRunning(lab, b);
  return [a, b];
}

async function withDir(fn: (dir: string, daemons: Daemon[]) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-modes-'));
  const daemons: Daemon[] = [];
  try {
    await fn(dir, daemons);
  } finally {
    for (const d of daemons) d.proc.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.proc.exited));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (ready) {
  test('external_cache false: A\'s connection goes straight into B\'s kernel, and out again when A\'s ends', async () => {
    await withLab(topo, (lab) => withDir(async (dir, daemons) => {
      const [, b] = await startRunning(lab, dir, daemons, {}, { external_cache: false });
      assert.match(b.proc.stdout(), /no external cache \(peer entries straight to the kernel\)/);
      await lab.exec('a', ['conntrack', '-I', ...CREATE]);
      await lab.waitFor("the entry in B's kernel", async () => (await kernelHas(lab, 'b')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      const line = (await lab.exec('b', ['conntrack', '-L', ...TCP])).stdout;
      assert.match(line, /ESTABLISHED src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80 .*mark=7/);
      const s = (await status(lab, b))!;
      assert.is(s.external?.active, 0, 'nothing cached');
      assert.ok((s.kernel?.injected ?? 0) >= 1);
      assert.is(s.kernel?.injectFailed, 0);
      // Not echoed back to A as B's own connection.
      assert.is((await status(lab, b))!.internal?.active, 0);
      await lab.exec('a', ['conntrack', '-D', ...TCP]);
      await lab.waitFor("the entry gone from B's kernel", async () => !(await kernelHas(lab, 'b')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    }));
  });

  test('external_cache false: a SNATed connection\'s later state reaches B\'s kernel too (the kernel takes NAT only at creation)', async () => {
    await withLab(topo, (lab) => withDir(async (dir, daemons) => {
      const [, b] = await startRunning(lab, dir, daemons, {}, { external_cache: false });
      // A's connection as the kernel makes it at its first packet: SNATed to A's address, SYN_SENT.
      await lab.exec('a', ['conntrack', '-I', ...TCP, '--state', 'SYN_SENT', '-t', '3600', '--src-nat', A]);
      const inB = async (state: string) => new RegExp(`${state} src=198\\.51\\.100\\.10 dst=203\\.0\\.113\\.20 sport=40000 dport=80 (\\[UNREPLIED\\] )?src=203\\.0\\.113\\.20 dst=192\\.0\\.2\\.1 `).test((await lab.exec('b', ['conntrack', '-L', ...TCP], { check: false })).stdout) || undefined;
      await lab.waitFor("the SYN_SENT entry in B's kernel", () => inB('SYN_SENT'), { timeoutMs: 10_000, intervalMs: 100 });
      // Then established: the update carries the NAT, which the kernel refuses on an entry it has.
      await lab.exec('a', ['conntrack', '-U', ...TCP, '--state', 'ESTABLISHED', '-u', 'SEEN_REPLY,ASSURED']);
      await lab.waitFor("the ESTABLISHED entry in B's kernel", () => inB('ESTABLISHED'), { timeoutMs: 10_000, intervalMs: 100 })
        .catch(async (e: Error) => { throw new Error(`${e.message}; B's kernel: ${(await lab.exec('b', ['conntrack', '-L', ...TCP], { check: false })).stdout.trim()}; B's sync: ${JSON.stringify((await status(lab, b))?.kernel)}`); });
      assert.is((await status(lab, b))!.kernel?.injectFailed, 0, 'nothing refused in the end');
    }));
  });

  test('stats_only: the internal cache follows the kernel, -s says statistics only, nothing is sent', async () => {
    await withLab(topo, (lab) => withDir(async (dir, daemons) => {
      const [a, b] = await startRunning(lab, dir, daemons, { stats_only: true }, {});
      await lab.exec('a', ['conntrack', '-I', ...CREATE]);
      await lab.waitFor("A's internal cache holding the entry", async () => ((await status(lab, a))?.internal?.active ?? 0) === 1 || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      const text = (await lab.exec('a', [STOCKADE_BIN, 'ctl', 'sync', '-s', '--socket', a.socket])).stdout;
      assert.match(text, /^sync: statistics only \(conntrackd -S\): nothing replicated$/m);
      assert.match(text, /^cache internal:\ncurrent active connections: +1$/m);
      assert.match((await lab.exec('a', [STOCKADE_BIN, 'ctl', 'sync', '-i', '--socket', a.socket])).stdout, /sport=40000 dport=80/);
      await new Promise((r) => setTimeout(r, 1500)); // past an ALIVE interval
      const s = (await status(lab, a))!;
      assert.equal([s.mode, s.protocol?.['datagramsSent'], s.protocol?.['datagramsReceived']], ['stats', 0, 0]);
      assert.is((await status(lab, b))!.external?.active, 0, 'the peer got nothing');
      assert.match(a.proc.stdout(), /info: sync: statistics only \(nothing replicated\)/);
    }));
  });
}

test.run();
