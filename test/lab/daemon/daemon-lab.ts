// The daemon tests' own start: the built `stockade daemon` with top-level config sections beside
// the VRRP ones nodeConfig makes (sync, management), and the test hooks when asked for
// (STOCKADE_TEST_HOOKS=1, see src/daemon/daemon.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../harness.ts';
import { STOCKADE_BIN, nodeConfig } from '../helpers/stockade-daemon.ts';
import type { DaemonNode, NodeSpec } from '../helpers/stockade-daemon.ts';
import { controlRequest, type DaemonStatusView } from '../../../src/control/index.ts';

export interface DaemonSpec extends NodeSpec {
  /** Top-level config sections, e.g. { sync: {...} }. */
  sections?: Record<string, unknown>;
  testHooks?: boolean;
}

export function spawnDaemon(lab: Lab, dir: string, spec: DaemonSpec): DaemonNode {
  const config = join(dir, `${spec.host}.json`);
  const socket = join(dir, `${spec.host}.sock`);
  writeFileSync(config, JSON.stringify({ ...(nodeConfig(spec) as object), ...spec.sections }, null, 2));
  const env = spec.testHooks ? ['STOCKADE_TEST_HOOKS=1'] : [];
  // A UTS namespace of its own: a transaction that changes system.hostname renames this daemon's
  // box, never the machine the lab runs on (unshare execs, so the PID is the daemon's).
  const proc = lab.spawn(spec.host, ['unshare', '--uts', 'env', '-u', 'STOCKADE_NATIVE', ...env, STOCKADE_BIN, 'daemon', '--config', config, '--default-config', 'none', '--socket', socket]);
  return { proc, socket, host: spec.host };
}

/** The control socket is a file: the test process asks it directly, no namespace needed. */
export const daemonStatus = (d: DaemonNode): Promise<DaemonStatusView> => controlRequest(d.socket, 'daemon.status') as Promise<DaemonStatusView>;
