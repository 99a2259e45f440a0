// Forged sync-link heartbeats against two `stockade daemon`s with authentication (VRRPv2, 1 s
// adverts, heartbeats on eth1): a forger on the sync link, sending from the peer's own address,
// in both the old unsigned format and the signed one with a wrong key.
//   - a killed, forged "MASTER of vi1" keeps coming: b still takes over, quickly (accelerated), and
//     `ctl vrrp` counts the forgeries by reason;
//   - a alive but its adverts dropped on b, forged "no masters" keep coming: b never becomes a
//     second master.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { requireLab } from '../require.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab, Topology } from '../harness.ts';
import { STOCKADE_BIN, VIP, hasAddress, instanceOf, startPair, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';
import { masterDownMs } from '../../../src/vrrp/timers.ts';

const test = suite('vrrp: forged heartbeats change nothing');

const topo: Topology = {
  hosts: ['a', 'b', 'sw'],
  links: [['a:eth0', 'sw:pa'], ['b:eth0', 'sw:pb'], ['a:eth1', 'b:eth1']],
  bridges: [{ at: 'sw', name: 'br0', ports: ['pa', 'pb'] }],
  addresses: { 'a:eth0': ['192.0.2.1/24'], 'b:eth0': ['192.0.2.2/24'], 'a:eth1': ['198.51.100.1/30'], 'b:eth1': ['198.51.100.2/30'] },
};
// The helper gives vi1 authentication (its key signs the heartbeats).
const A: NodeSpec = { host: 'a', address: '192.0.2.1', priority: 200, version: 2, intervalMs: 1000, ports: { eth1: '198.51.100.1/30' }, acceleratedPeer: '198.51.100.2' };
const B: NodeSpec = { host: 'b', address: '192.0.2.2', priority: 100, version: 2, intervalMs: 1000, ports: { eth1: '198.51.100.2/30' }, acceleratedPeer: '198.51.100.1' };
const MASTER_DOWN = masterDownMs(2, 100, 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A forger run with this runtime inside `host`: for `ms`, every 5 ms, from `from` (any port) to
 * b's heartbeat port, heartbeats naming `masters`: version 1 (unsigned, the old format) and
 * version 2 signed with a key that is not the pair's, counters from the clock.
 */
function forger(masters: string[], ms: number): string {
  return `
const dgram = require('node:dgram');
const { createHmac } = require('node:crypto');
const names = ${JSON.stringify(masters)}.map((n) => Buffer.from(n));
const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([n.length]), n])));
const wrong = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const s = dgram.createSocket('udp4');
s.bind(0, '198.51.100.1', () => {
  let seq = 0;
  const t = setInterval(() => {
    const v1 = Buffer.concat([Buffer.from('SKHB'), Buffer.from([1, names.length]), Buffer.alloc(4), list]);
    v1.writeUInt32BE(seq++, 6);
    const head = Buffer.alloc(24);
    head.write('SKHB'); head[4] = 2; head[5] = 1; head[6] = names.length;
    head.writeBigUInt64BE(BigInt(Date.now()) * 1000n + BigInt(seq % 1000), 8);
    const body = Buffer.concat([head, list]);
    const src = Buffer.from([198, 51, 100, 1]);
    const mac = createHmac('sha256', wrong).update('STKHB2').update(src).update(body).digest().subarray(0, 16);
    for (const d of [v1, Buffer.concat([body, mac])]) s.send(d, 3781, '198.51.100.2');
  }, 5);
  setTimeout(() => { clearInterval(t); s.close(); }, ${ms});
});
`;
}

async function withPair(fn: (lab: Lab, a: DaemonNode, b: DaemonNode, script: (masters: string[], ms: number) => string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stk-hb-forger-'));
  try {
    await withDaemonLab(topo, 'stk-vrrp-hbauth-', async (lab, ldir) => {
      const [a, b] = await startPair(lab, ldir, A, B);
      await sleep(1500);
      const script = (masters: string[], ms: number) => {
        const f = join(dir, `forger-${masters.length}.cjs`);
        writeFileSync(f, forger(masters, ms));
        return f;
      };
      try {
        await fn(lab, a, b, script);
      } finally {
        for (const d of [a, b]) d.proc.kill('SIGKILL');
        await Promise.all([a.proc.exited, b.proc.exited]);
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface HeartbeatView { signed: boolean; trusted: boolean; received: number; drops: Record<string, number> }
async function heartbeats(lab: Lab, d: DaemonNode): Promise<HeartbeatView> {
  const r = await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'vrrp', '--json', '--socket', d.socket]);
  return (JSON.parse(r.stdout) as { heartbeats: HeartbeatView }).heartbeats;
}

if (requireLab(test, 'lab/vrrp/daemon-heartbeat-auth', { tools: ['iptables'] })) {
  test('a killed, forged "MASTER of vi1" from its address: b still takes over at once, forgeries counted', async () => {
    await withPair(async (lab, a, b, script) => {
      const forging = lab.spawn('a', [process.execPath, script(['vi1'], 6000)]);
      await sleep(300);
      const t = Date.now();
      a.proc.kill('SIGKILL');
      await waitState(lab, b, 'MASTER', 5000);
      const took = Date.now() - t;
      assert.ok(took < MASTER_DOWN, `took ${took} ms, Master_Down_Interval ${MASTER_DOWN} ms`);
      assert.match(b.proc.stdout(), /vi1: BACKUP -> MASTER \(accelerated/);
      const hb = await heartbeats(lab, b);
      assert.equal([hb.signed, hb.trusted], [true, true]);
      const drops = hb.drops;
      // The old unsigned format is not a version-2 heartbeat (malformed); the wrong key fails the MAC.
      assert.ok((drops['malformed'] ?? 0) > 10 && (drops['mac'] ?? 0) > 10, JSON.stringify(drops));
      // Refusals are logged, but rate-limited: far fewer lines than refusals.
      const lines = b.proc.stdout().split('\n').filter((l) => l.includes('heartbeat from 198.51.100.1 refused')).length;
      assert.ok(lines > 0 && lines < ((drops['malformed'] ?? 0) + (drops['mac'] ?? 0)) / 4, `${lines} log lines`);
      await forging.exited;
    });
  });

  test('a alive, its adverts lost on b, forged "no masters" keep coming: b never becomes a second master', async () => {
    await withPair(async (lab, a, b, script) => {
      await lab.exec('b', ['iptables', '-I', 'INPUT', '-p', '112', '-j', 'DROP']);
      const forging = lab.spawn('a', [process.execPath, script([], MASTER_DOWN + 2000)]);
      await sleep(MASTER_DOWN + 1500);
      assert.is((await instanceOf(lab, b))!.state, 'BACKUP');
      assert.is((await instanceOf(lab, a))!.state, 'MASTER');
      assert.not.ok(await hasAddress(lab, 'b', VIP));
      assert.match(b.proc.stdout(), /takeover-vetoed/);
      await forging.exited;
    });
  });
}

test.run();
