// The lab harness: declarative network-namespace topologies for lab-tier tests.
//
// Everything is created inside namespaces named `stk<pid>-<lab>-<host>` (unique per process and per
// lab); veth pairs are created directly inside their namespaces, so the root namespace never gets
// an interface, address or route. Teardown runs on destroy(), in withLab() whatever fn does, and on
// process exit and SIGINT/SIGTERM/SIGHUP (see netns.ts). The first lab of a process also sweeps
// namespaces left by crashed runs.

import { execFileSync, spawn as spawnChild } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { splitEndpoint, validateTopology } from './topology.ts';
import type { Topology } from './topology.ts';
import {
  ip, killQuietly, listNamespaces, nsNameFor, pidsIn, sweepStale, trackGroup, trackNamespace,
  untrackGroup, untrackNamespace,
} from './netns.ts';
import { waitFor } from './wait.ts';
import type { Probe, WaitOptions } from './wait.ts';

export type { Topology } from './topology.ts';
export { DOC_RANGES, topologyProblems, validateTopology } from './topology.ts';
export { NS_PREFIX, listNamespaces, parseNsName, sweepStale } from './netns.ts';
export { waitFor } from './wait.ts';
export type { Probe, WaitOptions } from './wait.ts';

export const DEFAULT_EXEC_TIMEOUT_MS = 20_000;
/** Output kept per stream of a spawned process (the tail is kept). */
const OUTPUT_CAP = 8 << 20;
const KILL_WAIT_MS = 2_000;
const PIPE_GRACE_MS = 300;
// A bound on a hang, not a measure: on a busy shared machine links have taken over 5 s to come up.
const LINK_UP_TIMEOUT_MS = 30_000;
/** veth ends get explicit ifindexes from here up (see build()); lo is 1, bridges take low ones. */
const FIRST_VETH_INDEX = 100;

/** The part of `ip -j -d link show` we read. */
interface LinkJson {
  ifname: string;
  operstate?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { state?: string } };
}

/** Debian packages for tools lab tests commonly need, to make skip reasons actionable. */
const TOOL_PACKAGES: Record<string, string> = {
  ip: 'iproute2', bridge: 'iproute2', ss: 'iproute2', ping: 'iputils-ping', sysctl: 'procps',
  tcpdump: 'tcpdump', iptables: 'iptables', nft: 'nftables', conntrack: 'conntrack',
  keepalived: 'keepalived', conntrackd: 'conntrackd', arping: 'iputils-arping', nc: 'netcat-openbsd', socat: 'socat',
};

// CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21 (capability.h): `ip netns add` needs both.
const NEEDED_CAPS: Array<[bit: number, name: string]> = [[12, 'CAP_NET_ADMIN'], [21, 'CAP_SYS_ADMIN']];

let baseAvailability: { ok: true } | { ok: false; reason: string } | undefined;

/**
 * Whether lab tests can run here, and why not. Checks root, capabilities, iproute2 and sysctl,
 * and that a namespace can really be created (a probe namespace, deleted at once). `tools` adds
 * commands the caller needs on PATH, e.g. ['ping'].
 */
export function labAvailable(opts: { tools?: string[] } = {}): { ok: true } | { ok: false; reason: string } {
  baseAvailability ??= probeBase();
  if (!baseAvailability.ok) return baseAvailability;
  for (const tool of opts.tools ?? []) {
    if (!onPath(tool)) {
      const pkg = TOOL_PACKAGES[tool];
      return { ok: false, reason: `'${tool}' not found on PATH${pkg ? ` (Debian package ${pkg})` : ''}` };
    }
  }
  return { ok: true };
}

function probeBase(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux, this is ${process.platform}` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `not root (uid ${uid}); lab tests create network namespaces` };
  const caps = effectiveCaps();
  if (caps !== undefined) {
    const missing = NEEDED_CAPS.filter(([bit]) => (caps & (1n << BigInt(bit))) === 0n).map(([, n]) => n);
    if (missing.length > 0) return { ok: false, reason: `root without ${missing.join(', ')} (container without privileges?)` };
  }
  for (const tool of ['ip', 'sysctl']) {
    if (!onPath(tool)) return { ok: false, reason: `'${tool}' not found on PATH (Debian package ${TOOL_PACKAGES[tool]})` };
  }
  // The only reliable test: make a namespace. Named like a lab's so a crash here is swept later.
  const probe = nsNameFor(process.pid, 0, 'probe');
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  } catch (e) {
    const stderr = String((e as { stderr?: unknown }).stderr ?? '').trim();
    return { ok: false, reason: `'ip netns add' fails here: ${stderr || (e as Error).message}` };
  }
  try {
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // The sweep of a later run removes it.
  }
  return { ok: true };
}

function effectiveCaps(): bigint | undefined {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(join(d, cmd), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

let sweptThisProcess: Promise<unknown> | undefined;
let labCounter = 0;

export interface ExecOptions {
  /** Throw on a non-zero exit (default true). */
  check?: boolean;
  /** Kill the command (its whole process group) and throw after this long (default 20 s). */
  timeoutMs?: number;
  /** Written to the command's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
}

export interface ExecResult {
  /** Exit code; 128+n when killed by signal n. */
  code: number;
  stdout: string;
  stderr: string;
}

/** A lab command that failed or timed out, with everything needed to see why. */
export class LabExecError extends Error {
  readonly host: string;
  readonly argv: string[];
  /** Exit code, or undefined when the command timed out. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;

  constructor(host: string, argv: string[], code: number | undefined, stdout: string, stderr: string, timeoutMs?: number) {
    const what = code === undefined ? `timed out after ${timeoutMs} ms` : `failed with exit code ${code}`;
    const err = stderr.trim();
    const out = stdout.trim();
    super(`on host ${host}: \`${argv.join(' ')}\` ${what}` + (err ? `\nstderr: ${err}` : '') + (!err && out ? `\nstdout: ${out}` : ''));
    this.name = 'LabExecError';
    this.host = host;
    this.argv = argv;
    this.code = code;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

export interface SpawnOptions {
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface LabProcess {
  readonly pid: number;
  readonly host: string;
  readonly argv: string[];
  /** Everything written to stdout so far (the last 8 MiB). */
  stdout(): string;
  stderr(): string;
  /** Exit code, or null when killed by a signal (then see signal()). Never rejects. */
  readonly exited: Promise<number | null>;
  /** The signal that ended the process, once exited by one. */
  signal(): NodeJS.Signals | null;
  /** Signals the process's group (it and its children); default SIGTERM. A no-op once exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** A child started in a namespace; the lab keeps these until destroy. */
interface Child {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly closed: Promise<void>;
}

export class Lab {
  readonly topology: Topology;
  /** Per-process lab number, the middle part of the namespace names. */
  readonly index: number;
  private readonly namespaces: Map<string, string>;
  private readonly children = new Set<Child>();
  private destroying: Promise<void> | undefined;

  private constructor(topology: Topology, index: number) {
    this.topology = topology;
    this.index = index;
    this.namespaces = new Map(topology.hosts.map((h) => [h, nsNameFor(process.pid, index, h)]));
  }

  /** Validates the topology (throwing before anything is created), then builds it. */
  static async create(topology: Topology): Promise<Lab> {
    validateTopology(topology);
    const avail = labAvailable();
    if (!avail.ok) throw new Error(`lab not available: ${avail.reason}`);
    sweptThisProcess ??= sweepStale().catch(() => undefined);
    await sweptThisProcess;
    const lab = new Lab(topology, ++labCounter);
    try {
      await lab.build();
    } catch (e) {
      await lab.destroy().catch(() => undefined);
      throw e;
    }
    return lab;
  }

  get hosts(): string[] {
    return [...this.namespaces.keys()];
  }

  nsName(host: string): string {
    const ns = this.namespaces.get(host);
    if (ns === undefined) throw new Error(`lab has no host '${host}' (hosts: ${this.hosts.join(', ')})`);
    return ns;
  }

  /** Runs argv inside host's namespace and waits for it. */
  async exec(host: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const ns = this.nsName(host);
    this.assertLive();
    if (argv.length === 0) throw new Error('exec: empty argv');
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const child = this.start(ns, argv, { stdin: opts.input !== undefined });
    let stdout = '';
    let stderr = '';
    child.proc.stdout!.on('data', (d: string) => { stdout += d; });
    child.proc.stderr!.on('data', (d: string) => { stderr += d; });
    if (opts.input !== undefined) {
      // A command that exits without reading its input must not crash us with EPIPE.
      child.proc.stdin!.on('error', () => undefined);
      child.proc.stdin!.end(opts.input);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalChild(child, 'SIGKILL');
    }, timeoutMs);
    return child.closed.then(() => {
      clearTimeout(timer);
      if (timedOut) throw new LabExecError(host, argv, undefined, stdout, stderr, timeoutMs);
      const code = exitStatus(child.proc);
      if (code !== 0 && opts.check !== false) throw new LabExecError(host, argv, code, stdout, stderr);
      return { code, stdout, stderr };
    });
  }

  /** Starts argv inside host's namespace in the background; killed at destroy if still running. */
  spawn(host: string, argv: string[], opts: SpawnOptions = {}): LabProcess {
    const ns = this.nsName(host);
    this.assertLive();
    if (argv.length === 0) throw new Error('spawn: empty argv');
    const child = this.start(ns, argv, { stdin: false, env: opts.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.proc.stdout!.on('data', (d: string) => { stdout = capTail(stdout + d); });
    child.proc.stderr!.on('data', (d: string) => { stderr = capTail(stderr + d); });
    return {
      pid: child.pid,
      host,
      argv: [...argv],
      stdout: () => stdout,
      stderr: () => stderr,
      exited: child.closed.then(() => child.proc.exitCode),
      signal: () => child.proc.signalCode,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => signalChild(child, signal),
    };
  }

  waitFor<T>(what: string, probe: Probe<T>, opts?: WaitOptions): Promise<T> {
    return waitFor(what, probe, opts);
  }

  /** Kills every process started in the lab, then deletes its namespaces. Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  get destroyed(): boolean {
    return this.destroying !== undefined;
  }

  private assertLive(): void {
    if (this.destroying) throw new Error('lab is destroyed');
  }

  private start(ns: string, argv: string[], o: { stdin: boolean; env?: Record<string, string> | undefined; cwd?: string | undefined }): Child {
    // Detached: its own process group, so a timeout or destroy reaches its children too, and a
    // terminal's Ctrl-C reaches us (who clean up) rather than racing us to it.
    const proc = spawnChild('ip', ['netns', 'exec', ns, ...argv], {
      detached: true,
      stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: o.env ? { ...process.env, ...o.env } : process.env,
      cwd: o.cwd,
    });
    if (proc.pid === undefined) {
      // spawn() of ip itself failed (ENOENT, EAGAIN); the error event follows, swallow it.
      proc.on('error', () => undefined);
      throw new Error(`could not start \`ip netns exec ${ns} ${argv.join(' ')}\``);
    }
    const pid = proc.pid;
    trackGroup(pid);
    proc.stdout!.setEncoding('utf8');
    proc.stderr!.setEncoding('utf8');
    // 'exit' is when Node reaps it: from then on the PID (and group id) may belong to someone else.
    proc.on('exit', () => untrackGroup(pid));
    let grace: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      proc.on('close', () => {
        clearTimeout(grace);
        resolve();
      });
      proc.on('error', () => {
        untrackGroup(pid);
        resolve();
      });
      // Something it left running (`sh -c 'daemon &'`) may hold its stdout open: give the pipes a
      // moment to drain after it exits, then stop reading. destroy() kills such leftovers.
      proc.on('exit', () => {
        grace = setTimeout(() => {
          proc.stdout?.destroy();
          proc.stderr?.destroy();
          resolve();
        }, PIPE_GRACE_MS);
      });
    });
    const child: Child = { proc, pid, closed };
    this.children.add(child);
    void closed.then(() => this.children.delete(child));
    return child;
  }

  private async build(): Promise<void> {
    const t = this.topology;
    // Namespaces first, registered before creation so an interrupted build is still cleaned.
    await settleAll(t.hosts.map(async (h) => {
      const ns = this.nsName(h);
      trackNamespace(ns);
      await ip(['netns', 'add', ns]);
      // Before any link exists, so new interfaces inherit it from "default".
      // -e: a kernel without IPv6 has no such keys, which is just as quiet.
      if (!t.ipv6) await this.sysctl(h, ['-e', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }));
    // veth pairs, created inside their namespaces (never in the root namespace). Distinct ifindexes
    // for the two ends matter: in fresh namespaces both would get index 2, and the kernel's
    // linkwatch treats a device whose peer index equals its own as unimportant and delays its
    // carrier (and qdisc) by up to a second; with distinct indexes a lab is up in tens of ms.
    await settleAll((t.links ?? []).map(async ([a, b], i) => {
      const ea = splitEndpoint(a)!;
      const eb = splitEndpoint(b)!;
      await ip(['-n', this.nsName(ea.host), 'link', 'add', ea.ifname, 'index', String(FIRST_VETH_INDEX + 2 * i), 'type', 'veth', 'peer', 'name', eb.ifname, 'index', String(FIRST_VETH_INDEX + 2 * i + 1), 'netns', this.nsName(eb.host)]);
    }));
    // Per host, in order: bridges, ports, links up, addresses, routes, then sysctls (which may
    // name interfaces).
    await settleAll(t.hosts.map(async (h) => {
      const ns = this.nsName(h);
      for (const br of (t.bridges ?? []).filter((b) => b.at === h)) {
        // No STP, no forwarding delay: ports forward as soon as they are up.
        await ip(['-n', ns, 'link', 'add', br.name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
        for (const port of br.ports) await ip(['-n', ns, 'link', 'set', port, 'master', br.name]);
      }
      for (const ifname of this.interfacesOf(h)) await ip(['-n', ns, 'link', 'set', ifname, 'up']);
      for (const [key, cidrs] of Object.entries(t.addresses ?? {})) {
        const ep = splitEndpoint(key)!;
        if (ep.host !== h) continue;
        for (const cidr of cidrs) await ip(['-n', ns, 'addr', 'add', cidr, 'dev', ep.ifname]);
      }
      for (const route of t.routes?.[h] ?? []) await ip(['-n', ns, 'route', 'add', ...route.trim().split(/\s+/)]);
      const sysctls = [...(t.sysctls?.[h] ?? [])];
      // Where br_netfilter is loaded, bridged frames would pass this namespace's iptables (and make
      // conntrack entries); a switch host should just switch unless asked otherwise.
      if ((t.bridges ?? []).some((b) => b.at === h && !b.netfilter)) {
        sysctls.unshift('-e', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0');
      }
      if (sysctls.length > 0) await this.sysctl(h, sysctls);
      await this.waitUntilUp(h);
    }));
  }

  /**
   * Carrier, operstate, the qdisc and bridge port state follow an `up` through the kernel's
   * linkwatch, which may batch them for up to a second; until then packets are dropped. So a lab
   * is ready only when every link and bridge reports UP and every bridge port forwards.
   */
  private async waitUntilUp(host: string): Promise<void> {
    const ns = this.nsName(host);
    const expected = this.interfacesOf(host).filter((n) => !(this.topology.bridges ?? []).some((b) => b.at === host && b.name === n && b.ports.length === 0));
    if (expected.length === 0) return;
    let pending: string[] = expected;
    await waitFor(`interfaces of host ${host} to come up`, async () => {
      const links = JSON.parse(await ip(['-n', ns, '-j', '-d', 'link', 'show'])) as LinkJson[];
      pending = expected.filter((name) => {
        const l = links.find((x) => x.ifname === name);
        if (!l || l.operstate !== 'UP') return true;
        return l.linkinfo?.info_slave_kind === 'bridge' && l.linkinfo.info_slave_data?.state !== 'forwarding';
      });
      return pending.length === 0;
    }, { timeoutMs: LINK_UP_TIMEOUT_MS, intervalMs: 10 }).catch((e: Error) => {
      throw new Error(`${e.message} (still down: ${pending.join(', ')})`);
    });
  }

  /** Link and bridge interfaces of a host, links first. */
  private interfacesOf(host: string): string[] {
    const names: string[] = [];
    for (const link of this.topology.links ?? []) {
      for (const end of link) {
        const ep = splitEndpoint(end)!;
        if (ep.host === host) names.push(ep.ifname);
      }
    }
    for (const br of this.topology.bridges ?? []) if (br.at === host) names.push(br.name);
    return names;
  }

  private async sysctl(host: string, assignments: string[]): Promise<void> {
    await ip(['netns', 'exec', this.nsName(host), 'sysctl', '-q', '-w', ...assignments]);
  }

  private async teardown(): Promise<void> {
    const problems: string[] = [];
    // Processes first, so nothing keeps a namespace (and its interfaces) alive after its name goes.
    for (const child of this.children) signalChild(child, 'SIGKILL');
    await boundedWait(Promise.all([...this.children].map((c) => c.closed)), KILL_WAIT_MS);
    await Promise.all([...this.namespaces.values()].map(async (ns) => {
      // Leftovers in the namespace are descendants of what we started (setsid daemons, say).
      try {
        for (const pid of await pidsIn(ns)) killQuietly(pid, 'SIGKILL');
      } catch {
        // No such namespace: the build failed before creating it.
      }
      try {
        await ip(['netns', 'del', ns]);
      } catch (e) {
        if ((await listNamespaces().catch(() => [ns])).includes(ns)) problems.push((e as Error).message);
      }
      untrackNamespace(ns);
    }));
    if (problems.length > 0) throw new Error(`lab destroy left namespaces behind:\n  ${problems.join('\n  ')}`);
  }
}

/** Creates the lab, runs fn, and always destroys the lab, whatever fn does. */
export async function withLab<T>(topology: Topology, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(topology);
  let result: T;
  try {
    result = await fn(lab);
  } catch (e) {
    await lab.destroy().catch((d: unknown) => {
      // fn's error is the one the test needs; still say that cleanup failed too.
      process.stderr.write(`withLab: destroy after a failure also failed: ${(d as Error).message}\n`);
    });
    throw e;
  }
  await lab.destroy();
  return result;
}

/** Awaits every promise (so nothing is still running), then throws the first failure. */
async function settleAll(promises: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Waits for p, but no longer than ms (without leaving a timer behind to hold the process open). */
async function boundedWait(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

function signalChild(child: Child, signal: NodeJS.Signals): void {
  // Only while unreaped: then the group id is still our child's.
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  killQuietly(-child.pid, signal);
}

function exitStatus(proc: ChildProcess): number {
  if (proc.exitCode !== null) return proc.exitCode;
  const sig = proc.signalCode;
  return 128 + (sig ? (osConstants.signals[sig] ?? 0) : 0);
}

function capTail(text: string): string {
  return text.length > OUTPUT_CAP ? text.slice(text.length - OUTPUT_CAP) : text;
}
