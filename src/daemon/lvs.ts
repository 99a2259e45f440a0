// The LVS part of the daemon: when the config has virtual services or IPVS sync, the IPVS client,
// the manager (src/lvs/manager.ts) and the health checks (src/lvs/health.ts) that program each
// service's destinations from their results. Applied once at start (a kernel refusal is logged
// and leaves VRRP and sync running); the sync daemon and ha_suspend follow the VRRP shell's
// transitions; a config transaction's lvs change goes through applyConfig (lvs-applier.ts). The
// control methods lvs.status, lvs.events and lvs.connections.
import type { Config } from '../config/index.ts';
import { IpvsClient, readIpvsConnections } from '../kernel/ipvs/index.ts';
import { writeSysctl } from '../kernel/index.ts';
import { formatAction, LvsHealth, LvsManager } from '../lvs/index.ts';
import type { VrrpShell } from '../vrrp/index.ts';
import type { ControlServer } from './control.ts';
import type { Log } from './log.ts';

export interface LvsHandle {
  /** Follows the VRRP shell's transitions (IPVS sync daemon role, ha_suspend). */
  follow(shell: VrrpShell): void;
  serve(control: ControlServer): void;
  /**
   * Makes the running LVS part match `next` (services, checks, sync): only what differs is
   * written; a refusal leaves `previous` running and throws. Resolves to the undo.
   */
  applyConfig(previous: Config, next: Config): Promise<() => Promise<void>>;
  stop(): void;
}

interface Running {
  ipvs: IpvsClient;
  manager: LvsManager;
  health: LvsHealth;
}

const hasLvs = (config: Config): boolean => config.lvs.virtual_services.length > 0 || config.lvs.sync !== undefined;

const VS_CONNTRACK = 'net.ipv4.vs.conntrack';

/**
 * IPVS keeps conntrack entries for its connections: the firewall drops INVALID in FORWARD, and a
 * NAT real server's SYN-ACK that conntrack never saw is INVALID; with the entry kept (and its
 * reply side rewritten by IPVS) the reply is ESTABLISHED, and conntrack sync carries LVS
 * connections to the peer. A value in the config's sysctls wins.
 */
function keepConntrack(config: Config, log: Log): void {
  if (config.sysctls[VS_CONNTRACK] !== undefined) return;
  const r = writeSysctl(VS_CONNTRACK, 1);
  if (r.status === 'failed') log('error', `lvs: ${VS_CONNTRACK}=1 not set (${r.reason}): NAT real servers' replies will be dropped as INVALID`);
}

export async function startLvs(config: Config, log: Log): Promise<LvsHandle> {
  let running: Running | undefined;
  let shell: VrrpShell | undefined;

  const open = async (c: Config): Promise<Running> => {
    const ipvs = await IpvsClient.open();
    keepConntrack(c, log);
    const manager = new LvsManager(ipvs, c, log, { connections: () => readIpvsConnections() });
    return { ipvs, manager, health: new LvsHealth(manager, log) };
  };
  /** Checks for `c`, the table, and the sync daemon in the current role. */
  const applyAll = async (r: Running, c: Config): Promise<number> => {
    r.health.start(c);
    const { actions } = await r.manager.apply(c);
    // Backup until the followed unit says MASTER: a box that is not MASTER receives.
    await r.manager.setSyncRole(r.manager.syncSettings === undefined ? undefined : r.manager.syncRole ?? 'backup');
    return actions.length;
  };

  if (hasLvs(config)) {
    try {
      running = await open(config);
    } catch (e) {
      log('error', `lvs: not applied: ${(e as Error).message}`);
    }
  }
  if (running !== undefined) {
    try {
      const n = await applyAll(running, config);
      log('info', `lvs: applied ${config.lvs.virtual_services.length} virtual service(s) (${n === 0 ? 'no change' : `${n} change(s)`})`);
    } catch (e) {
      log('error', `lvs: not applied: ${(e as Error).message}`);
    }
  }

  const onTransition = (e: { instance: string; group: boolean; to: string }): void => {
    if (running === undefined) return;
    void running.manager.onVrrpTransition(e);
    if (!e.group) running.health.vrrpTransition(e.instance, e.to);
  };
  const need = (): Running => {
    if (running === undefined) throw new Error('LVS is not running: the config has no virtual services (or IPVS could not be opened; see the log)');
    return running;
  };

  return {
    follow(s) {
      shell = s;
      s.on('transition', onTransition);
    },
    serve(control) {
      control.handle('lvs.status', () => need().manager.status());
      control.handle('lvs.events', () => need().manager.events());
      control.handle('lvs.connections', () => need().manager.connections());
      // `stockade lvs apply` of the running lvs section: the table put back as the checks have it.
      control.handle('lvs.apply', async () => {
        const m = need().manager;
        const before = m.writes;
        const { actions } = await m.apply();
        return { writes: m.writes - before, actions: actions.map((a) => ({ op: a.op, line: formatAction(a), pointer: a.pointer ?? null })) };
      });
    },
    async applyConfig(previous, next) {
      if (running === undefined) {
        if (!hasLvs(next)) return async () => undefined;
        try {
          running = await open(next);
        } catch (e) {
          throw new Error(`/lvs: IPVS cannot be opened: ${(e as Error).message}`);
        }
      }
      const r = running;
      try {
        await applyAll(r, next);
      } catch (e) {
        // The manager's apply undid its own writes; the checks go back to the old config's.
        r.health.start(previous);
        await r.manager.apply(previous).catch((err: Error) => log('error', `lvs: back to the running config: ${err.message}`));
        throw e;
      }
      return async () => void (await applyAll(r, previous));
    },
    stop() {
      shell?.off('transition', onTransition);
      if (running !== undefined) {
        running.health.stop();
        running.manager.stop();
        running.ipvs.close();
      }
    },
  };
}
