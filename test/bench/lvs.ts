// LVS in the appliance VM (Debian's kernel has IPVS): 1,000 virtual services x 10 real servers,
// made by the whole `stockade lvs apply FILE --json` command and by the whole
// `ipvsadm-restore < RULES` command (which flushes, then adds the same services and servers), both
// from an empty table, started the same way (`sh -c` under busybox `time`, one clock), in
// alternating order, --runs rounds (at least 7). After each side the table (`ipvsadm -S -n`) must
// be the same as after the first apply. Then the no-change re-apply: a whole command too, which
// must write nothing. Both files are put on /data before boot (no console transfer). Then the
// checker load (c), test/bench/lvs-check.ts (its own VM); the last line carries both parts.
//   npm run bench -- lvs [--runs N] [--services N] [--check-ports N (lvs-check's --ports)]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ensureImages } from '../image/images.ts';
import { startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, services: { type: 'string', default: '1000' }, 'check-ports': { type: 'string', default: '100' } } });
const runs = runsOption(values.runs, MIN_RUNS);
const SERVICES = Number(values.services);
const REALS = 10;
const VIP = '192.0.2.1';

function inputs(): { config: string; rules: string } {
  const services: unknown[] = [];
  const rules: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const port = 1000 + i;
    const reals = Array.from({ length: REALS }, (_, r) => ({ address: `198.51.100.${10 + r}`, port: 8080, weight: 1 + (r % 3) }));
    services.push({ name: `s${i}`, address: VIP, port, scheduler: 'wlc', health_check: { type: 'none' }, real_servers: reals });
    rules.push(`-A -t ${VIP}:${port} -s wlc`);
    for (const r of reals) rules.push(`-a -t ${VIP}:${port} -r ${r.address}:8080 -m -w ${r.weight}`);
  }
  const config = {
    version: 1,
    interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }, { name: 'sync' }, { name: 'mgmt' }] },
    addresses: [{ interface: 'lan', static: [`${VIP}/24`] }, { interface: 'wan', static: ['198.51.100.1/24'] }],
    lvs: { virtual_services: services },
  };
  return { config: JSON.stringify(config), rules: rules.join('\n') + '\n' };
}

async function timed(vm: Vm, command: string): Promise<number> {
  // The command's own exit status, not cat's (a failed apply once passed for a fast one here).
  const r = await vm.run(`time sh -c '${command}' 2>/tmp/time.txt; rc=$?; cat /tmp/time.txt; (exit $rc)`, 600_000);
  const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(r.output);
  if (r.code !== 0 || !m) {
    const err = await vm.run('cat /tmp/apply.err 2>/dev/null', 60_000);
    throw new Error(`\`${command}\` failed (exit ${r.code}):\n${r.output}\n${err.output.trim().slice(-800)}`);
  }
  return (Number(m[1]) * 60 + Number(m[2])) * 1000;
}

await ensureImages(['x86_64-generic']);
console.log(`host load (1 min, 5, 15) at the start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const { config, rules } = inputs();
let benchLine = 'BENCH lvs apply_ratio=NA noop_ms=NA';
const vms = await startVms({ vms: { a: { board: 'x86_64-generic', memoryMb: 1024, data: { 'lvs.json': config, 'lvs.rules': rules } } } });
try {
  const vm = vms.vm('a');
  await vm.waitFor(/stockade: boot complete/, 1_200_000);
  await vm.login(300_000);
  const sh = async (c: string): Promise<string> => {
    const r = await vm.run(c, 600_000);
    if (r.code !== 0) throw new Error(`${c}: exit ${r.code}: ${r.output}`);
    return r.output;
  };
  await sh('modprobe ip_vs && modprobe ip_vs_wlc && ipvsadm -C');
  let reference: string | undefined;
  // After every run of either side: the whole table, or the bench stops here saying how not.
  const check = async (what: string): Promise<void> => {
    const sum = (await sh('ipvsadm -S -n | md5sum')).trim();
    const count = Number((await sh('ipvsadm -S -n | wc -l')).trim());
    const wrong = count !== SERVICES * (REALS + 1) ? `${count} lines in ipvsadm -S -n, not ${SERVICES * (REALS + 1)}`
      : reference !== undefined && sum !== reference ? 'ipvsadm -S -n differs from the first run\'s' : undefined;
    reference ??= sum;
    if (wrong !== undefined) {
      console.log(`STATES DIFFER: ${what}: ${wrong}`);
      throw new Error(`${what}: ${wrong}; the command's stderr: ${(await sh('cat /tmp/apply.err 2>/dev/null; true')).trim().slice(-600)}`);
    }
  };
  const noop: number[] = [];
  let noopWrites = 0;
  const r = await alternate(runs, {
    stockade: async (round) => {
      await sh('ipvsadm -C');
      const ms = await timed(vm, 'stockade lvs apply /data/lvs.json --json >/tmp/apply.out 2>/tmp/apply.err');
      await check(`stockade, round ${round + 1}`);
      noop.push(await timed(vm, 'stockade lvs apply /data/lvs.json --json >/tmp/noop.out 2>&1'));
      const out = await sh('cat /tmp/noop.out');
      noopWrites = Math.max(noopWrites, (JSON.parse(out.slice(out.indexOf('{'))) as { writes: number }).writes);
      return ms;
    },
    ipvsadm: async (round) => {
      await sh('ipvsadm -C; : >/tmp/apply.err');
      const ms = await timed(vm, 'ipvsadm-restore < /data/lvs.rules 2>/tmp/apply.err');
      await check(`ipvsadm-restore, round ${round + 1}`);
      return ms;
    },
  }, (side, round, ms) => console.log(`round ${round + 1} ${side}: ${ms.toFixed(0)} ms`));
  console.log(`table: ${SERVICES} services x ${REALS} real servers; ${runs} rounds, alternating order`);
  console.log(`stockade lvs apply (whole command): ${describe(r.stockade, 'ms', 0)}`);
  console.log(`ipvsadm-restore (whole command):    ${describe(r.ipvsadm, 'ms', 0)}`);
  console.log(`no-change re-apply (whole command): ${describe(noop, 'ms', 0)}; ${noopWrites} writes at most`);
  const same = noopWrites === 0;
  if (!same) {
    console.log(`STATES DIFFER: the no-change apply wrote ${noopWrites} times`);
    process.exitCode = 1;
  } else {
    console.log('state: ipvsadm -S -n the same after every apply of both sides');
  }
  const s = median(r.stockade);
  const b = median(r.ipvsadm);
  benchLine = `BENCH lvs runs=${runs} services=${SERVICES} reals=${REALS} stockade_ms=${s.toFixed(0)} ipvsadm_restore_ms=${b.toFixed(0)} apply_ratio=${ratio(s, b)} noop_ms=${median(noop).toFixed(0)} same_state=${same ? 'yes' : 'no'}`;
} finally {
  await vms.destroy();
}

// (c) the checker load (test/bench/lvs-check.ts: its own VM with keepalived brought in, its
// figures printed as they come); its ratio and detection times join this line.
const check = spawnSync(process.execPath, [join(import.meta.dirname, 'lvs-check.ts'), '--runs', String(runs), '--ports', values['check-ports']], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 << 20 });
process.stdout.write(check.stdout);
const checkLine = check.stdout.trim().split('\n').findLast((l) => l.startsWith('BENCH lvs-check ')) ?? '';
const field = (k: string): string => new RegExp(`(?:^| )${k}=(\\S+)`).exec(checkLine)?.[1] ?? 'NA';
if (check.status !== 0) process.exitCode = 1;
console.log(`${benchLine} check_cpu_ratio=${field('check_cpu_ratio')} detect_ms=${field('detect_ms')} detect_keepalived_ms=${field('detect_keepalived_ms')} react_ms=${field('react_ms')} react_keepalived_ms=${field('react_keepalived_ms')} check_same_state=${field('same_state')} host_load=${loadavg()[0]!.toFixed(1)}`);
