// LVS on the appliance pair (test/image/pair.ts) with virtual services in its config: the daemons
// init starts program IPVS from /data/config.json over generic netlink, and Debian's ipvsadm in
// the image is the oracle.
//   - `ipvsadm -L -n` lists the config's services, and `stockade ctl lvs` prints the same bytes
//     (then the check-state block), on both boxes;
//   - `stockade lvs apply` again: nothing written;
//   - ipvsadm-restore of the equivalent ipvsadm rules (after a flush) gives the same table, and
//     stockade then finds nothing to write;
//   - a scheduler the kernel lacks (twos: not in Debian's 6.1 build): refused, nothing written;
//   - IPVS connection sync follows VRRP: master sync daemon on the MASTER, backup on the BACKUP,
//     on the sync port; when the master's VM is killed the new master's daemon turns master.
import * as assert from 'uvu/assert';
import { LAN_VIP, pairSuite, WAIT_MS, type Node } from './pair.ts';

const services = [
  { name: 'web', address: LAN_VIP, port: 80, scheduler: 'wlc', health_check: { type: 'none' },
    real_servers: [{ address: '198.51.100.10', port: 8080 }, { address: '198.51.100.20', port: 8080, weight: 3, upper_threshold: 100, lower_threshold: 50 }] },
  { name: 'dns', address: LAN_VIP, protocol: 'udp', port: 53, scheduler: 'rr', one_packet: true, health_check: { type: 'none' },
    real_servers: [{ address: '198.51.100.10' }] },
  { name: 'marked', fwmark: 5, scheduler: 'sh', scheduler_flags: ['sh-port'], method: 'dr', health_check: { type: 'none' },
    real_servers: [{ address: '198.51.100.21' }, { address: '198.51.100.22', weight: 2 }] },
  { name: 'diameter', address: LAN_VIP, protocol: 'sctp', port: 3868, scheduler: 'mh', scheduler_flags: ['mh-port'], persistence_s: 30, persistence_netmask: '255.255.0.0',
    method: 'tun', tunnel: { type: 'gre' }, health_check: { type: 'none' }, real_servers: [{ address: '198.51.100.23' }] },
];

/** The same table as ipvsadm rules (what an admin would restore). */
const RULES = `-A -t ${LAN_VIP}:80 -s wlc
-a -t ${LAN_VIP}:80 -r 198.51.100.10:8080 -m -w 1
-a -t ${LAN_VIP}:80 -r 198.51.100.20:8080 -m -w 3 -x 100 -y 50
-A -u ${LAN_VIP}:53 -s rr -o
-a -u ${LAN_VIP}:53 -r 198.51.100.10:53 -m -w 1
-A -f 5 -s sh -b sh-port
-a -f 5 -r 198.51.100.21:0 -g -w 1
-a -f 5 -r 198.51.100.22:0 -g -w 2
-A --sctp-service ${LAN_VIP}:3868 -s mh -b mh-port -p 30 -M 255.255.0.0
-a --sctp-service ${LAN_VIP}:3868 -r 198.51.100.23:3868 -i -w 1 --tun-type gre
`;

const { test, run } = pairSuite('lvs', {
  config: (n, c) => {
    const lvs = { virtual_services: services, sync: { interface: 'sync' } };
    const bad = { virtual_services: services.map((s) => (s.name === 'web' ? { ...s, scheduler: 'twos' } : s)) };
    badConfig[n] = JSON.stringify({ ...c, lvs: bad }, null, 2);
    return { ...c, lvs };
  },
  data: (n) => ({ 'lvs-twos.json': badConfig[n] ?? '', 'ipvs-rules': RULES }),
});
const badConfig: Partial<Record<Node, string>> = {};

/** stockade ctl lvs up to the check-state block: the ipvsadm part. */
function tablePart(ctl: string): string {
  const at = ctl.indexOf('\nReal servers');
  return at < 0 ? ctl : ctl.slice(0, at);
}

test('the daemons program the config\'s services; ctl lvs prints exactly what ipvsadm -L -n does', async (pair) => {
  await pair.ready();
  const seen = await pair.waitRoles('a');
  assert.is(seen.a.lan, 'MASTER', JSON.stringify(seen));
  for (const n of ['a', 'b'] as const) {
    const ipvsadm = await pair.sh(n, 'ipvsadm -L -n');
    // ipvsadm's dest line: "  -> %-28s %-7s %-6d %-10u %-10u".
    const dest = (ep: string, fwd: string, w: number): string => `  -> ${ep.padEnd(28)} ${fwd.padEnd(7)} ${String(w).padEnd(6)} ${'0'.padEnd(10)} ${'0'.padEnd(10)}`;
    for (const line of [
      `TCP  ${LAN_VIP}:80 wlc`,
      dest('198.51.100.20:8080', 'Masq', 3),
      `UDP  ${LAN_VIP}:53 rr ops`,
      `SCTP ${LAN_VIP}:3868 mh (mh-port) persistent 30 mask 255.255.0.0`,
      dest('198.51.100.23:3868', 'Tunnel', 1),
      'FWM  5 sh (sh-port)',
      dest('198.51.100.22:0', 'Route', 2),
    ]) assert.ok(ipvsadm.split('\n').includes(line), `${n}: ipvsadm -L -n lacks '${line}':\n${ipvsadm}`);
    const ctl = await pair.sh(n, 'stockade ctl lvs');
    assert.is(tablePart(ctl), ipvsadm, `${n}: ctl lvs differs from ipvsadm -L -n`);
    assert.match(ctl, /Real servers \(state weight reason\):\n  web 198\.51\.100\.10:8080 +unchecked/);
    assert.is(tablePart(await pair.sh(n, 'stockade ctl lvs --stats')), await pair.sh(n, 'ipvsadm -L -n --stats'));
    assert.is(tablePart(await pair.sh(n, 'stockade ctl lvs --rate')), await pair.sh(n, 'ipvsadm -L -n --rate'));
    const thresholds = await pair.sh(n, 'ipvsadm -L -n --thresholds');
    assert.match(thresholds, /198\.51\.100\.20:8080 +100 +50 /);
  }
});

test('an unchanged apply writes nothing', async (pair) => {
  const out = await pair.sh('a', 'stockade lvs apply /data/config.json --json');
  const r = JSON.parse(out.slice(out.indexOf('{'))) as { writes: number; actions: unknown[] };
  assert.is(r.writes, 0, out);
  assert.equal(r.actions, []);
  assert.match(await pair.sh('a', 'stockade lvs plan /data/config.json'), /no changes: the kernel holds the config's LVS table/);
});

test('ipvsadm-restore of the equivalent rules gives the same table; stockade then writes nothing', async (pair) => {
  const ours = await pair.sh('b', 'ipvsadm -L -n');
  await pair.sh('b', 'ipvsadm-restore < /data/ipvs-rules');
  const restored = await pair.sh('b', 'ipvsadm -L -n');
  assert.is(restored, ours);
  assert.match(await pair.sh('b', 'ipvsadm -L -n --thresholds'), /198\.51\.100\.20:8080 +100 +50 /);
  const out = await pair.sh('b', 'stockade lvs apply /data/config.json --json');
  assert.is((JSON.parse(out.slice(out.indexOf('{'))) as { writes: number }).writes, 0, out);
});

test('a flushed table is put back by lvs apply', async (pair) => {
  const before = await pair.sh('b', 'ipvsadm -L -n');
  await pair.sh('b', 'ipvsadm -C');
  assert.match(await pair.sh('b', 'stockade lvs plan /data/config.json'), /10 changes to write/);
  assert.match(await pair.sh('b', 'stockade lvs apply /data/config.json'), /10 writes to the kernel/);
  assert.is(await pair.sh('b', 'ipvsadm -L -n'), before);
});

test('a scheduler the kernel lacks: refused at apply, nothing written', async (pair) => {
  const before = await pair.sh('a', 'ipvsadm -L -n');
  const r = await pair.run('a', 'stockade lvs apply /data/lvs-twos.json');
  assert.is(r.code, 1, r.output);
  assert.match(r.output, /the kernel has no IPVS scheduler twos .*nothing written \(\/lvs\/virtual_services\/0\/scheduler\)/);
  assert.is(await pair.sh('a', 'ipvsadm -L -n'), before);
});

test('IPVS sync follows VRRP: master daemon on the MASTER, backup on the BACKUP; the survivor turns master', async (pair) => {
  assert.match(await pair.sh('a', 'ipvsadm -L --daemon'), /^master sync daemon \(mcast=sync, syncid=51/m);
  const b = await pair.sh('b', 'ipvsadm -L --daemon');
  assert.match(b, /^backup sync daemon \(mcast=sync, syncid=51/m);
  assert.not.match(b, /^master/m);
  await pair.vm('a').kill();
  await pair.lab.waitFor('b MASTER on lan and wan', async () => {
    const s = await pair.states('b');
    return (s.lan === 'MASTER' && s.wan === 'MASTER') || undefined;
  }, { timeoutMs: WAIT_MS, intervalMs: 1000 });
  await pair.lab.waitFor("b's sync daemon master", async () => /^master sync daemon \(mcast=sync, syncid=51/m.test((await pair.run('b', 'ipvsadm -L --daemon')).output) || undefined, { timeoutMs: WAIT_MS, intervalMs: 1000 });
  assert.not.match(await pair.sh('b', 'ipvsadm -L --daemon'), /^backup/m);
});

run();
