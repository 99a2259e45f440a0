// Conntrack sync in a live config apply (issue 13), two daemons with only a `sync` section: a
// change config plan calls "in place" (the filter) keeps B's caches and the running sync part; a
// port change on both restarts each sync part, and B, having lost its caches, asks A for its
// table again and holds A's connection once more.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireLab } from '../require.ts';
import type { Lab } from '../harness.ts';
import { STOCKADE_BIN, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { syncStatus } from '../ctsync/peers.ts';

const test = suite('daemon: live config apply of conntrack sync (lab)');
const A = '192.0.2.1';
const B = '192.0.2.2';
const TCP = ['-p', 'tcp', '-s', '198.51.100.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];
const ENTRY = /src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80/;

const configText = (local: string, peer: string, sync: Record<string, unknown> = {}): string => JSON.stringify({
  version: 1,
  interfaces: { ports: [{ name: 'eth0' }] },
  addresses: [{ interface: 'eth0', static: [`${local}/24`] }],
  sync: { interface: 'eth0', peer, ...sync },
  management: { commit_confirm_s: 0 },
}, null, 2);

function start(lab: Lab, dir: string, host: string, text: string): DaemonNode {
  const config = join(dir, `${host}.json`);
  const socket = join(dir, `${host}.sock`);
  writeFileSync(config, text);
  const proc = lab.spawn(host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { host, socket, proc };
}

async function apply(lab: Lab, d: DaemonNode, dir: string, text: string): Promise<string> {
  const file = join(dir, `${d.host}-next.json`);
  writeFileSync(file, text);
  const r = await lab.exec(d.host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'config', 'apply', file, '--socket', d.socket], { check: false });
  assert.is(r.code, 0, `${r.stdout}${r.stderr}`);
  return r.stdout;
}

const external = async (lab: Lab, d: DaemonNode): Promise<string> =>
  (await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'sync', '-e', '--socket', d.socket], { check: false, timeoutMs: 10_000 })).stdout;

if (requireLab(test, 'lab/daemon/apply-sync', { tools: ['conntrack'] })) {
  test('a filter change keeps the caches and the running sync; a port change restarts it and the peer\'s table comes back', async () => {
    await withDaemonLab({ hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } }, 'stk-apply-sync-', async (lab, dir) => {
      const a = start(lab, dir, 'a', configText(A, B));
      const b = start(lab, dir, 'b', configText(B, A));
      for (const d of [a, b]) await lab.waitFor(`${d.host}: sync running`, async () => (await syncStatus(lab, d))?.running === true || undefined, { timeoutMs: 15_000, intervalMs: 100 });
      await lab.exec('a', ['conntrack', '-I', ...TCP]);
      await lab.waitFor('the entry in B\'s external cache', async () => ENTRY.test(await external(lab, b)) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      const up = (await syncStatus(lab, b))!.uptimeMs!;

      const plan = await apply(lab, b, dir, configText(B, A, { ignore_addresses: ['203.0.113.99'] }));
      assert.match(plan, /sync:\n {2}~ sync: in place/);
      const kept = (await syncStatus(lab, b))!;
      const keptAt = Date.now();
      assert.ok(kept.uptimeMs! > up, 'the same sync part runs on');
      assert.is(kept.external?.active, 1, 'B\'s external cache kept');
      assert.match(await external(lab, b), ENTRY);
      assert.not.match(b.proc.stdout(), /sync: restarted/);

      await apply(lab, a, dir, configText(A, B, { port: 3790 }));
      const restarted = await apply(lab, b, dir, configText(B, A, { port: 3790, ignore_addresses: ['203.0.113.99'] }));
      assert.match(restarted, /! sync: restarts\n {6}port changed: its caches are dropped and fetched again from the peer/);
      assert.match(b.proc.stdout(), /sync: restarted for a config apply \(ftfw over udp, 192\.0\.2\.2 -> 192\.0\.2\.1 port 3790\)/);
      const s = (await syncStatus(lab, b))!;
      assert.is(s.port, 3790);
      assert.ok(s.uptimeMs! < kept.uptimeMs! + (Date.now() - keptAt), 'a new sync part (its uptime started again)');
      await lab.waitFor('A\'s entry back in B\'s new external cache', async () => ENTRY.test(await external(lab, b)) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
    });
  });
}

test.run();
