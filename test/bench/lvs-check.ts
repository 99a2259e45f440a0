// LVS checker load, part (c) of issue 14's benchmark, on the host kernel in lab namespaces:
// 2,000 real servers (10 addresses of 198.51.100.0/24 in one server namespace, 10 of
// 203.0.113.0/24 in another, 100 ports each, 20 virtual services of 100) checked every second by
// TCP connect (timeout 1 s, rise 1, fall 1, no retry, warm-up 1 s) from a director namespace, by
// stockade's checkers and by keepalived's checker process with the same settings, one side at a
// time, alternating which goes first, --runs rounds (at least 7). Each run:
//   (1) CPU: utime+stime (/proc/PID/stat) of the checking process over --window seconds after
//       --settle seconds: stockade's checker process; keepalived's checker child (`keepalived -C`
//       runs only that child; its pid file names it), not its parent;
//   (2) detection: one random real server's listener closed at a random phase of the 1 s loop;
//       from the moment it is gone (the server process's wall clock) to the arrival of the side's
//       line saying so (stockade: "real server A:P down"; keepalived: "TCP connection to [A]:tcp:P
//       failed|timeout", "TCP_CHECK on service [A]:tcp:P failed" or "Removing service [A]:tcp:P"),
//       both sides' output read the same way on the same clock;
//   (3) state: the killed server reported down, no other server reported down.
// The stockade side is test/bench/lvs-check/stockade.ts: `stockade daemon` opens IPVS before its
// checks and the host kernel has none, so the same checker code is started from the config file
// (see there). keepalived's checker also opens IPVS first: on a kernel without IPVS it exits, and
// this benchmark then says so and reports no ratio (exit 1) rather than compare against nothing.
//   npm run bench -- lvs-check [--runs N] [--window S] [--settle S]
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labAvailable, withLab } from '../lab/harness.ts';
import type { Lab, LabProcess } from '../lab/harness.ts';
import { sleep } from '../lab/wait.ts';
import { MIN_RUNS, alternate, benchFields, describe, median, ratio, runsOption } from './stats.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, window: { type: 'string', default: '10' }, settle: { type: 'string', default: '3' } } });
const runs = runsOption(values.runs, MIN_RUNS);
const WINDOW_S = Number(values.window);
const SETTLE_S = Number(values.settle);
const PORTS = 100;
const FIRST_PORT = 8000;
const VIP = '192.0.2.1';
const HOSTS = { s1: '198.51.100', s2: '203.0.113' } as const;
const ADDRS = Object.fromEntries(Object.entries(HOSTS).map(([h, net]) => [h, Array.from({ length: 10 }, (_, i) => `${net}.${10 + i}`)])) as Record<keyof typeof HOSTS, string[]>;
const ALL = [...ADDRS.s1, ...ADDRS.s2];
const SERVERS = ALL.length * PORTS;
const KEEPALIVED = '/usr/sbin/keepalived';
/** Bounds the wait for a side's down line: past it the run counts as not detected (a state difference), not as a time. */
const DETECT_BOUND_MS = 10_000;
const CLK_TCK = 100; // USER_HZ on Linux x86_64 and arm64: /proc's tick unit

function stockadeConfig(): unknown {
  const virtual_services = ALL.map((address, k) => ({
    name: `s${k}`, address: VIP, port: 1000 + k, scheduler: 'rr',
    health_check: { type: 'tcp', interval_s: 1, timeout_s: 1, rise: 1, fall: 1, retries: 0, warmup_s: 1 },
    real_servers: Array.from({ length: PORTS }, (_, p) => ({ address, port: FIRST_PORT + p })),
  }));
  // The VIP must be the box's (config validate says so); the director's ports carry it.
  return {
    version: 1,
    interfaces: { ports: [{ name: 'e1' }, { name: 'e2' }] },
    addresses: [{ interface: 'e1', static: [`${VIP}/24`, '198.51.100.1/24'] }, { interface: 'e2', static: ['203.0.113.1/24'] }],
    lvs: { virtual_services },
  };
}

function keepalivedConfig(): string {
  const out = ['global_defs {', '  router_id lvsbench', '}'];
  ALL.forEach((address, k) => {
    out.push(`virtual_server ${VIP} ${1000 + k} {`, '  delay_loop 1', '  lb_algo rr', '  lb_kind NAT', '  protocol TCP');
    for (let p = 0; p < PORTS; p++) {
      out.push(`  real_server ${address} ${FIRST_PORT + p} {`, '    weight 1', '    TCP_CHECK {', '      connect_timeout 1', '      retry 0', '      delay_before_retry 1', '      warmup 1', '    }', '  }');
    }
    out.push('}');
  });
  return out.join('\n') + '\n';
}

/** A process's last lines of output, for an error. */
function tail(proc: LabProcess): string {
  return (proc.stdout() + proc.stderr()).trim().split('\n').slice(-6).join('\n');
}

/** utime and stime of a process, in ms. */
function cpuMs(pid: number, name: string, proc: LabProcess): { user: number; system: number } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    throw new Error(`${name}'s checker (pid ${pid}) is gone:\n${tail(proc)}`);
  }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5); f starts at field 3.
  return { user: (Number(f[11]) * 1000) / CLK_TCK, system: (Number(f[12]) * 1000) / CLK_TCK };
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
  /** Starts checking; returns the process whose CPU counts and the one to stop. */
  start(lab: Lab): Promise<{ proc: LabProcess; cpuPid: number }>;
  /** The line that says `key` (ADDR:PORT) is down. */
  down(key: string): RegExp;
  /** Any server reported down: its key. */
  anyDown: RegExp;
}

interface RunResult { cpuMsPerS: number; detectMs: number | undefined; problems: string[] }

const esc = (s: string): string => s.replace(/[.[\]]/g, '\\$&');

async function main(): Promise<void> {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(`lab not available: ${avail.reason}`);
  if (!existsSync(KEEPALIVED)) throw new Error(`${KEEPALIVED} missing: install Debian's keepalived (scripts/setup-host)`);
  const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-check-'));
  const files = { config: join(dir, 'lvs.json'), keepalived: join(dir, 'keepalived.conf'), pid: join(dir, 'keepalived.pid'), checkerPid: join(dir, 'checker.pid') };
  writeFileSync(files.config, JSON.stringify(stockadeConfig()));
  writeFileSync(files.keepalived, keepalivedConfig());
  const here = import.meta.dirname;
  const sides: Record<'stockade' | 'keepalived', Side> = {
    stockade: {
      async start(lab) {
        const proc = lab.spawn('dir', [process.execPath, join(here, 'lvs-check', 'stockade.ts'), files.config], { env: { STOCKADE_NATIVE: process.env['STOCKADE_NATIVE'] ?? join(here, '..', '..', 'dist', 'x64', 'stockade.node') } });
        let gone = false;
        void proc.exited.then(() => { gone = true; });
        await lab.waitFor('stockade checkers started', () => gone || proc.stdout().includes('started\n'), { timeoutMs: 30_000 });
        if (gone) throw new Error(`stockade's checkers exited:\n${tail(proc)}`);
        return { proc, cpuPid: proc.pid };
      },
      down: (key) => new RegExp(`real server ${esc(key)} down`),
      anyDown: /real server (\S+) down/g,
    },
    keepalived: {
      async start(lab) {
        rmSync(files.pid, { force: true });
        rmSync(files.checkerPid, { force: true });
        // -C: the checker child only; -n: no fork to the background; -l: log to the console.
        const proc = lab.spawn('dir', [KEEPALIVED, '-C', '-n', '-l', '-f', files.keepalived, '-p', files.pid, '-c', files.checkerPid]);
        let gone = false;
        void proc.exited.then(() => { gone = true; });
        const pid = await lab.waitFor('keepalived checker pid', () => {
          if (gone) return -1;
          // The pid file comes before IPVS is opened (which may fail): the checks are on once it
          // activates them.
          if (!existsSync(files.checkerPid) || !proc.stdout().includes('Activating healthchecker')) return undefined;
          const n = Number(readFileSync(files.checkerPid, 'utf8').trim());
          return n > 0 && existsSync(`/proc/${n}/stat`) ? n : undefined;
        }, { timeoutMs: 30_000 });
        if (pid < 0) {
          const out = proc.stdout() + proc.stderr();
          throw new Error(`keepalived's checker exited before checking: ${out.split('\n').find((l) => /can't initiali[sz]e ipvs/i.test(l))?.replace(/^.*?: (?=IPVS)/, '').trim() ?? tail(proc)}`);
        }
        return { proc, cpuPid: pid };
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

  await withLab({
    hosts: ['dir', 's1', 's2'],
    links: [['dir:e1', 's1:e0'], ['dir:e2', 's2:e0']],
    addresses: { 'dir:e1': ['198.51.100.1/24'], 'dir:e2': ['203.0.113.1/24'], 's1:e0': ADDRS.s1.map((a) => `${a}/24`), 's2:e0': ADDRS.s2.map((a) => `${a}/24`) },
  }, async (lab) => {
    const sockets: Record<string, string> = {};
    for (const h of ['s1', 's2'] as const) {
      sockets[h] = join(dir, `${h}.sock`);
      const p = lab.spawn(h, [process.execPath, join(here, 'lvs-check', 'servers.ts'), sockets[h]!, ADDRS[h].join(','), String(FIRST_PORT), String(PORTS)]);
      await lab.waitFor(`real servers in ${h}`, () => p.stdout().includes('ready'), { timeoutMs: 60_000 });
    }
    console.log(`${SERVERS} real servers listening (${ALL.length} addresses x ${PORTS} ports in 2 namespaces), ${ALL.length} virtual services`);
    const socketOf = (key: string): string => sockets[key.startsWith(HOSTS.s1) ? 's1' : 's2']!;

    let absent: string | undefined;
    const run = async (name: 'stockade' | 'keepalived', round: number): Promise<RunResult | undefined> => {
      if (name === 'keepalived' && absent !== undefined) return undefined;
      const side = sides[name];
      let started;
      try {
        started = await side.start(lab);
      } catch (e) {
        if (name !== 'keepalived') throw e;
        absent = (e as Error).message;
        console.log(`round ${round + 1} keepalived: ABSENT: ${absent}`);
        return undefined;
      }
      const { proc, cpuPid } = started;
      const problems: string[] = [];
      try {
        await sleep(SETTLE_S * 1000);
        const c0 = cpuMs(cpuPid, name, proc);
        const t0 = performance.now();
        await sleep(WINDOW_S * 1000);
        const c1 = cpuMs(cpuPid, name, proc);
        const seconds = (performance.now() - t0) / 1000;
        const userMsPerS = (c1.user - c0.user) / seconds;
        const cpuMsPerS = userMsPerS + (c1.system - c0.system) / seconds;
        // Down lines before the kill: the load made servers fail.
        const before = [...proc.stdout().matchAll(side.anyDown)].length;
        if (before > 0) problems.push(`${before} real server(s) reported down before any was killed`);

        const key = `${ALL[Math.floor(Math.random() * ALL.length)]}:${FIRST_PORT + Math.floor(Math.random() * PORTS)}`;
        await sleep(Math.random() * 1000); // a random phase of the 1 s check loop
        const seen = proc.stdout().length;
        const answer = await control(socketOf(key), `close ${key}`);
        const m = /^closed \S+ (\d+)$/.exec(answer);
        if (!m) throw new Error(`closing ${key}: ${answer}`);
        const closedAt = Number(m[1]);
        const re = side.down(key);
        let detectMs: number | undefined;
        for (;;) {
          if (re.test(proc.stdout().slice(seen))) {
            detectMs = Date.now() - closedAt;
            break;
          }
          if (Date.now() - closedAt > DETECT_BOUND_MS) {
            problems.push(`${key} not reported down within ${DETECT_BOUND_MS} ms`);
            break;
          }
          await sleep(2);
        }
        await sleep(1500); // one more check loop: nothing else may go down
        const others = [...proc.stdout().slice(seen).matchAll(side.anyDown)].map((x) => (x[2] === undefined ? x[1]! : `${x[1]}:${x[2]}`)).filter((k) => k !== key);
        if (others.length > 0) problems.push(`also reported down: ${[...new Set(others)].slice(0, 5).join(', ')}`);
        const reopened = await control(socketOf(key), `open ${key}`);
        if (!reopened.startsWith('opened')) throw new Error(`reopening ${key}: ${reopened}`);
        console.log(`round ${round + 1} ${name}: cpu ${cpuMsPerS.toFixed(1)} ms/s (user ${userMsPerS.toFixed(1)}), ${key} down after ${detectMs === undefined ? 'NOT DETECTED' : `${detectMs} ms`}${problems.length ? `; ${problems.join('; ')}` : ''}`);
        return { cpuMsPerS, detectMs, problems };
      } finally {
        proc.kill('SIGTERM');
        await Promise.race([proc.exited, sleep(5000)]);
        proc.kill('SIGKILL');
        await proc.exited;
      }
    };
    const r = await alternate(runs, { stockade: (round) => run('stockade', round), keepalived: (round) => run('keepalived', round) });

    const s = r.stockade.filter((x): x is RunResult => x !== undefined);
    const k = r.keepalived.filter((x): x is RunResult => x !== undefined);
    const sCpu = s.map((x) => x.cpuMsPerS);
    const sDetect = s.flatMap((x) => (x.detectMs === undefined ? [] : [x.detectMs]));
    const kCpu = k.map((x) => x.cpuMsPerS);
    const kDetect = k.flatMap((x) => (x.detectMs === undefined ? [] : [x.detectMs]));
    console.log(`${SERVERS} real servers, TCP connect every 1 s (timeout 1 s, rise 1, fall 1, no retry); ${runs} rounds, alternating order; CPU over ${WINDOW_S} s after ${SETTLE_S} s`);
    console.log(`stockade checkers: CPU ${describe(sCpu, 'ms/s')}; detection ${sDetect.length ? describe(sDetect, 'ms', 0) : 'none'}`);
    if (absent !== undefined) console.log(`keepalived checker: ABSENT (${absent}); no ratio`);
    else console.log(`keepalived checker: CPU ${describe(kCpu, 'ms/s')}; detection ${kDetect.length ? describe(kDetect, 'ms', 0) : 'none'}`);
    const problems = [...s.flatMap((x) => x.problems.map((p) => `stockade: ${p}`)), ...k.flatMap((x) => x.problems.map((p) => `keepalived: ${p}`))];
    const same = absent === undefined && problems.length === 0 && s.length === runs && k.length === runs;
    if (problems.length > 0) console.log(`STATES DIFFER:\n${problems.slice(0, 8).join('\n')}`);
    else if (absent === undefined) console.log('state: on both sides, every killed server reported down and no other');
    if (!same) process.exitCode = 1;
    const fields = (key: string, v: number[], digits = 1): string => (v.length ? benchFields(key, v, digits) : `${key}=NA`);
    console.log(`BENCH lvs-check runs=${runs} servers=${SERVERS} check_cpu_ratio=${absent === undefined && kCpu.length ? ratio(median(sCpu), median(kCpu)) : 'NA'} detect_ms=${sDetect.length ? median(sDetect).toFixed(0) : 'NA'} detect_keepalived_ms=${kDetect.length ? median(kDetect).toFixed(0) : 'NA'} ${fields('cpu_ms_per_s', sCpu)} ${fields('cpu_keepalived_ms_per_s', kCpu)} same_state=${same ? 'yes' : 'no'}${absent !== undefined ? ' keepalived=absent' : ''}`);
  });
  rmSync(dir, { recursive: true, force: true });
}

await main();
