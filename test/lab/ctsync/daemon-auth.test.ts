// Authenticated sync between two `stockade daemon`s (the built executable): what an attacker on
// the sync link recorded cannot be played back. tcpdump on B records the pair's datagrams while A
// creates and then destroys a connection; B is killed (-9) and restarted, so it remembers no replay
// window; then what A sent before the destroy is played back to B from A's address (A's live
// datagrams held off): the destroyed connection must not come back, B's own datagrams sent back to it count as reflected, and the live pair still syncs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireLab } from '../require.ts';
import { withLab } from '../harness.ts';
import type { Lab, Topology } from '../harness.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import { runHelper } from '../native/addon.ts';
import { PORT, startSyncDaemon, syncStatus } from './peers.ts';

const test = suite('ctsync: authenticated daemons, replay and reflection (lab)');
const A = '192.0.2.1';
const B = '192.0.2.2';
const topo: Topology = { hosts: ['a', 'b'], links: [['a:eth0', 'b:eth0']], addresses: { 'a:eth0': [`${A}/24`], 'b:eth0': [`${B}/24`] } };
const AUTH = { authentication: { key: Buffer.alloc(32, 0x5c).toString('base64') } };
const entry = (src: string) => ['-p', 'tcp', '-s', src, '-d', '203.0.113.20', '--sport', '40000', '--dport', '80', '--state', 'ESTABLISHED', '-t', '3600', '-u', 'SEEN_REPLY,ASSURED'];

const ctlE = async (lab: Lab, d: DaemonNode): Promise<string> =>
  (await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'sync', '-e', '--socket', d.socket], { check: false, timeoutMs: 10_000 })).stdout;
const waitRunning = (lab: Lab, d: DaemonNode) => lab.waitFor(`${d.host}: sync running`, async () => (await syncStatus(lab, d))?.running === true || undefined, { timeoutMs: 20_000, intervalMs: 100 });

/** UDP payloads of a pcap (Ethernet, IPv4), with their source address and capture time (s). */
function pcapDatagrams(file: string): Array<{ src: string; hex: string; t: number }> {
  const p = readFileSync(file);
  const out: Array<{ src: string; hex: string; t: number }> = [];
  for (let off = 24; off + 16 <= p.length;) {
    const t = p.readUInt32LE(off) + p.readUInt32LE(off + 4) / 1e6;
    const incl = p.readUInt32LE(off + 8);
    const ip = p.subarray(off + 16 + 14, off + 16 + incl);
    off += 16 + incl;
    const ihl = (ip[0]! & 15) * 4;
    out.push({ src: [...ip.subarray(12, 16)].join('.'), hex: ip.subarray(ihl + 8).toString('hex'), t });
  }
  return out;
}

if (requireLab(test, 'lab/ctsync/daemon-auth', { tools: ['conntrack', 'tcpdump'] })) {
  test('a restarted receiver applies no recorded datagram; its own datagrams sent back count as reflected; the pair syncs on', async () => {
    await withLab(topo, async (lab) => {
      const dir = mkdtempSync(join(tmpdir(), 'stk-ctsync-auth-'));
      const dir2 = mkdtempSync(join(tmpdir(), 'stk-ctsync-auth2-'));
      const daemons: DaemonNode[] = [];
      try {
        const pcap = join(dir, 'sync.pcap');
        // -Z root: the capture file is in a private 0700 directory of root's. --immediate-mode:
        // without it libpcap hands packets over a ring block at a time, and the ones still in the
        // ring at SIGINT are counted as received but never written (seen: 7 received, 0 captured).
        const td = lab.spawn('b', ['tcpdump', '-Z', 'root', '--immediate-mode', '-i', 'eth0', '-U', '-w', pcap, 'udp', 'port', String(PORT)]);
        await lab.waitFor('tcpdump listening', () => /listening on/.test(td.stderr()) || undefined, { timeoutMs: 30_000, intervalMs: 50 });
        const a = startSyncDaemon(lab, dir, 'a', A, B, AUTH);
        daemons.push(a);
        let b = startSyncDaemon(lab, dir, 'b', B, A, AUTH);
        daemons.push(b);
        await waitRunning(lab, a);
        await waitRunning(lab, b);
        const bNow = b;
        await lab.exec('a', ['conntrack', '-I', ...entry('198.51.100.10')]);
        await lab.waitFor('the entry on B', async () => (await ctlE(lab, bNow)).includes('src=198.51.100.10') || undefined, { timeoutMs: 15_000, intervalMs: 200 });
        const beforeDestroy = Date.now() / 1000;
        await lab.exec('a', ['conntrack', '-D', '-s', '198.51.100.10']);
        await lab.waitFor('its destroy on B', async () => !(await ctlE(lab, bNow)).includes('src=198.51.100.10') || undefined, { timeoutMs: 15_000, intervalMs: 200 });
        td.kill('SIGINT');
        await td.exited;
        const recorded = pcapDatagrams(pcap);
        // What A sent up to the destroy: played back, it would bring the connection back.
        const fromA = recorded.filter((d) => d.src === A && d.t < beforeDestroy).map((d) => d.hex);
        const fromB = recorded.filter((d) => d.src === B).map((d) => d.hex);
        assert.ok(fromA.length >= 2 && fromB.length >= 1, `recorded ${fromA.length} from A, ${fromB.length} from B; tcpdump: ${td.stderr().trim()}`);

        // B dies and comes back with no memory. A's live datagrams are held off (the daemon sends
        // from the sync port), so the playback is the first thing the new B hears.
        b.proc.kill('SIGKILL');
        await b.proc.exited;
        const block = ['INPUT', '-p', 'udp', '-s', A, '--sport', String(PORT), '-j', 'DROP'];
        await lab.exec('b', ['iptables', '-A', ...block]);
        b = startSyncDaemon(lab, dir2, 'b', B, A, AUTH);
        daemons.push(b);
        const b2 = b;
        await waitRunning(lab, b2);

        // The recording, played back to B from A's address (another source port, as conntrackd's).
        await runHelper(lab, 'a', 'ctsync-udp.ts', ['send', A, String(PORT + 1), `${B}:${PORT}`, ...fromA], 30_000);
        await runHelper(lab, 'a', 'ctsync-udp.ts', ['send', A, String(PORT + 1), `${B}:${PORT}`, ...fromB], 30_000);
        const st = await lab.waitFor('the playback counted, or applied', async () => {
          const s = await syncStatus(lab, b2);
          const d = s?.authDrops ?? {};
          const counted = (d['auth-stale'] ?? 0) + (d['auth-replayed'] ?? 0) >= fromA.length && (d['auth-reflected'] ?? 0) >= fromB.length;
          return counted || (s?.external?.active ?? 0) > 0 || (s?.protocol?.['datagramsReceived'] ?? 0) > 0 ? s : undefined;
        }, { timeoutMs: 15_000, intervalMs: 200 });
        assert.not.match(await ctlE(lab, b2), /src=198\.51\.100\.10 /, 'the destroyed connection did not come back');
        assert.is(st.external?.active, 0);
        assert.is(st.protocol?.['datagramsReceived'], 0, 'nothing recorded reached the protocol');
        assert.is(st.authDrops?.['auth-reflected'], fromB.length, 'B\'s own datagrams, sent back to it');

        // The live pair recovers by itself once A is heard again.
        await lab.exec('b', ['iptables', '-D', ...block]);
        await lab.exec('a', ['conntrack', '-I', ...entry('198.51.100.11')]);
        await lab.waitFor('a new entry on the restarted B', async () => (await ctlE(lab, b2)).includes('src=198.51.100.11') || undefined, { timeoutMs: 15_000, intervalMs: 200 });
        assert.not.match(await ctlE(lab, b2), /src=198\.51\.100\.10 /);

        // and the live pair is unharmed
        await lab.exec('a', ['conntrack', '-I', ...entry('198.51.100.12')]);
        await lab.waitFor('one more entry on B', async () => (await ctlE(lab, b2)).includes('src=198.51.100.12') || undefined, { timeoutMs: 15_000, intervalMs: 200 });
      } finally {
        for (const d of daemons) d.proc.kill('SIGKILL');
        await Promise.all(daemons.map((d) => d.proc.exited));
        rmSync(dir, { recursive: true, force: true });
        rmSync(dir2, { recursive: true, force: true });
      }
    });
  });
}

test.run();
