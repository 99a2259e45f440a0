// The console's view of the real box: the saved config's console block, the kernel (host name,
// uptime, links and addresses), the daemon over its control socket, the daemon's log, the
// config's revisions, and the programs an operator may run.
import { readFileSync, statSync, openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { loadConfigFile, type Config } from '../config/index.ts';
import { RevisionStore } from '../apply/index.ts';
import { formatChecklist, gatherLvsFacts, lvsChecklist } from '../diagnose/index.ts';
import { currentHostname, durableFiles, linkStatus, runTool, startLineShell, streamTool, toolMessage, uptimeSeconds } from '../kernel/index.ts';
import { Rtnl } from '../kernel/rtnetlink/index.ts';
import { isNicLink } from '../net/index.ts';
import { controlRequest, type DaemonStatusView } from './daemon-views.ts';
import type { ConsoleHost, ConsoleSettings, DiagnosticTool, PortView, PowerAction, StatusReport } from './host.ts';

/** The end of the log shown (the file on tmpfs grows without bound until the box restarts). */
const LOG_TAIL_BYTES = 64 * 1024;
const DAEMON_TIMEOUT_MS = 2000;
const DEFAULT_SETTINGS: ConsoleSettings = { idleLogoutS: 900, shell: false };

export interface SystemHostOptions {
  /** Config files, first that loads wins (the saved one, then the board default). */
  readonly configFiles: readonly string[];
  readonly socketPath: string;
  readonly logFile: string;
  readonly identity: { version: string; slot: string };
  /** The upgrade commands, run in this process (the CLI passes them; absent: no Upgrade item). */
  readonly upgrade?: ConsoleHost['upgrade'];
}

export class SystemHost implements ConsoleHost {
  readonly #opts: SystemHostOptions;
  #cached: { key: string; settings: ConsoleSettings } | undefined;

  readonly upgrade?: ConsoleHost['upgrade'];

  constructor(opts: SystemHostOptions) {
    this.#opts = opts;
    if (opts.upgrade) this.upgrade = opts.upgrade;
  }

  settings(): ConsoleSettings {
    // Read again only when a config file changed (the menu asks on every redraw).
    const key = this.#opts.configFiles.map((f) => { try { const s = statSync(f); return `${f}:${s.mtimeMs}:${s.size}`; } catch { return `${f}:-`; } }).join('|');
    if (this.#cached?.key === key) return this.#cached.settings;
    let settings = DEFAULT_SETTINGS;
    for (const f of this.#opts.configFiles) {
      const r = loadConfigFile(f);
      if (!r.ok) continue;
      const c = r.config.console;
      settings = { idleLogoutS: c.idle_logout_s, shell: c.shell, ...(c.password_hash !== undefined ? { passwordHash: c.password_hash } : {}), ...(c.banner !== undefined ? { banner: c.banner } : {}) };
      break;
    }
    this.#cached = { key, settings };
    return settings;
  }

  hostname(): string {
    return currentHostname() ?? '(no hostname)';
  }

  identity(): { version: string; slot: string } {
    return this.#opts.identity;
  }

  async ports(): Promise<PortView[] | string> {
    let rtnl: Rtnl | undefined;
    try {
      rtnl = Rtnl.open();
      const [links, addrs] = await Promise.all([rtnl.links(), rtnl.addresses()]);
      return links.filter((l) => l.name !== 'lo').map((l) => {
        const s = linkStatus(l.name);
        const hw = l.permAddress ?? l.address;
        return {
          name: l.name, state: s.state, ...(l.address !== undefined ? { mac: l.address } : {}),
          addresses: addrs.filter((a) => a.index === l.index && a.local !== undefined).map((a) => `${a.local}/${a.prefixLength}`),
          ...(isNicLink(l) ? { nic: true, ...(hw !== undefined ? { hwMac: hw } : {}) } : {}),
        };
      });
    } catch (e) {
      return (e as Error).message;
    } finally {
      rtnl?.close();
    }
  }

  async status(): Promise<StatusReport> {
    const ask = (method: string): Promise<unknown> => controlRequest(this.#opts.socketPath, method, undefined, DAEMON_TIMEOUT_MS);
    const orText = <T>(p: Promise<unknown>): Promise<T | string> => p.then((v) => v as T, (e: Error) => e.message);
    const ports = this.ports();
    const base = { hostname: this.hostname(), ...this.#opts.identity, ...(uptimeSeconds() !== undefined ? { uptimeS: uptimeSeconds()! } : {}) };
    let daemon: DaemonStatusView;
    try {
      daemon = (await ask('daemon.status')) as DaemonStatusView;
    } catch (e) {
      return { ...base, ports: await ports, daemon: { up: false, why: (e as Error).message } };
    }
    const [vrrp, sync, firewall, tx] = await Promise.all([
      orText(ask('vrrp.status')), orText(ask('sync.status')), orText(ask('firewall.status')), orText<{ pending: { id: number; who: string; summary: string; leftS: number } | null }>(ask('config.status')),
    ]);
    const transaction = typeof tx === 'string' ? tx : { pending: tx.pending === null ? null : { id: tx.pending.id, who: tx.pending.who, summary: tx.pending.summary, secondsLeft: tx.pending.leftS } };
    return { ...base, ports: await ports, transaction, daemon: { up: true, status: daemon, vrrp, sync, firewall } as StatusReport['daemon'] };
  }

  async diagnoseLvs(): Promise<string[]> {
    const loaded = this.#opts.configFiles.map((f) => ({ f, r: loadConfigFile(f) })).find((x) => x.r.ok);
    if (loaded === undefined || !loaded.r.ok) return [`No config loads (${this.#opts.configFiles.join(', ')}): nothing to check.`];
    const config = loaded.r.config;
    const lines = lvsChecklist(config, await gatherLvsFacts(config));
    const failed = lines.filter((l) => l.verdict === 'FAIL').length;
    return [`${loaded.f}:`, ...formatChecklist(lines), failed === 0 ? 'No problem found.' : `${failed} problem${failed === 1 ? '' : 's'} found.`];
  }

  logTail(): { text: string } | { error: string } {
    const path = this.#opts.logFile;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      return { error: `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no log yet (the daemon has not written one)' : (e as Error).message}` };
    }
    try {
      const size = fstatSync(fd).size;
      const n = Math.min(size, LOG_TAIL_BYTES);
      const buf = Buffer.alloc(n);
      readSync(fd, buf, 0, n, size - n);
      let text = buf.toString('utf8');
      // Cut at a line start when the tail began mid-line.
      if (n < size) text = text.slice(text.indexOf('\n') + 1);
      return { text };
    } finally {
      closeSync(fd);
    }
  }

  savedConfig(): { path: string; text: string } | { error: string } {
    for (const path of this.#opts.configFiles) {
      try {
        return { path, text: readFileSync(path, 'utf8') };
      } catch {
        // The next one (the board default).
      }
    }
    return { error: `no config file: ${this.#opts.configFiles.join(', ')}` };
  }

  boardDefault(): { path: string; text: string } | { error: string } {
    const files = this.#opts.configFiles;
    const path = files.length > 1 ? files[files.length - 1] : undefined;
    if (path === undefined) return { error: 'no board default config is known to this console' };
    try {
      return { path, text: readFileSync(path, 'utf8') };
    } catch (e) {
      return { error: `${path}: ${(e as Error).message}` };
    }
  }

  async runningConfig(): Promise<{ config: Config } | { error: string }> {
    try {
      return { config: ((await controlRequest(this.#opts.socketPath, 'config.running', undefined, DAEMON_TIMEOUT_MS)) as { config: Config }).config };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  revisionText(revision: number): string | { error: string } {
    const saved = this.#opts.configFiles[0];
    const text = saved === undefined ? undefined : new RevisionStore(durableFiles, saved).text(revision);
    return text ?? { error: `no revision ${revision} kept` };
  }

  history(): Array<{ revision: number; who: string; at: string; summary: string }> {
    const saved = this.#opts.configFiles[0];
    return saved === undefined ? [] : new RevisionStore(durableFiles, saved).history();
  }

  async diagnose(tool: DiagnosticTool, target: string, onLine: (line: string) => void, signal: AbortSignal): Promise<string> {
    // Bounded: 4 echoes 2 s apart at most; 15 hops of one probe, 2 s each.
    const run = tool === 'ping'
      ? await streamTool('ping', ['-c', '4', '-W', '2', target], { onLine, signal, timeoutMs: 20_000 })
      : await streamTool('traceroute', ['-n', '-m', '15', '-q', '1', '-w', '2', target], { onLine, signal, timeoutMs: 45_000 });
    if (run.startError) return `${tool}: ${run.startError}`;
    if (run.timedOut) return `${tool} stopped: it ran past its time limit.`;
    return `${tool} ended (status ${run.code}).`;
  }

  async power(action: PowerAction): Promise<string> {
    const r = await runTool(action === 'reboot' ? 'reboot' : 'poweroff', []);
    return r.code === 0 ? `${action}: init is taking the box down.` : `${action} failed: ${toolMessage(r, action)}`;
  }

  shell(): ReturnType<ConsoleHost['shell']> {
    return startLineShell();
  }
}
