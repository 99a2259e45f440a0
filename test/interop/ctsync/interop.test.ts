// Interop with conntrackd (Debian's) at the wire level, and whole-loop replication: conntrackd's
// datagrams decode with our codec; datagrams our encoder builds land in conntrackd's external
// cache; a Stockade node and conntrackd keep each other's tables in both directions; two
// Stockade nodes replicate, also with 20% loss on the sync link.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeDatagram, encodeData } from '../../../src/ctsync/wire/codec.ts';
import type { SyncEntry, WireMessage } from '../../../src/ctsync/wire/codec.ts';
import { withLab } from '../../lab/harness.ts';
import type { Lab, Topology } from '../../lab/harness.ts';
import { parseLines, runHelper, spawnHelper, waitLine } from '../../lab/native/addon.ts';
import { conntrackLines, ctdCache, loadEntries, PORT, startConntrackd, startNode } from '../../lab/ctsync/peers.ts';
import { requireLab } from '../../lab/require.ts';

const test = suite('ctsync interop (lab)');
const ready = requireLab(test, 'interop/ctsync/interop', { tools: ['conntrack', 'conntrackd', 'iptables'] });
const A = '192.0.2.1';
const B = '192.0.2.2';
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };
const ctI = (lab: Lab, host: string, args: string[]) => lab.exec(host, ['conntrack', '-I', ...args]);

const TCP = ['-p', 'tcp', '-s', '198.51.100.10', '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '-m', '7'];
const SNAT = ['-p', 'tcp', '-s', '198.51.100.30', '-d', '203.0.113.30', '--sport', '40001', '--dport', '443', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED', '--src-nat', '203.0.113.1:61000'];
const ICMP = ['-p', 'icmp', '-s', '198.51.100.12', '-d', '203.0.113.22', '--icmp-type', '8', '--icmp-code', '0', '--icmp-id', '4660', '-t', '30'];

if (ready) {
  test('conntrackd -> our decoder: its datagrams decode to the entries made on its host', async () => {
    await withLab(topo, async (lab) => {
      const listener = spawnHelper(lab, 'b', 'ctsync-udp.ts', ['listen', B, String(PORT)]);
      await waitLine(lab, listener, 'udp listener', (l) => l['ready'] === true);
      const ctd = await startConntrackd(lab, 'a', A, B);
      await ctI(lab, 'a', TCP);
      await ctI(lab, 'a', SNAT);
      await ctI(lab, 'a', ICMP);
      const data = await lab.waitFor('three data messages', () => {
        const msgs: WireMessage[] = parseLines(listener.stdout()).filter((l) => typeof l['hex'] === 'string')
          .flatMap((l) => { const d = decodeDatagram(Buffer.from(l['hex'] as string, 'hex')); assert.equal(d.drops, []); return d.messages; });
        const ds = msgs.filter((m) => m.kind === 'data');
        return ds.length >= 3 ? ds : undefined;
      }, { timeoutMs: 10_000, intervalMs: 50 });
      const by = (src: string) => data.find((m) => m.kind === 'data' && m.entry.src === src) as Extract<WireMessage, { kind: 'data' }>;
      assert.equal([by('198.51.100.10').entry.dport, by('198.51.100.10').entry.mark, by('198.51.100.10').entry.tcpState], [80, 7, 3]);
      assert.equal([by('198.51.100.30').entry.snat, by('198.51.100.30').entry.spat], ['203.0.113.1', 61000]);
      assert.equal([by('198.51.100.12').entry.icmpId, by('198.51.100.12').entry.icmpType], [4660, 8]);
      await ctd.stop();
    });
  });

  test('our encoder -> conntrackd: datagrams we build land in its external cache', async () => {
    await withLab(topo, async (lab) => {
      const ctd = await startConntrackd(lab, 'b', B, A);
      const seq = 1000;
      const entries: SyncEntry[] = [
        { src: '198.51.100.10', dst: '203.0.113.20', proto: 6, sport: 40000, dport: 80, status: 0x0e, tcpState: 3, timeout: 3600, mark: 7 },
        { src: '198.51.100.30', dst: '203.0.113.30', proto: 6, sport: 40001, dport: 443, status: 0x19e, tcpState: 3, timeout: 3600, mark: 0, snat: '203.0.113.1', spat: 61000 },
        { src: '198.51.100.11', dst: '203.0.113.21', proto: 17, sport: 5353, dport: 53, status: 0x08, timeout: 100, mark: 0, zone: 5 },
        { src: '198.51.100.12', dst: '203.0.113.22', proto: 1, icmpType: 8, icmpCode: 0, icmpId: 4660, status: 0x08, timeout: 30, mark: 0 },
      ];
      const hex = entries.map((e, i) => encodeData('new', e, seq + i, 0x20).toString('hex'));
      await runHelper(lab, 'a', 'ctsync-udp.ts', ['send', A, String(PORT), B, ...hex]);
      const ext = await lab.waitFor('conntrackd external cache', async () => {
        const l = await ctdCache(lab, ctd, '-e');
        return l.length >= 4 ? l : undefined;
      }, { timeoutMs: 10_000, intervalMs: 100 });
      const text = ext.join('\n');
      assert.match(text, /tcp\s+6 ESTABLISHED src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80 \[ASSURED\] mark=7/);
      assert.match(text, /src=198\.51\.100\.30 dst=203\.0\.113\.30 sport=40001 dport=443/);
      assert.match(text, /udp\s+17 src=198\.51\.100\.11 dst=203\.0\.113\.21 sport=5353 dport=53 .*zone=5/);
      assert.match(text, /icmp\s+1 src=198\.51\.100\.12 dst=203\.0\.113\.22 type=8 code=0 id=4660/);
      // and conntrackd commits what we sent into its kernel, NAT included
      await lab.exec('b', ['iptables', '-t', 'nat', '-L', '-n']);
      await lab.exec('b', ['conntrackd', '-C', ctd.conf, '-c']);
      const k = (await conntrackLines(lab, 'b')).join('\n');
      assert.match(k, /src=198\.51\.100\.30 dst=203\.0\.113\.30 sport=40001 dport=443 src=203\.0\.113\.30 dst=203\.0\.113\.1 sport=443 dport=61000/);
      await ctd.stop();
    });
  });

  test('Stockade node <-> conntrackd: each keeps the other\'s table, in both directions', async () => {
    await withLab(topo, async (lab) => {
      const ctd = await startConntrackd(lab, 'a', A, B);
      const node = await startNode(lab, 'b', B, A);
      await ctI(lab, 'a', TCP);
      await ctI(lab, 'a', SNAT);
      await ctI(lab, 'a', ICMP);
      const st = await lab.waitFor('conntrackd\'s entries in our external cache', async () => {
        const s = await node.state();
        return s.external.length >= 3 ? s : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      assert.ok(st.external.some((e) => e['src'] === '198.51.100.30' && e['snat'] === '203.0.113.1' && e['spat'] === 61000));
      await lab.exec('b', ['iptables', '-t', 'nat', '-L', '-n']);
      const c = await node.commit();
      assert.equal([c.committed, c.failed], [3, []]);
      const k = (await conntrackLines(lab, 'b')).join('\n');
      assert.match(k, /src=198\.51\.100\.10 dst=203\.0\.113\.20 sport=40000 dport=80 .*mark=7/);
      assert.match(k, /dst=203\.0\.113\.1 sport=443 dport=61000/);
      assert.match(k, /icmp\s+1 \d+ src=198\.51\.100\.12 dst=203\.0\.113\.22 type=8 code=0 id=4660/);

      // the other way: entries made on b reach conntrackd's external cache
      await ctI(lab, 'b', ['-p', 'udp', '-s', '198.51.100.40', '-d', '203.0.113.40', '--sport', '1000', '--dport', '2000', '-t', '100']);
      const ext = await lab.waitFor('our entry in conntrackd\'s external cache', async () => {
        const l = await ctdCache(lab, ctd, '-e');
        return l.some((x) => x.includes('src=198.51.100.40')) ? l : undefined;
      }, { timeoutMs: 10_000, intervalMs: 100 });
      assert.ok(ext.some((x) => /udp\s+17 src=198\.51\.100\.40 dst=203\.0\.113\.40 sport=1000 dport=2000/.test(x)));
      // and a destroy on b removes it there
      await lab.exec('b', ['conntrack', '-D', '-s', '198.51.100.40']);
      await lab.waitFor('destroy replicated', async () => !(await ctdCache(lab, ctd, '-e')).some((x) => x.includes('198.51.100.40')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      await ctd.stop();
    });
  });

  test('Stockade <-> Stockade: 3000 entries replicate and commit; with 20% loss on the sync link they still converge', async () => {
    await withLab(topo, async (lab) => {
      const a = await startNode(lab, 'a', A, B);
      const b = await startNode(lab, 'b', B, A);
      await loadEntries(lab, 'a', 1500);
      await lab.exec('b', ['iptables', '-A', 'INPUT', '-p', 'udp', '--dport', String(PORT), '-m', 'statistic', '--mode', 'random', '--probability', '0.2', '-j', 'DROP']);
      await lab.exec('a', ['iptables', '-A', 'INPUT', '-p', 'udp', '--dport', String(PORT), '-m', 'statistic', '--mode', 'random', '--probability', '0.2', '-j', 'DROP']);
      await loadEntries(lab, 'a', 1500, 1500);
      const st = await lab.waitFor('3000 entries in b\'s external cache', async () => {
        const s = await b.state();
        return s.external.length === 3000 ? s : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      const ftfw = st.stats['ftfw'] as { lost: number; nacksSent: number };
      assert.ok(ftfw.lost > 0 && ftfw.nacksSent > 0, `loss was seen and repaired: ${JSON.stringify(ftfw)}`);
      const c = await b.commit();
      assert.equal([c.committed, c.failed.length], [3000, 0]);
      assert.is((await conntrackLines(lab, 'b')).length, 3000);
      const sa = await a.state();
      assert.is(sa.internal.length, 3000);
    });
  });

  test('NOTRACK: Stockade node <-> conntrackd in NOTRACK mode, both directions', async () => {
    await withLab(topo, async (lab) => {
      const ctd = await startConntrackd(lab, 'a', A, B, '', 'NOTRACK { }');
      const node = await startNode(lab, 'b', B, A, ['mode=notrack']);
      await ctI(lab, 'a', TCP);
      await lab.waitFor('conntrackd NOTRACK entry in our external cache', async () => (await node.state()).external.some((e) => e['src'] === '198.51.100.10') || undefined, { timeoutMs: 10_000, intervalMs: 200 });
      await ctI(lab, 'b', ['-p', 'udp', '-s', '198.51.100.40', '-d', '203.0.113.40', '--sport', '1000', '--dport', '2000', '-t', '100']);
      await lab.waitFor('our NOTRACK entry in conntrackd', async () => (await ctdCache(lab, ctd, '-e')).some((x) => x.includes('src=198.51.100.40')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      await ctd.stop();
    });
  });

  test('ALARM: Stockade node <-> conntrackd in ALARM mode, both directions', async () => {
    await withLab(topo, async (lab) => {
      const ctd = await startConntrackd(lab, 'a', A, B, '', 'ALARM { RefreshTime 5\n    CacheTimeout 15 }');
      const node = await startNode(lab, 'b', B, A, ['mode=alarm']);
      await ctI(lab, 'a', TCP);
      await lab.waitFor('conntrackd ALARM entry in our external cache', async () => (await node.state()).external.some((e) => e['src'] === '198.51.100.10') || undefined, { timeoutMs: 10_000, intervalMs: 200 });
      await ctI(lab, 'b', ['-p', 'udp', '-s', '198.51.100.40', '-d', '203.0.113.40', '--sport', '1000', '--dport', '2000', '-t', '100']);
      await lab.waitFor('our ALARM entry in conntrackd', async () => (await ctdCache(lab, ctd, '-e')).some((x) => x.includes('src=198.51.100.40')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      await ctd.stop();
    });
  });

  test('multicast: Stockade node <-> conntrackd over 225.0.0.50, both directions', async () => {
    await withLab(topo, async (lab) => {
      const ctd = await startConntrackd(lab, 'a', A, 'mcast:225.0.0.50');
      const node = await startNode(lab, 'b', B, A, ['mcast=225.0.0.50']);
      await ctI(lab, 'a', TCP);
      await lab.waitFor('conntrackd multicast entry in our external cache', async () => (await node.state()).external.some((e) => e['src'] === '198.51.100.10') || undefined, { timeoutMs: 10_000, intervalMs: 200 });
      await ctI(lab, 'b', ['-p', 'udp', '-s', '198.51.100.40', '-d', '203.0.113.40', '--sport', '1000', '--dport', '2000', '-t', '100']);
      await lab.waitFor('our multicast entry in conntrackd', async () => (await ctdCache(lab, ctd, '-e')).some((x) => x.includes('src=198.51.100.40')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
      await ctd.stop();
    });
  });

  test('ENOBUFS: a burst overruns a small event buffer; it grows, the table is re-read, and the peer still gets everything', async () => {
    await withLab(topo, async (lab) => {
      const a = await startNode(lab, 'a', A, B, ['eventbuf=8192']);
      const b = await startNode(lab, 'b', B, A);
      await loadEntries(lab, 'a', 3000);
      await lab.waitFor('3000 entries on b despite lost events', async () => ((await b.state()).external.length === 3000) || undefined, { timeoutMs: 30_000, intervalMs: 300 });
      const st = (await a.state()).stats;
      const drv = st['driver'] as { overruns: number; resyncs: number; bufferGrowths: number };
      assert.ok(drv.overruns >= 1 && drv.resyncs >= 1 && drv.bufferGrowths >= 1, JSON.stringify(drv));
      assert.ok((st['eventBuffer'] as number) > 8192);
    });
  });

  test('authenticated Stockade pair: replicates; unauthenticated datagrams from the peer\'s address never reach the cache or the kernel', async () => {
    await withLab(topo, async (lab) => {
      const key = `key=${Buffer.alloc(32, 0x5a).toString('hex')}`;
      const a = await startNode(lab, 'a', A, B, [key]);
      const b = await startNode(lab, 'b', B, A, [key]);
      await loadEntries(lab, 'a', 200);
      await lab.waitFor('200 authenticated entries on b', async () => ((await b.state()).external.length === 200) || undefined, { timeoutMs: 15_000, intervalMs: 200 });
      // A forged conntrackd-format NEW from a's address (another source port), no tag.
      const forged = encodeData('new', { src: '203.0.113.66', dst: '198.51.100.250', proto: 6, sport: 6666, dport: 80, status: 0x0e, tcpState: 3, timeout: 3600 }, 1, 0x20);
      await runHelper(lab, 'a', 'ctsync-udp.ts', ['send', A, String(PORT + 1), `${B}:${PORT}`, forged.toString('hex'), Buffer.concat([forged, Buffer.alloc(40)]).toString('hex')]);
      const st = await lab.waitFor('forgeries counted', async () => {
        const s = await b.state();
        const drops = (s.stats['node'] as { authDrops: Record<string, number> }).authDrops;
        return drops['auth-bad-tag']! >= 2 ? s : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      assert.not.ok(st.external.some((e) => e['src'] === '203.0.113.66'));
      const c = await b.commit();
      assert.is(c.committed, 200);
      assert.not.ok((await conntrackLines(lab, 'b')).some((l) => l.includes('203.0.113.66')));
      void a;
    });
  });
}

test.run();
