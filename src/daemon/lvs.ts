// The LVS manager in the daemon: opened when the config has virtual services or IPVS sync,
// applied once at start (a kernel refusal is logged and leaves VRRP and sync running), the sync
// daemon following the VRRP unit's transitions, and the control methods lvs.status, lvs.events
// and lvs.connections.
//
// LVS checkers: the health checkers (src/lvs/checkers, issue 14 item 3) are not wired in yet. The
// lead connects them here: on each checker event, `manager.setServiceDestinations(service,
// shell.runner.table(service), reason)` (their table: live servers, weights, sorry server), or
// per server `manager.attachCheckers(source)` with CheckerEvents. Until then every enabled real
// server is programmed as up (src/lvs/health.ts says so in warnings).
import type { Config } from '../config/index.ts';
import { IpvsClient, readIpvsConnections } from '../kernel/ipvs/index.ts';
import { LvsManager, uncheckedServices } from '../lvs/index.ts';
import type { VrrpShell } from '../vrrp/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';

export interface LvsHandle {
  manager: LvsManager;
  /** Follows the VRRP shell's transitions (IPVS sync daemon role). */
  follow(shell: VrrpShell): void;
  serve(control: ControlServer): void;
  stop(): void;
}

export async function startLvs(config: Config, log: Log): Promise<LvsHandle | undefined> {
  if (config.lvs.virtual_services.length === 0 && config.lvs.sync === undefined) return undefined;
  let ipvs: IpvsClient;
  try {
    ipvs = await IpvsClient.open();
  } catch (e) {
    log('error', `lvs: not applied: ${(e as Error).message}`);
    return undefined;
  }
  const manager = new LvsManager(ipvs, config, log, { connections: () => readIpvsConnections() });
  for (const w of uncheckedServices(config)) log('warn', `lvs: ${w.message} (${w.pointer})`);
  try {
    const { actions } = await manager.apply(config);
    log('info', `lvs: applied ${config.lvs.virtual_services.length} virtual service(s) (${actions.length === 0 ? 'no change' : `${actions.length} change(s)`})`);
  } catch (e) {
    log('error', `lvs: not applied: ${(e as Error).message}`);
  }
  // Backup until the unit says otherwise: a box that is not MASTER receives.
  if (manager.syncSettings !== undefined) await manager.setSyncRole('backup');
  let shell: VrrpShell | undefined;
  const onTransition = (e: { instance: string; group: boolean; to: string }): void => void manager.onVrrpTransition(e);
  return {
    manager,
    follow(s) {
      shell = s;
      s.on('transition', onTransition);
    },
    serve(control) {
      control.handle('lvs.status', () => manager.status());
      control.handle('lvs.events', () => manager.events());
      control.handle('lvs.connections', () => manager.connections());
    },
    stop() {
      shell?.off('transition', onTransition);
      manager.stop();
      ipvs.close();
    },
  };
}
