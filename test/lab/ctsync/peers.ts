// Shared by the ctsync lab tests and bench: conntrackd instances (config in a temp dir, own lock
// file and unix socket per instance, killed by PID), Stockade sync nodes (the lab helper on the
// driver), `stockade daemon`s with a sync section, and reading conntrack tables.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lab, LabProcess } from '../harness.ts';
import { runHelper, spawnHelper, waitLine } from '../native/addon.ts';
import { STOCKADE_BIN } from '../helpers/stockade-daemon.ts';
import type { DaemonNode } from '../helpers/stockade-daemon.ts';
import type { SyncStatusView } from '../../../src/control/index.ts';

export const PORT = 3780;

let dir: string | undefined;
/** One temp dir per test process, removed at exit. */
export function tempDir(): string {
  if (dir === undefined) {
    const d = mkdtempSync(join(tmpdir(), 'stockade-ctsync-'));
    dir = d;
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

export interface Conntrackd {
  conf: string;
  /** Its UNIX control socket (the one `conntrackd -C conf` talks to). */
  socket: string;
  proc: LabProcess;
  host: string;
  stop(): Promise<void>;
}

let instances = 0;

/** General settings and the sync interface (defaults: the tests' small daemon on eth0). */
export interface ConntrackdOptions {
  interface?: string;
  hashSize?: number;
  hashLimit?: number;
  netlinkBufferSize?: number;
  netlinkBufferSizeMaxGrowth?: number;
}

/** `peer` 'mcast:GROUP' makes a Multicast channel instead of UDP. */
export async function startConntrackd(lab: Lab, host: string, local: string, peer: string, extra = '', mode = 'FTFW { }', opts: ConntrackdOptions = {}): Promise<Conntrackd> {
  const d = tempDir();
  const n = `ctd${++instances}`;
  const conf = join(d, `${n}.conf`);
  const ifname = opts.interface ?? 'eth0';
  writeFileSync(conf, `General {
  HashSize ${opts.hashSize ?? 8192}
  HashLimit ${opts.hashLimit ?? 262144}
  LogFile ${d}/${n}.log
  Syslog off
  LockFile ${d}/${n}.lock
  UNIX { Path ${d}/${n}.sock }
  NetlinkBufferSize ${opts.netlinkBufferSize ?? 2097152}
  NetlinkBufferSizeMaxGrowth ${opts.netlinkBufferSizeMaxGrowth ?? 8388608}
}
Sync {
  Mode ${mode}
  ${peer.startsWith('mcast:') ? `Multicast {
    IPv4_address ${peer.slice(6)}
    Group ${PORT}
    IPv4_interface ${local}
    Interface ${ifname}
    Checksum on
  }` : `UDP {
    IPv4_address ${local}
    IPv4_Destination_Address ${peer}
    Port ${PORT}
    Interface ${ifname}
    Checksum on
  }`}
${extra}
}
`);
  const proc = lab.spawn(host, ['conntrackd', '-C', conf]);
  await lab.waitFor(`conntrackd on ${host} up`, () => existsSync(`${d}/${n}.sock`) || undefined, { timeoutMs: 10_000, intervalMs: 50 });
  return {
    conf, proc, host, socket: `${d}/${n}.sock`,
    stop: async () => { proc.kill('SIGTERM'); await proc.exited; },
  };
}

/** `conntrackd -e` (external cache) or `-i` lines. */
export async function ctdCache(lab: Lab, c: Conntrackd, which: '-e' | '-i'): Promise<string[]> {
  const r = await lab.exec(c.host, ['conntrackd', '-C', c.conf, which], { check: false });
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

export async function conntrackLines(lab: Lab, host: string): Promise<string[]> {
  const r = await lab.exec(host, ['conntrack', '-L'], { check: false });
  return r.stdout.split('\n').filter((l) => /^(tcp|udp|icmp)\s/.test(l));
}

export interface StockadeNode {
  proc: LabProcess;
  /** SIGUSR1: the node's caches and statistics. */
  state(): Promise<{ internal: Array<Record<string, unknown>>; external: Array<Record<string, unknown>>; stats: Record<string, unknown> }>;
  /** SIGUSR2: commit the external cache to the kernel. */
  commit(): Promise<{ committed: number; failed: number[] }>;
}

export async function startNode(lab: Lab, host: string, local: string, peer: string, opts: string[] = []): Promise<StockadeNode> {
  const proc = spawnHelper(lab, host, 'ctsync-node.ts', [local, peer, String(PORT), ...opts]);
  await waitLine(lab, proc, `stockade sync node on ${host}`, (l) => l['ready'] === true);
  // Only complete lines: a big state line may still be arriving.
  // (The captured stdout keeps its last 8 MiB, so the first line may be cut: skipped.)
  const complete = (): Array<Record<string, unknown>> => {
    const text = proc.stdout();
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').flatMap((l) => {
      try {
        return l.trim() === '' ? [] : [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  };
  const nextLine = async (key: string, before: number): Promise<Record<string, unknown>> =>
    lab.waitFor(`${key} from ${host}`, () => complete().slice(before).find((l) => l[key] !== undefined), { timeoutMs: 30_000, intervalMs: 20 });
  return {
    proc,
    state: async () => {
      const before = complete().length;
      proc.kill('SIGUSR1');
      return (await nextLine('external', before)) as never;
    },
    commit: async () => {
      const before = complete().length;
      proc.kill('SIGUSR2');
      return (await nextLine('committed', before)) as never;
    },
  };
}

/**
 * The built `stockade daemon` with only a sync section (eth0 to `peer`, plus `extra` settings),
 * config and control socket in `dir`. It finds its addon next to the executable, as shipped;
 * `env` execs it in place, so proc.pid is the daemon's.
 */
export function startSyncDaemon(lab: Lab, dir: string, host: string, local: string, peer: string, extra: Record<string, unknown> = {}): DaemonNode {
  const config = join(dir, `${host}.json`);
  const socket = join(dir, `${host}.sock`);
  writeFileSync(config, JSON.stringify({
    version: 1,
    interfaces: { ports: [{ name: 'eth0' }] },
    addresses: [{ interface: 'eth0', static: [`${local}/24`] }],
    sync: { interface: 'eth0', peer, ...extra },
  }, null, 2));
  const proc = lab.spawn(host, ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { host, socket, proc };
}

/** `stockade ctl sync -s --json` of a daemon, or undefined while it does not answer. */
export async function syncStatus(lab: Lab, d: DaemonNode): Promise<SyncStatusView | undefined> {
  const r = await lab.exec(d.host, [STOCKADE_BIN, 'ctl', 'sync', '-s', '--json', '--socket', d.socket], { check: false, timeoutMs: 10_000 });
  return r.code === 0 ? (JSON.parse(r.stdout) as SyncStatusView) : undefined;
}

/** Creates n entries in host's kernel through our batch writer (much faster than conntrack -I). */
export async function loadEntries(lab: Lab, host: string, n: number, base = 0): Promise<void> {
  const items = Array.from({ length: n }, (_, k) => {
    const i = base + k;
    const src = `198.51.100.${1 + (i % 250)}`;
    const sport = 1024 + Math.floor(i / 250);
    return {
      op: 'create',
      entry: {
        orig: { src, dst: '203.0.113.80', proto: 6, sport, dport: 80 },
        reply: { src: '203.0.113.80', dst: src, proto: 6, sport: 80, dport: sport },
        status: 0x0e, timeout: 3600, mark: i % 7,
        tcp: { state: 3, flagsOrig: { flags: 8, mask: 8 }, flagsReply: { flags: 8, mask: 8 } },
      },
    };
  });
  const f = join(tempDir(), `load-${host}-${base}-${n}.json`);
  writeFileSync(f, JSON.stringify(items));
  const [r] = await runHelper(lab, host, 'ctnetlink-tool.ts', ['batch', f], 60_000);
  if ((r!['failed'] as unknown[]).length !== 0) throw new Error(`loadEntries: ${JSON.stringify(r!['failed']).slice(0, 300)}`);
}

/** conntrackd's control commands used here (include/conntrackd.h). */
export const CTD_STATS = 21;

/**
 * One request on conntrackd's UNIX socket, as its CLI makes it: the command as a native-endian
 * 4-byte int, then the daemon's text until it closes. (The bench polls both daemons over their
 * sockets from its own process, so neither poll pays a process start.)
 */
export function conntrackdRequest(socket: string, command: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`conntrackd at ${socket}: no answer to ${command} in ${timeoutMs} ms`)); }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => {
      const b = Buffer.alloc(4);
      if (endianness() === 'LE') b.writeInt32LE(command);
      else b.writeInt32BE(command);
      s.write(b);
    });
    s.on('data', (d: string) => { text += d; });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('close', () => { clearTimeout(timer); resolve(text); });
  });
}

/** "cache external: current active connections" of conntrackd's STATS text (0 when absent). */
export function ctdExternalActive(stats: string): number {
  const m = /cache external:\s*\n\s*current active connections:\s*(\d+)/.exec(stats);
  return m === null ? 0 : Number(m[1]);
}
