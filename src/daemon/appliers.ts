// What the daemon can change on the running box for a config transaction, part by part (see
// src/apply/transaction.ts). A part with no applier here refuses any change to it (the
// transaction says "restart the daemon to apply it"); parts read where they are used (console,
// upgrade: src/apply/parts.ts READ_WHEN_USED) need none. Each applier returns the undo that puts
// its part back.
import type { Config } from '../config/index.ts';
import { equalJson, type PartApplier } from '../apply/index.ts';
import { applyConfigNetwork } from '../net/index.ts';
import { setHostname } from '../kernel/index.ts';
import type { FirewallManager } from '../firewall/index.ts';
export { lvsApplier } from './lvs-applier.ts';
export { segmentsApplier } from './segments.ts';
import type { VrrpRuntime } from '../vrrp/index.ts';
import { authorizedKeysText, sshEnabled, sshListen, systemSshKeyFiles, type SshKeyFiles } from '../ssh/index.ts';

/**
 * Net: the same reconcile as `stockade net apply` (only objects stockade marked are touched; VIPs
 * never), and the host name, which boot sets and a transaction changes at once.
 */
export const netApplier: PartApplier = {
  part: 'net',
  async apply(previous, next) {
    await applyConfigNetwork(next);
    const renamed = previous.system.hostname !== next.system.hostname;
    if (renamed) {
      const r = setHostname(next.system.hostname);
      if (r.status === 'failed') {
        await applyConfigNetwork(previous);
        throw new Error(`system/hostname ${next.system.hostname}: ${r.reason}`);
      }
    }
    return async () => {
      await applyConfigNetwork(previous);
      if (renamed) setHostname(previous.system.hostname);
    };
  },
};

/** Firewall: the full ruleset again; its system rules follow VRRP, sync, LVS and management. */
export function firewallApplier(manager: FirewallManager): PartApplier {
  return {
    part: 'firewall',
    follows: ['vrrp', 'sync', 'lvs', 'management', 'net', 'segments'],
    apply: (_previous, next) => manager.reapply(next),
  };
}

/** Management keys read when used (the commit window, revisions kept) change at once, and so do SSH's; the others need a restart. */
const MANAGEMENT_LIVE = new Set(['commit_confirm_s', 'revisions_kept', 'interfaces', 'allowed_sources', 'api_port', 'ssh_authorized_keys', 'ssh_port']);

/**
 * Management: SSH's keys change live, SSH starts live, and it moves live to another port or
 * other management addresses (src/ssh/live-keys.ts says how). Those addresses are the net
 * part's, so this follows net where SSH is on.
 */
export function managementApplier(ssh: SshKeyFiles = systemSshKeyFiles): PartApplier {
  return {
    part: 'management',
    follows: ['net'],
    followsWhen: (previous, next) => sshEnabled(previous) || sshEnabled(next),
    async apply(previous: Config, next: Config) {
      const before = previous.management as unknown as Record<string, unknown>;
      const after = next.management as unknown as Record<string, unknown>;
      const fixed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !MANAGEMENT_LIVE.has(k) && !equalJson(before[k], after[k]));
      if (fixed.length > 0) throw new Error(`/management/${fixed[0]!}: changing it on the running box is not supported yet (restart the daemon to apply it)`);
      const keys = (c: Config): readonly string[] => c.management.ssh_authorized_keys;
      if (!sshEnabled(previous) && sshEnabled(next)) {
        // Started as boot would (src/ssh/live-keys.ts); undone by emptying the keys file.
        if (!ssh.startable()) return async () => undefined;
        await ssh.start(next);
        return async () => ssh.writeKeys('');
      }
      if (!ssh.running()) return async () => undefined;
      if (sshEnabled(previous) && sshEnabled(next) && !equalJson(sshListen(previous), sshListen(next))) {
        // Another port or other addresses: dropbear started again with them (its sessions go on).
        await ssh.restart(next);
        return async () => ssh.restart(previous);
      }
      if (equalJson(keys(previous), keys(next))) return async () => undefined;
      // A stop empties the keys file (dropbear then lets nobody in; the next boot leaves it off).
      ssh.writeKeys(authorizedKeysText(keys(next)));
      return async () => ssh.writeKeys(authorizedKeysText(keys(previous)));
    },
  };
}

/** How the vrrp applier reaches the daemon's VRRP (absent while the config has no instances). */
export interface VrrpSlot {
  get(): VrrpRuntime | undefined;
  /** Starts VRRP for `config` with the daemon's wiring (failover hooks, LVS) and holds it. */
  start(config: Config): Promise<VrrpRuntime>;
  /** Stops the running VRRP (priority 0 from every MASTER, VIPs removed) and forgets it. */
  stop(): Promise<void>;
}

/**
 * VRRP: the running instances reconciled against the new config (src/vrrp/shell/run.ts
 * reconfigure: unchanged instances keep state and VIPs, settings in place where the protocol
 * allows, identity changes restart that instance alone). It follows net: an interface's own
 * address is the adverts' source. Undo is the same reconcile back to the previous config.
 */
export function vrrpApplier(slot: VrrpSlot): PartApplier {
  return {
    part: 'vrrp',
    follows: ['net'],
    followsWhen: (previous, next) => previous.vrrp.instances.length > 0 || next.vrrp.instances.length > 0,
    async apply(previous, next) {
      const running = slot.get();
      if (running === undefined) {
        if (next.vrrp.instances.length === 0) return async () => undefined;
        await slot.start(next);
        return () => slot.stop();
      }
      try {
        await running.reconfigure(next.vrrp);
      } catch (e) {
        // This part is not undone by the transaction (it did not apply): a refusal found before
        // anything changed leaves the instances as they were; one found later (a virtual MAC not
        // made) is put back here, so the old instances run again.
        const back = await running.reconfigure(previous.vrrp).then(() => '', (e2: Error) => `; the previous instances did not come back either: ${e2.message}`);
        throw new Error(`${(e as Error).message}${back}`);
      }
      return async () => void (await running.reconfigure(previous.vrrp));
    },
  };
}
