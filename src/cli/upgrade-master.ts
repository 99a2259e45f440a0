// An upgrade reboots the box. On the MASTER of a VRRP pair that is a failover: `upgrade install`
// refuses there unless told how (console-upgrade.md E; issue 16 item 5). `--handover`: the reboot
// stops the daemon with SIGTERM first (busybox init's shutdown), and a stopping MASTER sends
// priority 0 adverts and drops its VIPs, so the peer takes over at once (no Master_Down wait);
// `--force`: reboot anyway. Asked before a byte of the bundle is read: a refusal changes nothing.
import { controlRequest, type VrrpStatusView } from '../control/index.ts';
import { EXIT_BAD_INPUT, UserError } from './command.ts';

export interface MasterCheck {
  /** Instances this box is MASTER of ("name (interface)"). */
  readonly masters: readonly string[];
  /** Why nothing is known (the daemon is not running, or did not answer). */
  readonly unknown?: string;
}

export async function vrrpMasters(socket: string): Promise<MasterCheck> {
  let view: VrrpStatusView;
  try {
    view = (await controlRequest(socket, 'vrrp.status', undefined, 3000)) as VrrpStatusView;
  } catch (err) {
    return { masters: [], unknown: (err as Error).message };
  }
  return { masters: view.instances.filter((i) => i.state === 'MASTER').map((i) => `${i.name} (${i.interface})`) };
}

/** The refusal, or undefined when the upgrade may go on. */
export function masterRefusal(check: MasterCheck, flags: { handover: boolean; force: boolean }): string | undefined {
  if (check.masters.length === 0 || flags.handover || flags.force) return undefined;
  return `this box is the VRRP MASTER of ${check.masters.join(', ')}: rebooting into the new slot moves them to the peer. `
    + 'Upgrade the BACKUP first; here, --handover hands them over as the box reboots (priority 0: the peer takes over at once), --force reboots without that promise';
}

/**
 * Before a command that ends in a reboot: refuses (UserError, exit 2) on a MASTER without
 * --handover or --force, else says what the reboot will do to the instances this box holds.
 */
export async function refuseMasterReboot(socket: string, flags: { handover: boolean; force: boolean }, command: string, io: { err(text: string): void }): Promise<void> {
  const masters = await vrrpMasters(socket);
  const refused = masterRefusal(masters, flags);
  if (refused) throw new UserError(`${command}: ${refused}; nothing was ${command === 'upgrade install' ? 'written' : 'switched'}`, EXIT_BAD_INPUT);
  if (masters.masters.length > 0) io.err(`MASTER of ${masters.masters.join(', ')}: ${flags.force ? 'rebooting anyway (--force)' : 'handed over to the peer as the box reboots (--handover)'}\n`);
}
