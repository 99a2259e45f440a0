// LVS checker load, part (c) of issue 14's benchmark, in the appliance VM (its kernel has IPVS,
// which keepalived's checker needs: on the host, which has none, `keepalived -C` exits at
// "IPVS: Can't initialize ipvs"). 2,000 real servers (10 addresses of 198.51.100.0/24 and 10 of
// 203.0.113.0/24, 100 ports each, listening in one lab host behind the VM's wan port) checked
// every second by TCP connect (timeout 1 s, rise 1, fall 1, no retry, warm-up 1 s), 20 virtual
// services of 100, by
//   - stockade: a second `stockade daemon` (its own control socket) with the box's config plus
//     the lvs section: the product's whole LVS part (IPVS programmed, checks, table updates);
//   - keepalived: Debian's keepalived 2.2.7 checker child (`keepalived -C`) with the equivalent
//     virtual_server blocks (it programs IPVS too). It is not in the image: the host's binary and
//     the libraries ldd names (the VM's own libc) come on a tar on an extra disk, unpacked in /tmp
//     (test/image/host-tool.ts);
// one side at a time, alternating which goes first, --runs rounds (at least 7). Each run:
//   (1) CPU: utime+stime (/proc/PID/stat in the VM) of the checking process over --window seconds
//       (20) after --settle seconds (30) once the table is whole: the daemon; keepalived's checker
//       child (its pid file), not its parent. The settle keeps each side's start-up out of the
//       window: the daemon's first firewall drift check (10 s after its start, the one that runs
//       iptables-save) and V8's memory reducer (a full GC some 20-30 s after the start's garbage)
//       fell into the 10 s window that began 5 s after the table (at 20 servers the daemon's user
//       time was 25-40 ms/s there, keepalived's 4-7); steady checking is the load the issue asks
//       about;
//   (2) detection: one random real server's listener closed at a random phase of the 1 s loop;
//       from the moment it is gone (the server process's wall clock, on the host) to the arrival
//       on the host of the side's line saying so (stockade: "real server A:P down"; keepalived:
//       "TCP connection to [A]:tcp:P failed|timeout", "TCP_CHECK on service [A]:tcp:P failed" or
//       "Removing service [A]:tcp:P"): both sides write to the VM's test shell, read the same way
//       on the same clock;
//       and its reaction: the same line's arrival less that of the server's first SYN after the
//       close (the first check that found it gone, seen by a raw socket in the servers' host):
//       the detection without the random phase, which dominates it (0 to 1 s on both sides);
//   (3) state: the killed server reported down, no other server reported down; the IPVS table
//       holds the 20 services and 1,999 servers after it (ipvsadm -S -n).
//   npm run bench -- lvs-check [--runs N] [--window S] [--settle S] [--ports N (per address; 100)]
//     [--daemon-node-options='FLAGS'] (an experiment: NODE_OPTIONS for stockade's daemon, e.g.
//     V8 flags; the BENCH line then says so)
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labAvailable, Lab } from '../lab/harness.ts';
import type { LabProcess, Topology } from '../lab/harness.ts';
import { sleep } from '../lab/wait.ts';
import { ensureImages } from '../image/images.ts';
import { hostToolTar } from '../image/host-tool.ts';
import { addonPath } from '../lab/native/addon.ts';
import { startVms } from '../image/vm.ts';
import type { Vm } from '../image/vm.ts';
import { MIN_RUNS, alternate, benchFields, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, window: { type: 'string', default: '20' }, settle: { type: 'string', default: '30' }, ports: { type: 'string', default: '100' }, 'daemon-node-options': { type: 'string' } } });
const DAEMON_NODE_OPTIONS = values['daemon-node-options'];
if (DAEMON_NODE_OPTIONS !== undefined && !/^[-\w=., ]*$/.test(DAEMON_NODE_OPTIONS)) throw new Error(`--daemon-node-options: flags only (letters, digits, - _ = . , and spaces), got ${DAEMON_NODE_OPTIONS}`);
const runs = runsOption(values.runs, MIN_RUNS);
const WINDOW_S = Number(values.window);
const SETTLE_S = Number(values.settle);
/** Ports per address: 100 is the issue's 2,000 servers; fewer for a machine that cannot emulate that many checks. */
const PORTS = Number(values.ports);
if (!Number.isInteger(PORTS) || PORTS < 1 || PORTS > 1000) throw new Error(`--ports: 1 to 1000, got ${values.ports}`);
const FIRST_PORT = 8000;
const VIP = '192.0.2.1';
const ADDRS = [...Array.from({ length: 10 }, (_, i) => `198.51.100.${10 + i}`), ...Array.from({ length: 10 }, (_, i) => `203.0.113.${10 + i}`)];
const SERVERS = ADDRS.length * PORTS;
const KEEPALIVED = '/usr/sbin/keepalived';
/** Bounds the wait for a side's down line: past it the run counts as not detected (a state difference), not as a time. */
const DETECT_BOUND_MS = 15_000;
const CLK_TCK = 100; // USER_HZ on Linux x86_64: /proc's tick unit
const K = '/tmp/k'; // where keepalived's tar is unpacked in the VM

/** The box's config: addresses on wan for both server networks, the VIP on lan. */
function boxConfig(): Record<string, unknown> {
  return {
    version: 1,
    interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }, { name: 'sync' }, { name: 'mgmt' }] },
    addresses: [{ interface: 'lan', static: [`${VIP}/24`] }, { interface: 'wan', static: ['198.51.100.1/24', '203.0.113.1/24'] }],
  };
}

function stockadeConfig(): Record<string, unknown> {
  const virtual_services = ADDRS.map((address, k) => ({
    name: `s${k}`, address: VIP, port: 1000 + k, scheduler: 'rr',
    health_check: { type: 'tcp', interval_s: 1, timeout_s: 1, rise: 1, fall: 1, retries: 0, warmup_s: 1 },
    real_servers: Array.from({ length: PORTS }, (_, p) => ({ address, port: FIRST_PORT + p })),
  }));
  return { ...boxConfig(), lvs: { virtual_services } };
}

function keepalivedConfig(): string {
  const out = ['global_defs {', '  router_id lvsbench', '}'];
  ADDRS.forEach((address, k) => {
    out.push(`virtual_server ${VIP} ${1000 + k} {`, '  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
    for (let p = 0; p < PORTS; p++) {
      out.push(`  real_server ${address} ${FIRST_PORT + p} {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 1', '      retry 0', '      delay_before_retry 1', '      warmup 1', '    }', '  }');
    }
    out.push('}');
  });
  return out.join('\n') + '\n';
}

/** One request to a server process's control socket, its one-line answer. */
function control(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let got = '';
    c.on('error', reject);
    c.on('data', (d) => {
      got += d.toString();
      if (got.includes('\n')) {
        c.end();
        resolve(got.trim());
      }
    });
    c.write(`${line}\n`);
  });
}

interface Side {
  /** Starts checking in the background (output to the test shell); returns the pid whose CPU counts and the one to stop. */
  start(vm: Vm, sh: (c: string, t?: number) => Promise<string>): Promise<{ cpuPid: number; stopPid: number }>;
  /** The line that says `key` (ADDR:PORT) is down. */
  down(key: string): RegExp;
  /** Any server reported down: its key. */
  anyDown: RegExp;
}

interface RunResult { cpuMsPerS: number; detectMs: number | undefined; reactMs: number | undefined; problems: string[] }

const esc = (s: string): string => s.replace(/[.[\]]/g, '\\$&');

/** utime and stime of a VM process, in ms (the stat line picked out: the shell also carries the sides' output). */
/** utime and stime (ms) of the process, and of its main thread alone (the rest: GC and compiler threads). */
async function cpuMs(sh: (c: string) => Promise<string>, pid: number, name: string): Promise<{ user: number; system: number; mainUser: number; mainSystem: number }> {
  const out = await sh(`cat /proc/${pid}/stat /proc/${pid}/task/${pid}/stat 2>/dev/null || echo gone`);
  const lines = [...out.matchAll(new RegExp(`^${pid} \\(.*$`, 'gm'))].map((m) => m[0]);
  if (lines.length < 2) throw new Error(`${name}'s checker (pid ${pid}) is gone`);
  // Fields 14 and 15 of stat(5); f starts at field 3.
  const times = (line: string): [number, number] => {
    const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
    return [(Number(f[11]) * 1000) / CLK_TCK, (Number(f[12]) * 1000) / CLK_TCK];
  };
  const [user, system] = times(lines[0]!);
  const [mainUser, mainSystem] = times(lines[1]!);
  return { user, system, mainUser, mainSystem };
}

/** The stockade daemon's check counters (its `ctl lvs` checks: line); undefined when ctl lvs gave none (a daemon too busy to answer). */
async function checkCounters(sh: (c: string) => Promise<string>): Promise<Record<string, number> | undefined> {
  const line = /^checks: (.*)$/m.exec(await sh('stockade ctl lvs --socket /tmp/bench.sock 2>&1 | grep "^checks:" || true'))?.[1];
  return line === undefined ? undefined : Object.fromEntries(line.split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k!, Number(v)]));
}

/** The lab around the VM: the switch host holding the wan bridge (and qemu), the servers' host. */
const topology: Topology = {
  hosts: ['sw', 'srv'],
  links: [['srv:eth0', 'sw:ws']],
  bridges: [{ at: 'sw', name: 'wan', ports: ['ws'] }],
  addresses: { 'srv:eth0': ADDRS.map((a) => `${a}/24`) },
};

async function main(): Promise<void> {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(`lab not available: ${avail.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-check-'));
  const tool = hostToolTar(KEEPALIVED, dir);
  await ensureImages(['x86_64-generic']);
  const lab = await Lab.create(topology);
  try {
    const socket = join(dir, 'servers.sock');
    const servers: LabProcess = lab.spawn('srv', [process.execPath, join(import.meta.dirname, 'lvs-check', 'servers.ts'), socket, ADDRS.join(','), String(FIRST_PORT), String(PORTS)], { env: { ...process.env, STOCKADE_NATIVE: addonPath() } });
    await lab.waitFor('real servers listening', () => servers.stdout().includes('ready'), { timeoutMs: 120_000 });
    const vms = await startVms({
      vms: { a: { board: 'x86_64-generic', memoryMb: 1024, extraDisks: [tool.tar], data: { 'config.json': JSON.stringify(boxConfig()), 'check.json': JSON.stringify(stockadeConfig()), 'keepalived.conf': keepalivedConfig() } } },
      bridges: { wan: ['a:wan'] },
      lab: { lab, host: 'sw' },
    });
    try {
      const vm = vms.vm('a');
      await vm.waitFor(/stockade: boot complete/, 1_200_000);
      await vm.login(300_000);
      const sh = async (c: string, t = 120_000): Promise<string> => {
        const r = await vm.run(c, t);
        if (r.code !== 0) throw new Error(`${c}: exit ${r.code}: ${r.output}`);
        return r.output;
      };
      await sh(`mkdir -p ${K} && tar -xf /dev/vdb -C ${K} && modprobe ip_vs && modprobe ip_vs_rr && ipvsadm -C`);
      // Both sides connect 2,000 times a second; their TIME_WAITs must not fill the conntrack table.
      await sh('sysctl -w net.netfilter.nf_conntrack_max=1048576 >/dev/null 2>&1; true');
      await sh(`ping -c 1 -W 5 ${ADDRS[0]} >/dev/null && ping -c 1 -W 5 ${ADDRS[ADDRS.length - 1]} >/dev/null`, 60_000);
      console.log(`${SERVERS} real servers listening (${ADDRS.length} addresses x ${PORTS} ports in a lab host behind the VM's wan port), ${ADDRS.length} virtual services`);
      const kv = (await sh(`LD_LIBRARY_PATH=${tool.libDir(K)} ${tool.binary(K)} --version 2>&1 | head -1`)).trim();

      const sides: Record<'stockade' | 'keepalived', Side> = {
        stockade: {
          async start(vm, sh) {
            const from = vm.shellOutput().length;
            const pid = Number(/^PID (\d+)$/m.exec(await sh(`${DAEMON_NODE_OPTIONS !== undefined ? `NODE_OPTIONS='${DAEMON_NODE_OPTIONS}' ` : ''}stockade daemon --config /data/check.json --default-config none --socket /tmp/bench.sock 2>&1 & echo PID $!`))?.[1]);
            // Its "lvs: applied" line may be among those its log holds back (over 200 a second):
            // the run waits for the whole table instead (below).
            await vm.waitFor(/daemon starting|daemon: .*/, 300_000, from, 'shell');
            await sh(`kill -0 ${pid}`);
            return { cpuPid: pid, stopPid: pid };
          },
          down: (key) => new RegExp(`real server ${esc(key)} down`),
          anyDown: /real server (\S+) down/g,
        },
        keepalived: {
          async start(vm, sh) {
            const from = vm.shellOutput().length;
            await sh('rm -f /tmp/k.pid /tmp/kc.pid');
            // -C: the checker child only; -n: no fork to the background; -l: log to the console.
            const pid = Number(/^PID (\d+)$/m.exec(await sh(`LD_LIBRARY_PATH=${tool.libDir(K)} ${tool.binary(K)} -C -n -l -f /data/keepalived.conf -p /tmp/k.pid -c /tmp/kc.pid 2>&1 & echo PID $!`))?.[1]);
            await vm.waitFor(/Activating healthchecker|Stopped Keepalived|Can't initiali[sz]e ipvs/, 300_000, from, 'shell');
            // Its 2,000 "Activating healthchecker" lines, then the checks run.
            await sleep(2000);
            const after = vm.shellOutput().slice(from);
            if (/Stopped Keepalived|Can't initiali[sz]e ipvs/.test(after)) throw new Error(`keepalived's checker exited:\n${after.slice(-800)}`);
            const child = Number(/^(\d+)$/m.exec(await sh('cat /tmp/kc.pid'))?.[1]);
            if (!(child > 0)) throw new Error('keepalived wrote no checker pid');
            return { cpuPid: child, stopPid: pid };
          },
          down: (key) => {
            const i = key.lastIndexOf(':');
            const a = esc(`[${key.slice(0, i)}]:tcp:${key.slice(i + 1)}`);
            // keepalived 2.2.7's words (strings in /usr/sbin/keepalived): the failed connection, the
            // check failed after its retries, the server taken out.
            return new RegExp(`TCP connection to ${a} (?:failed|timeout)|TCP_CHECK on service ${a} failed|Removing service ${a}`);
          },
          anyDown: /(?:TCP connection to|TCP_CHECK on service|Removing service) \[([\d.]+)\]:tcp:(\d+)(?!\d| success)/g,
        },
      };

      const run = async (name: 'stockade' | 'keepalived', round: number): Promise<RunResult> => {
        const side = sides[name];
        const runFrom = vm.shellOutput().length;
        const { cpuPid, stopPid } = await side.start(vm, sh);
        const problems: string[] = [];
        try {
          // Steady state first: keepalived adds each server to the table as its first check
          // passes (one log line each), stockade at its apply; the window starts once the table
          // is whole on either side, then --settle seconds.
          const whole = ADDRS.length + SERVERS;
          const t = Date.now();
          for (let n = 0; n !== whole; await sleep(2000)) {
            await sh(`kill -0 ${cpuPid}`);
            n = Number(/^\s*(\d+)\s*$/m.exec(await sh('ipvsadm -S -n | wc -l'))?.[1]);
            if (Date.now() - t > 600_000) throw new Error(`${name}: the table holds ${n} lines, not ${whole}, 600 s after the start`);
          }
          console.log(`round ${round + 1} ${name}: table whole ${((Date.now() - t) / 1000).toFixed(0)} s after the start`);
          await sleep(SETTLE_S * 1000);
          const k0 = name === 'stockade' ? await checkCounters(sh) : undefined;
          const c0 = await cpuMs(sh, cpuPid, name);
          const t0 = performance.now();
          await sleep(WINDOW_S * 1000);
          const c1 = await cpuMs(sh, cpuPid, name);
          const seconds = (performance.now() - t0) / 1000;
          const k1 = k0 === undefined ? undefined : await checkCounters(sh);
          const kSeconds = (performance.now() - t0) / 1000;
          const userMsPerS = (c1.user - c0.user) / seconds;
          const cpuMsPerS = userMsPerS + (c1.system - c0.system) / seconds;
          const key = `${ADDRS[Math.floor(Math.random() * ADDRS.length)]}:${FIRST_PORT + Math.floor(Math.random() * PORTS)}`;
          await sleep(Math.random() * 1000); // a random phase of the 1 s check loop
          const seen = vm.shellOutput().length;
          // Down lines of this run before the kill: the load made servers fail.
          const before = new Set([...vm.shellOutput().slice(runFrom, seen).matchAll(side.anyDown)].map((x) => (x[2] === undefined ? x[1]! : `${x[1]}:${x[2]}`)));
          const answer = await control(socket, `close ${key}`);
          const m = /^closed \S+ (\d+)$/.exec(answer);
          if (!m) throw new Error(`closing ${key}: ${answer}`);
          const closedAt = Number(m[1]);
          const re = side.down(key);
          let detectMs: number | undefined;
          for (;;) {
            if (re.test(vm.shellOutput().slice(seen))) {
              detectMs = Date.now() - closedAt;
              break;
            }
            if (Date.now() - closedAt > DETECT_BOUND_MS) {
              problems.push(`${key} not reported down within ${DETECT_BOUND_MS} ms`);
              break;
            }
            await sleep(2);
          }
          // The first SYN after the close: the check that found the server gone.
          const syn = /^syn \S+ (\d+|none)$/.exec(await control(socket, `syn ${key}`))?.[1];
          const reactMs = detectMs === undefined || syn === undefined || syn === 'none' ? undefined : closedAt + detectMs - Number(syn);
          if (detectMs !== undefined && reactMs === undefined) problems.push(`no SYN to ${key} seen after its close`);
          await sleep(1500); // one more check loop: nothing else may go down
          const others = [...vm.shellOutput().slice(seen).matchAll(side.anyDown)].map((x) => (x[2] === undefined ? x[1]! : `${x[1]}:${x[2]}`)).filter((k) => k !== key);
          if (before.size > 0) problems.push(`${before.size} real server(s) reported down before any was killed (${[...before].slice(0, 3).join(', ')})`);
          if (others.length > 0) problems.push(`also reported down: ${[...new Set(others)].slice(0, 5).join(', ')}`);
          // The table: the side took the dead server out (keepalived removes it; so does stockade).
          const table = await sh('ipvsadm -S -n | wc -l');
          const lines = Number(/^\s*(\d+)\s*$/m.exec(table)?.[1]);
          if (lines !== ADDRS.length + SERVERS - 1) problems.push(`ipvsadm -S -n holds ${lines} lines, not ${ADDRS.length + SERVERS - 1} (${ADDRS.length} services, ${SERVERS - 1} servers)`);
          const reopened = await control(socket, `open ${key}`);
          if (!reopened.startsWith('opened')) throw new Error(`reopening ${key}: ${reopened}`);
          const mainMsPerS = (c1.mainUser - c0.mainUser + c1.mainSystem - c0.mainSystem) / seconds;
          // The daemon's own counters over about the window: checks and timer wake-ups a second.
          const rates = k0 && k1 ? `; probes ${((k1['probes']! - k0['probes']!) / kSeconds).toFixed(0)}/s, timer wake-ups ${((k1['timerWakeups']! - k0['timerWakeups']!) / kSeconds).toFixed(0)}/s` : name === 'stockade' ? '; counters: ctl lvs gave none' : '';
          console.log(`round ${round + 1} ${name}: cpu ${cpuMsPerS.toFixed(1)} ms/s (user ${userMsPerS.toFixed(1)}; main thread ${mainMsPerS.toFixed(1)}${rates}), ${key} down after ${detectMs === undefined ? 'NOT DETECTED' : `${detectMs} ms`}${reactMs === undefined ? '' : ` (${reactMs} ms after the first check that found it gone)`}${problems.length ? `; ${problems.join('; ')}` : ''}`);
          // A run that went wrong: what the VM's wan port and kernel say (a stalled NIC, a full table...).
          if (problems.length > 0) console.log((await sh('ip -s -s link show dev wan; ip neigh show dev wan | head -5; dmesg | tail -8; true')).trim().replace(/^/gm, '    '));
          return { cpuMsPerS, detectMs, reactMs, problems };
        } finally {
          await sh(`kill ${stopPid} 2>/dev/null; i=0; while kill -0 ${stopPid} 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -9 ${stopPid} 2>/dev/null; ipvsadm -C`);
          // The next side starts with no leftover output being taken for its own.
          await sleep(500);
        }
      };
      const r = await alternate(runs, { stockade: (round) => run('stockade', round), keepalived: (round) => run('keepalived', round) });

      const sCpu = r.stockade.map((x) => x.cpuMsPerS);
      const sDetect = r.stockade.flatMap((x) => (x.detectMs === undefined ? [] : [x.detectMs]));
      const kCpu = r.keepalived.map((x) => x.cpuMsPerS);
      const kDetect = r.keepalived.flatMap((x) => (x.detectMs === undefined ? [] : [x.detectMs]));
      const sReact = r.stockade.flatMap((x) => (x.reactMs === undefined ? [] : [x.reactMs]));
      const kReact = r.keepalived.flatMap((x) => (x.reactMs === undefined ? [] : [x.reactMs]));
      console.log(`host load (1 min) at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
      console.log(`${SERVERS} real servers, TCP connect every 1 s (timeout 1 s, rise 1, fall 1, no retry); ${runs} rounds, alternating order; CPU over ${WINDOW_S} s after ${SETTLE_S} s; in the VM (TCG, 1 vCPU)`);
      console.log(`stockade daemon:         CPU ${describe(sCpu, 'ms/s')}; detection ${sDetect.length ? describe(sDetect, 'ms', 0) : 'none'}; reaction ${sReact.length ? describe(sReact, 'ms', 0) : 'none'}`);
      console.log(`keepalived -C (${kv}): CPU ${describe(kCpu, 'ms/s')}; detection ${kDetect.length ? describe(kDetect, 'ms', 0) : 'none'}; reaction ${kReact.length ? describe(kReact, 'ms', 0) : 'none'}`);
      const problems = [...r.stockade.flatMap((x) => x.problems.map((p) => `stockade: ${p}`)), ...r.keepalived.flatMap((x) => x.problems.map((p) => `keepalived: ${p}`))];
      const same = problems.length === 0;
      if (!same) console.log(`STATES DIFFER:\n${problems.slice(0, 8).join('\n')}`);
      else console.log('state: on both sides, every killed server reported down and no other; the table without it');
      if (!same) process.exitCode = 1;
      const fields = (key: string, v: number[], digits = 1): string => (v.length ? benchFields(key, v, digits) : `${key}=NA`);
      console.log(`BENCH lvs-check runs=${runs} servers=${SERVERS} check_cpu_ratio=${kCpu.length ? ratio(median(sCpu), median(kCpu)) : 'NA'} detect_ms=${sDetect.length ? median(sDetect).toFixed(0) : 'NA'} detect_keepalived_ms=${kDetect.length ? median(kDetect).toFixed(0) : 'NA'} react_ms=${sReact.length ? median(sReact).toFixed(0) : 'NA'} react_keepalived_ms=${kReact.length ? median(kReact).toFixed(0) : 'NA'} ${fields('cpu_ms_per_s', sCpu)} ${fields('cpu_keepalived_ms_per_s', kCpu)} same_state=${same ? 'yes' : 'no'} host_load=${loadavg()[0]!.toFixed(1)}${DAEMON_NODE_OPTIONS !== undefined ? ` daemon_node_options='${DAEMON_NODE_OPTIONS}'` : ''}`);
    } finally {
      await vms.destroy(process.exitCode !== undefined && process.exitCode !== 0);
    }
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
