// The checkers on the box, in one call for the daemon: the config's lvs section -> specs -> the
// shell on kernel probes, started. The caller listens to shell.on('event') (and reads
// shell.runner.table(service) to program IPVS), feeds shell.vipHeld() from VRRP for ha_suspend
// services, and calls stop() at shutdown.
import type { Lvs } from '../../config/index.ts';
import { servicesFromConfig } from './from-config.ts';
import { kernelWorld } from './kernel-io.ts';
import { CheckerShell, type ShellWorld } from './shell.ts';
import type { CheckSpec, ServiceSpec } from './spec.ts';
import type { CheckerEvent } from './service.ts';

export type CheckerLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface CheckerRuntime {
  shell: CheckerShell;
  stop(): void;
}

export interface StartOptions {
  /** Subscribed before the first check (a service starting without its quorum says so at once). */
  onEvent?: (e: CheckerEvent) => void;
  /** Fixes the first checks' delay (tests); default random up to each check's warm-up. */
  warmup?: (maxMs: number) => number;
  /** The state a check starts in when known (see RunnerOptions.initialUp). */
  initialUp?: (spec: CheckSpec) => boolean | undefined;
  /** The probes, clock and programs (tests: a fake world); default: the box's (kernel-io.ts). */
  world?: ShellWorld & { close(): void };
}

/** `specs` instead of a config: tests. */
export function startCheckers(lvs: Lvs | { specs: ServiceSpec[] }, log: CheckerLogger, opts: StartOptions = {}): CheckerRuntime {
  const world = opts.world ?? kernelWorld(log);
  const shell = new CheckerShell('specs' in lvs ? lvs.specs : servicesFromConfig(lvs), world, {
    ...(opts.warmup ? { warmup: opts.warmup } : {}),
    ...(opts.initialUp ? { initialUp: opts.initialUp } : {}),
  });
  shell.on('log', log);
  // The line first, as keepalived does: what the caller does with the event (the table) comes after.
  shell.on('event', (e) => {
    if (e.kind === 'server') log(e.up ? 'info' : 'warn', `lvs: ${e.service}: real server ${e.server} ${e.up ? 'up' : 'down'}: ${e.reason}`);
    else if (e.kind === 'quorum') log(e.up ? 'info' : 'warn', `lvs: ${e.service}: quorum ${e.up ? 'regained' : `lost${e.sorryServer ? ' (sorry server in)' : ''}`}: ${e.reason}`);
    else log('info', `lvs: ${e.service}: real server ${e.server} weight ${e.weight}: ${e.reason}`);
  });
  if (opts.onEvent) shell.on('event', opts.onEvent);
  shell.start();
  return {
    shell,
    stop() {
      shell.stop();
      world.close();
    },
  };
}
