// VRRP on the box: the config's vrrp section -> facts from the kernel (each interface's own
// addresses) -> plan (../from-config.ts) -> engine + shell + kernel I/O, started. Also what
// keepalived does around that: the instance's own interface is always tracked (FAULT while it is
// down), stale VIPs carrying our mark (left by a killed daemon) are removed before start, and the
// check commands run on their intervals, and with accelerated failover the sync-link heartbeats
// go out and come in (heartbeats.ts). Virtual MAC
// interfaces (use_vmac) are made before start and deleted at stop, as keepalived does.
// A config apply (reconfigure) runs the same steps against the new config on the running shell:
// everything that can refuse (interfaces, addresses, keys) is read first, so a refusal changes
// nothing; then the shell retires what goes or restarts, the virtual MACs and sockets follow the
// new config, and the engine takes the new settings in place (engine.ts).
import { readFileSync } from 'node:fs';
import { lstatOf, realpathOf } from '../../kernel/index.ts';
import type { Vrrp } from '../../config/index.ts';
import { VrrpEngine, type EngineChange } from '../engine.ts';
import { planFromConfig } from '../from-config.ts';
import { commandProblem } from '../notify.ts';
import type { RuntimeFacts, VrrpPlan } from '../from-config.ts';
import { RTPROT_STOCKADE_VRRP } from '../../kernel/rtnetlink/index.ts';
import { startHeartbeats } from './heartbeats.ts';
import { KernelIo, linkIsUp } from './kernel-io.ts';
import type { Logger } from './kernel-io.ts';
import { VrrpShell, type ShellOptions } from './shell.ts';
import { resolveVips } from './vips.ts';

export interface VrrpRuntime {
  shell: VrrpShell;
  /**
   * Runs `v` instead of the config it runs now (a config transaction): unchanged instances keep
   * their state and VIPs, settings change in place where the protocol allows, the rest restart.
   * Throws, having changed nothing, when `v` cannot run here (an interface or address missing, a
   * key file unreadable, accelerated failover changed).
   */
  reconfigure(v: Vrrp): Promise<EngineChange>;
  /** Priority-0 adverts, VIPs removed, sockets closed. */
  stop(): Promise<void>;
}

type Addr = { address: string; prefixLength: number; protocol: number | undefined };

/**
 * `beforeStart` runs once the shell exists and before any instance can change state, so a
 * master hook it adds (the conntrack commit) also covers a priority-255 owner, which becomes
 * MASTER inside start().
 */
export async function startVrrp(v: Vrrp, log: Logger, beforeStart?: (shell: VrrpShell) => void): Promise<VrrpRuntime> {
  const io = await KernelIo.open(log);
  try {
    return await startOn(io, v, log, beforeStart);
  } catch (e) {
    // Not left behind: virtual MAC interfaces made before the failure.
    await io.removeVmacs().catch(() => undefined);
    io.close();
    throw e;
  }
}

/** What run.ts reads from the kernel and the config before anything starts or changes. */
interface Prepared {
  v: Vrrp;
  ifnames: string[];
  addrs: Map<string, Addr[]>;
  own: (ifname: string) => Addr[];
  facts: RuntimeFacts;
  plan: VrrpPlan;
}

async function prepare(io: KernelIo, v: Vrrp, log: Logger): Promise<Prepared> {
  const ifnames = [...new Set(v.instances.map((i) => i.interface))];
  const addrs = await readAddresses(io, v, ifnames);
  const own = ownAddressesOf(v, addrs);
  const facts = runtimeFacts(own);
  const plan = planFromConfig(v, facts);
  trackOwnInterfaces(plan);
  refuseUnsafeCommands(plan, io, log);
  return { v, ifnames, addrs, own, facts, plan };
}

/** Config -> running instances, in the order keepalived does it (each step below). */
async function startOn(io: KernelIo, v: Vrrp, log: Logger, beforeStart: ((shell: VrrpShell) => void) | undefined): Promise<VrrpRuntime> {
  let current = await prepare(io, v, log);
  const { ifnames, addrs, plan, facts } = current;
  const shell = new VrrpShell(new VrrpEngine(plan.engine), io, shellOptions(v, plan, current.own));
  shell.on('log', log);
  await removeStaleVips(io, ifnames, addrs, log);
  await addVmacs(io, plan, log);
  openSockets(io, v, plan, shell, ifnames);
  feedLinkStates(io, v, shell, ifnames);
  io.watchLinks(shell);
  const acc = plan.accelerated;
  const heartbeats = acc ? startHeartbeats(acc, facts.primaryAddress(acc.interface), io, shell, log) : undefined;
  let checkTimers = startChecks(plan, io, shell);

  beforeStart?.(shell);
  shell.start();
  return {
    shell,
    async reconfigure(next) {
      if (JSON.stringify(next.accelerated_failover ?? null) !== JSON.stringify(current.v.accelerated_failover ?? null)) {
        throw new Error('/vrrp/accelerated_failover: changing it on the running box is not supported yet (restart the daemon to apply it)');
      }
      const p = await prepare(io, next, log);
      // A virtual MAC interface made, deleted or changed restarts its instance (parts: use_vmac).
      const restart = new Set(next.instances.map((i) => i.name).filter((n) => JSON.stringify(p.plan.vmacs.get(n) ?? null) !== JSON.stringify(current.plan.vmacs.get(n) ?? null)));
      feedLinkStates(io, next, shell, p.ifnames);
      const change = await shell.reconfigure(p.plan.engine, shellOptions(next, p.plan, p.own), restart, async () => {
        const wanted = new Map([...p.plan.vmacs.values()].map((s) => [s.name, s]));
        for (const [name, spec] of io.vmacs) if (JSON.stringify(wanted.get(name) ?? null) !== JSON.stringify(spec)) await io.removeVmac(name);
        await addVmacs(io, { ...p.plan, vmacs: new Map([...p.plan.vmacs].filter(([, s]) => !io.vmacs.has(s.name))) }, log);
        const listened = openSockets(io, next, p.plan, shell, p.ifnames);
        for (const name of io.listening) if (!listened.has(name)) io.unlisten(name);
      });
      for (const t of checkTimers) clearInterval(t);
      checkTimers = startChecks(p.plan, io, shell);
      current = p;
      log('info', `vrrp: config applied: ${[['kept', change.kept], ['restarted', change.restarted], ['added', change.added], ['removed', change.removed]].filter(([, l]) => l!.length > 0).map(([what, l]) => `${what} ${(l as string[]).join(', ')}`).join('; ') || 'no instances'}`);
      return change;
    },
    async stop() {
      for (const t of checkTimers) clearInterval(t);
      await shell.stop();
      heartbeats?.close();
      await io.removeVmacs();
      io.close();
    },
  };
}

/** Facts: the addresses on each instance's interface and on the heartbeat link. */
async function readAddresses(io: KernelIo, v: Vrrp, ifnames: readonly string[]): Promise<Map<string, Addr[]>> {
  const addrs = new Map<string, Addr[]>();
  const syncLink = v.accelerated_failover?.enabled ? v.accelerated_failover.interface : undefined;
  for (const ifname of syncLink !== undefined ? [...ifnames, syncLink] : ifnames) {
    if (!io.links.byName(ifname)) {
      const i = v.instances.findIndex((x) => x.interface === ifname);
      throw new Error(i >= 0 ? `/vrrp/instances/${i}/interface: no interface ${ifname} on this box` : `/vrrp/accelerated_failover/interface: no interface ${ifname} on this box`);
    }
    addrs.set(ifname, await io.addresses(ifname));
  }
  return addrs;
}

/** An interface's own addresses: neither VIPs nor anything carrying our VIP mark. */
function ownAddressesOf(v: Vrrp, addrs: ReadonlyMap<string, Addr[]>): (ifname: string) => Addr[] {
  const vipsOf = (ifname: string) => new Set(v.instances.filter((i) => i.interface === ifname).flatMap((i) => i.vips.map((x) => x.split('/')[0]!)));
  return (ifname) => (addrs.get(ifname) ?? []).filter((a) => a.protocol !== RTPROT_STOCKADE_VRRP && !vipsOf(ifname).has(a.address));
}

function runtimeFacts(own: (ifname: string) => Addr[]): RuntimeFacts {
  return {
    primaryAddress(ifname) {
      const a = own(ifname)[0];
      if (!a) throw new Error(`vrrp: ${ifname} has no IPv4 address to send from`);
      return a.address;
    },
    ownAddresses: (ifname) => own(ifname).map((a) => a.address),
    keySecret(instance, key) {
      const hex = key.secret ?? readFileSync(key.secret_file!, 'utf8').trim();
      if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`vrrp: ${instance}: key ${key.id} is not hex`);
      return Uint8Array.from(Buffer.from(hex, 'hex'));
    },
  };
}

/** keepalived tracks an instance's own interface unless told otherwise: FAULT while it is down. */
function trackOwnInterfaces(plan: VrrpPlan): void {
  for (const inst of plan.engine.instances) {
    const tracks = inst.tracks ?? [];
    if (!tracks.some((t) => t.kind === 'interface' && t.name === inst.interface)) tracks.push({ kind: 'interface', name: inst.interface, weight: 0 });
    inst.tracks = tracks;
  }
}

/**
 * Script security (keepalived's enable_script_security, always on here, as root or not):
 * commands that anyone but root or our own user could replace, by their program or by a path
 * among their arguments, are never run.
 */
function refuseUnsafeCommands(plan: VrrpPlan, io: KernelIo, log: Logger): void {
  const uid = process.getuid?.() ?? 0;
  const commands = [
    ...[...plan.scripts.values()].map((s) => s.command),
    ...[...plan.notify.values()].flatMap((n) => [n.master, n.backup, n.fault, n.stop, n.any].filter((c) => c !== undefined)),
  ];
  for (const command of commands) {
    const why = commandProblem(command, lstatOf, realpathOf, uid);
    if (why === undefined) continue;
    io.refuse(command, why);
    log('error', `vrrp: ${JSON.stringify(command)} will never be run (script security): ${why}`);
  }
}

/** The shell's view of each instance: its VIPs, virtual MAC and notify commands. */
function shellOptions(v: Vrrp, plan: VrrpPlan, own: (ifname: string) => Addr[]): ShellOptions {
  return {
    instances: v.instances.map((i) => {
      const n = plan.notify.get(i.name);
      return {
        name: i.name, interface: i.interface,
        vips: resolveVips(i.vips, own(i.interface).map((a) => [a.address, a.prefixLength] as const)),
        ...(plan.vmacs.has(i.name) ? { vmac: plan.vmacs.get(i.name)!.name } : {}),
        ...(n ? { notify: n } : {}),
      };
    }),
    groupNotify: new Map(v.sync_groups.filter((g) => plan.notify.has(g.name)).map((g) => [g.name, plan.notify.get(g.name)!])),
  };
}

/** VIPs a killed daemon left behind (our mark only). */
async function removeStaleVips(io: KernelIo, ifnames: readonly string[], addrs: ReadonlyMap<string, Addr[]>, log: Logger): Promise<void> {
  for (const ifname of ifnames) {
    const stale = (addrs.get(ifname) ?? []).filter((a) => a.protocol === RTPROT_STOCKADE_VRRP);
    if (stale.length > 0) {
      log('info', `vrrp: ${ifname}: removing ${stale.length} stale VIP(s)`);
      await io.removeVips(ifname, stale);
    }
  }
}

/**
 * Virtual MAC interfaces, and VIPs a killed daemon left on them. (Two instances wanting one
 * name is a config error: config/semantic/vrrp.ts.)
 */
async function addVmacs(io: KernelIo, plan: VrrpPlan, log: Logger): Promise<void> {
  for (const spec of plan.vmacs.values()) {
    await io.addVmac(spec);
    const stale = (await io.addresses(spec.name)).filter((a) => a.protocol === RTPROT_STOCKADE_VRRP);
    if (stale.length > 0) await io.removeVips(spec.name, stale);
    log('info', `vrrp: virtual MAC ${spec.mac} on ${spec.name} over ${spec.parent}`);
  }
}

/** The advert sockets: on each interface, and on the virtual MACs whose multicast adverts arrive there. Returns where it listens. */
function openSockets(io: KernelIo, v: Vrrp, plan: VrrpPlan, shell: VrrpShell, ifnames: readonly string[]): Set<string> {
  const listened = new Set<string>();
  for (const ifname of ifnames) {
    const here = v.instances.filter((i) => i.interface === ifname);
    // Multicast instances with a virtual MAC hear their adverts on it (see kernel-io.ts).
    const onVmac = here.filter((i) => plan.vmacs.has(i.name) && i.unicast_peers.length === 0);
    const vmacVrids = new Set(onVmac.map((i) => i.vrid));
    const rest = here.filter((i) => !vmacVrids.has(i.vrid));
    if (rest.length > 0) {
      io.listen(ifname, { multicast: rest.some((i) => i.unicast_peers.length === 0), accept: (vrid) => !vmacVrids.has(vrid) }, shell);
      listened.add(ifname);
    }
    for (const i of onVmac) {
      io.listen(plan.vmacs.get(i.name)!.name, { as: ifname, multicast: true, accept: (vrid) => vrid === i.vrid }, shell);
      listened.add(plan.vmacs.get(i.name)!.name);
    }
    for (const i of here) if (plan.vmacs.has(i.name)) io.advertVia(plan.vmacs.get(i.name)!.name, i.unicast_peers.length > 0 ? ifname : undefined);
  }
  return listened;
}

/** Link states before start (the engine's contract; link events then come through watchLinks). */
function feedLinkStates(io: KernelIo, v: Vrrp, shell: VrrpShell, ifnames: readonly string[]): void {
  const tracked = new Set([...ifnames, ...v.instances.flatMap((i) => i.track_interfaces.map((t) => t.interface))]);
  for (const name of tracked) {
    const l = io.links.byName(name);
    shell.link(name, l !== undefined && linkIsUp(l));
  }
}

/** Check commands on their intervals; a run still going when the next is due is skipped, as keepalived does. */
function startChecks(plan: VrrpPlan, io: KernelIo, shell: VrrpShell): NodeJS.Timeout[] {
  const checkTimers: NodeJS.Timeout[] = [];
  for (const [name, s] of plan.scripts) {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      void io.runCheck(s.command, s.timeoutMs).then((ok) => {
        running = false;
        shell.scriptResult(name, ok);
      });
    };
    tick();
    checkTimers.push(setInterval(tick, s.intervalMs));
  }
  return checkTimers;
}
