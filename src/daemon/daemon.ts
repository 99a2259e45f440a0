// `stockade daemon`: the long-running part (busybox init respawns it). Today it runs VRRP and
// conntrack sync (src/daemon/sync.ts; a sync failure is logged and leaves VRRP running), wired
// together by failover-run.ts (commit before the VIPs move, start-up preempt hold). Sync starts
// first so that its master hook is in place before VRRP's first transition. The firewall manager
// (src/firewall/manager.ts) applies the full ruleset before both. LVS joins here as it is built,
// wired through events (the shell's `transition` events and master hooks). It serves the control socket and logs syslog-style
// lines. SIGTERM/SIGINT: sync sockets closed, priority-0 adverts from every MASTER, VIPs removed,
// then exit 0.
import type { Vrrp } from '../config/generated/config.ts';
import { startVrrp } from '../vrrp/shell/run.ts';
import type { VrrpRuntime } from '../vrrp/shell/run.ts';
import { chooseConfig } from './config.ts';
import { ControlServer } from './control.ts';
import type { Log } from './log.ts';
import { vrrpStatusView } from './vrrp-status.ts';
import { serveSync, startSync } from './sync.ts';
import { startFailover } from './failover-run.ts';
import { startFirewallManager, systemFirewallKernel } from '../firewall/index.ts';
import type { FailoverHandle } from './failover-run.ts';

export interface DaemonOptions {
  configFile: string;
  /** The board's default config, used when configFile does not load; undefined: no fallback. */
  defaultConfigFile: string | undefined;
  socketPath: string;
}

export interface DaemonHandle {
  /** Resolves with the exit status once the daemon has stopped. */
  readonly done: Promise<number>;
  stop(reason: string): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions, log: Log, version: string): Promise<DaemonHandle> {
  const choice = chooseConfig(opts.configFile, opts.defaultConfigFile);
  if (!choice.ok) throw new Error(`no usable config: ${choice.message}`);
  if (choice.fallback) log('warn', `config: ${opts.configFile} not usable (${choice.why}); running the board default ${choice.file}`);
  log('info', `stockade ${version} daemon starting, config ${choice.file}`);

  const control = await ControlServer.listen(opts.socketPath);
  // The full firewall before VRRP and sync start (boot's system rules already let them through).
  const firewall = await startFirewallManager(choice.config, systemFirewallKernel(), log);
  const sync = await startSync(choice.config, log);
  let vrrp: VrrpRuntime | undefined;
  let failover: FailoverHandle | undefined;
  const v: Vrrp | undefined = choice.config.vrrp;
  try {
    if (v && v.instances.length > 0) {
      // The failover hooks go in before any instance can become MASTER.
      vrrp = await startVrrp(v, log, (shell) => {
        failover = startFailover(choice.config, sync.service, shell, log);
      });
      log('info', `vrrp: ${v.instances.length} instance(s) started`);
    } else {
      log('info', 'vrrp: no instances configured');
    }
  } catch (e) {
    sync.service?.stop();
    firewall.stop();
    await control.close();
    throw e;
  }
  serveSync(control, sync.service, sync.reason);
  const started = Date.now();
  control.handle('ping', () => ({ pong: true, version, pid: process.pid }));
  control.handle('firewall.status', () => firewall.view(systemFirewallKernel({ counters: true })));
  control.handle('vrrp.status', () => vrrpStatusView(vrrp?.shell.status(), Date.now() - started));

  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log('info', `stopping (${reason})`);
      let code = 0;
      failover?.stop();
      firewall.stop();
      try {
        sync.service?.stop();
      } catch (e) {
        log('error', `sync: stop: ${(e as Error).message}`);
        code = 1;
      }
      try {
        await vrrp?.stop();
      } catch (e) {
        log('error', `vrrp: stop: ${(e as Error).message}`);
        code = 1;
      }
      await control.close();
      log('info', 'stopped');
      resolveDone(code);
    })();
    return stopping;
  };
  return { done, stop };
}
