// `stockade daemon`: the long-running part (busybox init respawns it). Today it runs VRRP and
// conntrack sync (src/daemon/sync.ts; a sync failure is logged and leaves VRRP running), wired
// together by failover-run.ts (commit before the VIPs move, start-up preempt hold). Sync starts
// first so that its master hook is in place before VRRP's first transition. The firewall manager
// (src/firewall/manager.ts) applies the full ruleset before both. The LVS manager (src/lvs) then
// programs the virtual services (a failure is logged, VRRP still starts) and runs the IPVS sync
// daemon as the followed VRRP unit's `transition` events say. It serves the control socket and logs syslog-style
// lines. SIGTERM/SIGINT: sync sockets closed, priority-0 adverts from every MASTER, VIPs removed,
// then exit 0. A fault anywhere makes the same stop with a non-zero status (crash-guard.ts).
//
// Test hooks (`testHooks`, from STOCKADE_TEST_HOOKS=1 in the daemon's environment, which the
// image's inittab never sets): the control method `test.fault` makes the daemon fail from an event
// loop callback, outside any try, as a bug would; the lab's crash test uses it. With it,
// STOCKADE_TEST_PERSIST_PAUSE_MS=N also blocks N ms around each file write of a confirm's persist
// (the lab's kill -9 test lands there). Without the variable neither exists.
import { chooseConfig, type Vrrp } from '../config/index.ts';
import { startVrrp, type VrrpRuntime } from '../vrrp/index.ts';
import { ControlServer } from './control.ts';
import type { Log, LogStats } from './log.ts';
import { vrrpStatusView, type DaemonStatusView } from '../control/index.ts';
import { resolveGroup } from './group.ts';
import { serveSync, startSync, SyncService } from './sync.ts';
import { syncApplier, type SyncSlot } from './sync-apply.ts';
import { startFailover } from './failover-run.ts';
import { startFirewallManager, systemFirewallKernel } from '../firewall/index.ts';
import type { FailoverHandle } from './failover-run.ts';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RevisionStore, type RevisionFiles } from '../apply/index.ts';
import { auditFiles, durableFiles } from '../kernel/index.ts';
import { serveTransactions } from './transaction.ts';
import { firewallApplier, lvsApplier, managementApplier, netApplier, segmentsApplier, vrrpApplier, type VrrpSlot } from './appliers.ts';
import { segmentsFollow, serveSegmentOps, startSegmentsPart } from './segments.ts';
import { startLvs, type LvsHandle } from './lvs.ts';

export interface DaemonOptions {
  configFile: string;
  /** The board's default config, used when configFile does not load; undefined: no fallback. */
  defaultConfigFile: string | undefined;
  socketPath: string;
  /** The `test.fault` control method (see the header). */
  testHooks?: boolean;
  /**
   * Test hook (with testHooks only): each file operation of a confirm's persist is preceded and
   * followed by a pause this long, the whole daemon blocked, so a test's kill -9 lands between
   * them (the lab's persist test). Never set on a box.
   */
  persistPauseMs?: number;
  /** The log's counters, for `daemon.status`. */
  logStats?: () => LogStats;
}

export interface DaemonHandle {
  /** Resolves with the exit status once the daemon has stopped. */
  readonly done: Promise<number>;
  /** `exitCode` (at least) becomes the daemon's exit status. */
  stop(reason: string, exitCode?: number): Promise<void>;
  /** SIGHUP: the saved config re-read and applied as a transaction (logged; never throws). */
  reload(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions, log: Log, version: string): Promise<DaemonHandle> {
  const choice = chooseConfig(opts.configFile, opts.defaultConfigFile);
  if (!choice.ok) throw new Error(`no usable config: ${choice.message}`);
  if (choice.fallback) log('warn', `config: ${opts.configFile} not usable (${choice.why}); running the board default ${choice.file}`);
  log('info', `stockade ${version} daemon starting, config ${choice.file}`);

  const mgmt = choice.config.management;
  let group: number | undefined;
  if (mgmt.control_group !== undefined) {
    const g = resolveGroup(mgmt.control_group);
    if ('gid' in g) group = g.gid;
    else log('error', `control: ${g.error}; the control socket is for root only`);
  }
  const control = await ControlServer.listen(opts.socketPath, { group, maxClients: mgmt.control_max_clients, log, starting: true });
  if (opts.testHooks) log('warn', 'test hooks on (STOCKADE_TEST_HOOKS): control method test.fault can crash this daemon; never in production');
  // The full firewall before VRRP and sync start (boot's system rules already let them through).
  const firewall = await startFirewallManager(choice.config, systemFirewallKernel(), log);
  const lvs: LvsHandle = await startLvs(choice.config, log);
  const segments = await startSegmentsPart(choice.config, log, control);
  let sync = await startSync(choice.config, log);
  let vrrp: VrrpRuntime | undefined;
  let failover: FailoverHandle | undefined;
  // VRRP with its wiring; also what a config transaction uses when the running config had no instances.
  const vrrpSlot: VrrpSlot = {
    get: () => vrrp,
    async start(config) {
      // The failover hooks go in before any instance can become MASTER.
      vrrp = await startVrrp(config.vrrp, log, (shell) => {
        failover = startFailover(config, sync.service, shell, log);
        lvs?.follow(shell);
        segmentsFollow(segments, shell);
      });
      log('info', `vrrp: ${config.vrrp.instances.length} instance(s) started`);
      return vrrp;
    },
    async stop() {
      failover?.stop();
      failover = undefined;
      const r = vrrp;
      vrrp = undefined;
      await r?.stop();
    },
  };
  // Sync in a config transaction (sync-apply.ts says when it restarts and when it changes in place).
  const syncSlot: SyncSlot = {
    async restart(config) {
      failover?.stop();
      failover = undefined;
      sync.service?.stop();
      sync = { service: undefined, reason: 'restarting for a config apply' };
      const s = config.sync;
      if (s === undefined || !s.enabled) {
        sync = { service: undefined, reason: s === undefined ? 'not configured' : 'disabled in the config' };
        log('info', `sync: ${sync.reason} (config apply)`);
      } else {
        sync = { service: await SyncService.start(config, s, log), reason: '' };
        // The caches went with the old part: the peer's table again.
        if (!s.stats_only && s.mode !== 'alarm') sync.service!.requestResync();
        log('info', `sync: restarted for a config apply (${s.mode} over ${s.transport}, ${sync.service!.status().local} -> ${sync.service!.status().peer} port ${s.port})`);
      }
      syncSlot.rewire(config);
    },
    retune(config) {
      if (config.sync !== undefined) sync.service?.retune(config, config.sync);
    },
    rewire(config) {
      failover?.stop();
      failover = vrrp ? startFailover(config, sync.service, vrrp.shell, log, false) : undefined;
    },
  };
  const v: Vrrp | undefined = choice.config.vrrp;
  try {
    if (v && v.instances.length > 0) await vrrpSlot.start(choice.config);
    else log('info', 'vrrp: no instances configured');
  } catch (e) {
    sync.service?.stop();
    firewall.stop();
    lvs?.stop();
    await control.close();
    throw e;
  }
  serveSync(control, () => sync);
  const started = Date.now();
  control.handle('ping', () => ({ pong: true, version, pid: process.pid }));
  control.handle('firewall.status', () => firewall.view(systemFirewallKernel({ counters: true })));
  lvs?.serve(control);
  control.handle('vrrp.status', () => vrrpStatusView(vrrp?.shell.status(), Date.now() - started));
  // Config transactions (config apply/confirm/abort/status/rollback); revisions and the audit
  // log live beside the saved config (/data on the box).
  const transactions = serveTransactions({
    control, log,
    // One applier per part that can change live (src/apply/parts.ts orders them); a part with
    // none refuses a change to it. Parts add theirs here.
    appliers: [netApplier, firewallApplier(firewall), vrrpApplier(vrrpSlot), syncApplier(syncSlot), lvsApplier(lvs), segmentsApplier(segments), managementApplier()],
    store: new RevisionStore(opts.testHooks && opts.persistPauseMs ? pausingFiles(opts.persistPauseMs) : durableFiles, opts.configFile),
    audit: { files: auditFiles, path: join(dirname(opts.configFile), 'audit.log') },
    initial: { config: choice.config, text: readFileSync(choice.file, 'utf8') },
  });
  // What `config plan` compares a new file with: the config this daemon runs now (not the file
  // on disk, which may have been edited since).
  control.handle('config.running', () => ({ file: choice.file, fallback: choice.fallback, config: transactions.running().config }));
  serveSegmentOps(control, transactions);
  control.handle('daemon.status', (): DaemonStatusView => ({
    pid: process.pid, version, uptimeMs: Date.now() - started, config: choice.file, fallback: choice.fallback,
    testHooks: opts.testHooks === true, control: control.stats(), log: opts.logStats?.() ?? null,
  }));
  if (opts.testHooks) {
    control.handle('test.fault', (p) => {
      const kind = (p as { kind?: unknown } | undefined)?.kind;
      if (kind !== 'throw' && kind !== 'reject') throw new Error("test.fault needs kind 'throw' or 'reject'");
      log('warn', `test.fault: ${kind} on the next loop turn`);
      setImmediate(() => {
        if (kind === 'throw') throw new Error('test.fault: thrown from an event loop callback');
        void Promise.reject(new Error('test.fault: a rejection nobody handles'));
      });
      return { scheduled: kind };
    });
  }
  control.ready();

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  // A fault during a SIGTERM stop still makes the status non-zero.
  let exitFloor = 0;
  const stop = (reason: string, exitCode = 0): Promise<void> => {
    exitFloor = Math.max(exitFloor, exitCode);
    stopping ??= (async () => {
      log('info', `stopping (${reason})`);
      let code = 0;
      failover?.stop();
      transactions.stop();
      firewall.stop();
      lvs?.stop();
      await segments.stop().catch((e: Error) => log('error', `segments: stop: ${e.message}`));
      try {
        sync.service?.stop();
      } catch (e) {
        log('error', `sync: stop: ${(e as Error).message}`);
        code ||= 1;
      }
      try {
        await vrrp?.stop();
      } catch (e) {
        log('error', `vrrp: stop: ${(e as Error).message}`);
        code ||= 1;
      }
      await control.close();
      log('info', 'stopped');
      resolveDone(Math.max(code, exitFloor));
    })();
    return stopping;
  };
  return { done, stop, reload: () => transactions.reload(opts.configFile, (f) => readFileSync(f, 'utf8')) };
}

/** The persist test hook (DaemonOptions.persistPauseMs): blocks, as a slow disk would. */
function pausingFiles(ms: number): RevisionFiles {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const pause = (): void => void Atomics.wait(cell, 0, 0, ms);
  return {
    ...durableFiles,
    write(path, text) { pause(); durableFiles.write(path, text); pause(); },
    remove(path) { pause(); durableFiles.remove(path); },
  };
}
