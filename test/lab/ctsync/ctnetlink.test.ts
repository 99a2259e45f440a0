// The ctnetlink codec against the live kernel in a lab namespace, with the conntrack tool as the
// oracle: our dump decodes what `conntrack -L` lists, our batched creates / updates / deletes show
// up there, and events arrive for real flows.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { parseLines, runHelper, spawnHelper, waitLine } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const test = suite('ctnetlink (lab)');
const ready = requireLab(test, 'lab/ctsync/ctnetlink', { tools: ['conntrack', 'iptables'] });
const topo: Topology = {
  hosts: ['a', 'b'],
  links: [['a:eth0', 'b:eth0']],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'] },
};

interface Listed { proto: string; src: string; dst: string; sport?: string; dport?: string; mark?: string; timeout?: number; line: string }

/** `conntrack -L` lines, original-direction fields. */
async function conntrackList(lab: Lab, host: string): Promise<Listed[]> {
  const r = await lab.exec(host, ['conntrack', '-L'], { check: false });
  return r.stdout.split('\n').filter((l) => /^(tcp|udp|icmp)\s/.test(l)).map((line) => {
    const f = (k: string): string | undefined => new RegExp(`\\b${k}=(\\S+)`).exec(line)?.[1];
    const proto = line.split(/\s+/)[0]!;
    const timeout = Number(line.split(/\s+/)[2]);
    const out: Listed = { proto, src: f('src')!, dst: f('dst')!, line, timeout };
    const sport = f('sport'); const dport = f('dport'); const mark = f('mark');
    if (sport !== undefined) out.sport = sport;
    if (dport !== undefined) out.dport = dport;
    if (mark !== undefined) out.mark = mark;
    return out;
  });
}

const ctI = (lab: Lab, args: string[]) => lab.exec('a', ['conntrack', '-I', ...args]);
const tmp = mkdtempSync(join(tmpdir(), 'stockade-ctnl-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
/** Runs a batch in host a; the items go through a file (too big for argv). */
async function batch(lab: Lab, items: unknown[]): Promise<Record<string, unknown>> {
  const f = join(tmp, `batch-${++files}.json`);
  writeFileSync(f, JSON.stringify(items));
  const [r] = await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['batch', f], 60_000);
  return r!;
}

if (ready) {
  test('dump: every entry conntrack -L lists decodes, with the same tuple, mark and timeout', async () => {
    await withLab(topo, async (lab) => {
      await ctI(lab, ['-p', 'tcp', '-s', '192.0.2.10', '-d', '198.51.100.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '-m', '7']);
      await ctI(lab, ['-p', 'udp', '-s', '192.0.2.11', '-d', '198.51.100.21', '--sport', '5353', '--dport', '53', '-t', '100']);
      await ctI(lab, ['-p', 'icmp', '-s', '192.0.2.12', '-d', '198.51.100.22', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '4660', '-t', '30']);
      await ctI(lab, ['-p', 'tcp', '-s', '192.0.2.30', '-d', '198.51.100.30', '--sport', '40001', '--dport', '443', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '--src-nat', '203.0.113.1:61000']);
      const lines = await runHelper(lab, 'a', 'ctnetlink-tool.ts', ['dump']);
      const listed = await conntrackList(lab, 'a');
      const stats = lines.at(-1)!['stats'] as { entries: number; malformed: number };
      assert.is(stats.entries, listed.length);
      assert.is(stats.malformed, 0);
      for (const l of listed) {
        const hit = lines.find((x) => {
          const o = (x['entry'] as { orig: Record<string, unknown> } | undefined)?.orig;
          return o !== undefined && o['src'] === l.src && o['dst'] === l.dst && (l.sport === undefined || String(o['sport']) === l.sport);
        });
        assert.ok(hit !== undefined, `decoded: ${l.line}`);
        const e = hit!['entry'] as { mark: number; timeout: number; reply: { dst: string; dport?: number } };
        assert.is(String(e.mark), l.mark ?? '0');
        assert.ok(Math.abs(e.timeout - l.timeout!) <= 2, `timeout ${e.timeout} vs ${l.timeout}`);
        if (l.src === '192.0.2.30') assert.equal([e.reply.dst, e.reply.dport], ['203.0.113.1', 61000], 'SNAT in the reply tuple');
      }
    });
  });

  test('batch: 2000 creates in few sends show up in conntrack -L; updates and deletes too; errors per entry', async () => {
    await withLab(topo, async (lab) => {
      const n = 2000;
      const mk = (i: number, mark: number) => ({
        orig: { src: `192.0.2.${10 + (i % 200)}`, dst: '198.51.100.9', proto: i % 2 === 0 ? 6 : 17, sport: 1024 + i, dport: 80 },
        reply: { src: '198.51.100.9', dst: `192.0.2.${10 + (i % 200)}`, proto: i % 2 === 0 ? 6 : 17, sport: 80, dport: 1024 + i },
        status: 0x0e, timeout: 600, mark,
        ...(i % 2 === 0 ? { tcp: { state: 3, flagsOrig: { flags: 8, mask: 8 }, flagsReply: { flags: 8, mask: 8 } } } : {}),
      });
      const creates = Array.from({ length: n }, (_, i) => ({ op: 'create', entry: mk(i, 1) }));
      const r = await batch(lab, creates);
      assert.equal(r['failed'], []);
      assert.is(r['sent'], n);
      assert.ok((r['sends'] as number) < n / 50, `${r['sends']} sends for ${n} entries`);
      let listed = await conntrackList(lab, 'a');
      assert.is(listed.length, n);
      assert.ok(listed.every((l) => l.mark === '1'));
      assert.ok(listed.some((l) => l.line.includes('ESTABLISHED') && l.line.includes('[ASSURED]')));

      // create over existing entries = update (no EXCL): marks change
      const updates = Array.from({ length: 100 }, (_, i) => ({ op: 'create', entry: mk(i, 2) }));
      const u = await batch(lab, updates);
      assert.equal(u['failed'], []);
      listed = await conntrackList(lab, 'a');
      assert.is(listed.filter((l) => l.mark === '2').length, 100);

      // update (no NLM_F_CREATE): changes existing entries, ENOENT for a missing one
      const upd = Array.from({ length: 50 }, (_, i) => ({ op: 'update', entry: mk(200 + i, 3) }));
      upd.push({ op: 'update', entry: mk(n + 7, 3) });
      const u2 = await batch(lab, upd);
      assert.equal((u2['failed'] as Array<{ error: number }>).map((f) => f.error), [-2]);
      listed = await conntrackList(lab, 'a');
      assert.is(listed.filter((l) => l.mark === '3').length, 50);

      const deletes = Array.from({ length: 500 }, (_, i) => ({ op: 'delete', entry: mk(i, 0) }));
      deletes.push({ op: 'delete', entry: mk(n + 5, 0) }); // not there
      const d = await batch(lab, deletes);
      const failed = d['failed'] as Array<{ error: number; entry: { orig: { sport: number } } }>;
      assert.is(failed.length, 1);
      assert.is(failed[0]!.error, -2, 'ENOENT');
      assert.is(failed[0]!.entry.orig.sport, 1024 + n + 5);
      assert.is((await conntrackList(lab, 'a')).length, n - 500);
    });
  });

  test('batch: an SNAT entry is created with its NAT (reply tuple rewritten by the kernel)', async () => {
    await withLab(topo, async (lab) => {
      const e = {
        orig: { src: '192.0.2.30', dst: '198.51.100.30', proto: 6, sport: 40001, dport: 443 },
        reply: { src: '198.51.100.30', dst: '192.0.2.30', proto: 6, sport: 443, dport: 40001 },
        status: 0x19e, timeout: 600, natSrc: { ip: '203.0.113.1', port: 61000 },
        tcp: { state: 3, flagsOrig: { flags: 8, mask: 8 }, flagsReply: { flags: 8, mask: 8 } },
      };
      await lab.exec('a', ['iptables', '-t', 'nat', '-L', '-n']); // loads NAT for this namespace
      const r = await batch(lab, [{ op: 'create', entry: e }]);
      assert.equal(r['failed'], []);
      const [l] = await conntrackList(lab, 'a');
      assert.ok(l !== undefined);
      assert.match(l!.line, /src=198\.51\.100\.30 dst=203\.0\.113\.1 sport=443 dport=61000/);
    });
  });

  test('events: NEW, UPDATE and DESTROY arrive for a real flow (ping through conntrack)', async () => {
    await withLab(topo, async (lab) => {
      // Conntrack runs in a namespace only once a rule needs it.
      await lab.exec('a', ['iptables', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'NEW,ESTABLISHED', '-j', 'ACCEPT']);
      const ev = spawnHelper(lab, 'a', 'ctnetlink-tool.ts', ['events', '3', '10000']);
      await waitLine(lab, ev, 'event listener ready', (l) => l['ready'] === true);
      await lab.exec('b', ['ping', '-c', '2', '-i', '0.2', '192.0.2.1']);
      await lab.exec('a', ['conntrack', '-D', '-p', 'icmp']);
      assert.is(await ev.exited, 0, ev.stderr());
      const events = parseLines(ev.stdout()).filter((l) => l['kind'] !== undefined);
      assert.equal(events.map((e) => e['kind']), ['new', 'update', 'destroy']);
      const orig = (events[0]!['entry'] as { orig: Record<string, unknown> }).orig;
      assert.equal([orig['src'], orig['dst'], orig['proto'], orig['icmpType']], ['192.0.2.2', '192.0.2.1', 1, 8]);
    });
  });
}

test.run();
