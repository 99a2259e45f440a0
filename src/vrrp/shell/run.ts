// VRRP on the box: the config's vrrp section -> facts from the kernel (each interface's own
// addresses) -> plan (../from-config.ts) -> engine + shell + kernel I/O, started. Also what
// keepalived does around that: the instance's own interface is always tracked (FAULT while it is
// down), stale VIPs carrying our mark (left by a killed daemon) are removed before start, and the
// check commands run on their intervals, and with accelerated failover the sync-link heartbeats
// go out and come in (heartbeats.ts). Virtual MAC
// interfaces (use_vmac) are made before start and deleted at stop, as keepalived does.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import type { Vrrp } from '../../config/index.ts';
import { VrrpEngine } from '../engine.ts';
import { planFromConfig } from '../from-config.ts';
import { commandProblem } from '../notify.ts';
import type { PathElementStat } from '../notify.ts';
import type { RuntimeFacts } from '../from-config.ts';
import { RTPROT_STOCKADE_VRRP } from '../../kernel/rtnetlink/index.ts';
import { startHeartbeats } from './heartbeats.ts';
import { KernelIo, linkIsUp } from './kernel-io.ts';
import type { Logger } from './kernel-io.ts';
import { VrrpShell } from './shell.ts';
import { resolveVips } from './vips.ts';

export interface VrrpRuntime {
  shell: VrrpShell;
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

async function startOn(io: KernelIo, v: Vrrp, log: Logger, beforeStart: ((shell: VrrpShell) => void) | undefined): Promise<VrrpRuntime> {
  const ifnames = [...new Set(v.instances.map((i) => i.interface))];
  const addrs = new Map<string, Addr[]>();
  const syncLink = v.accelerated_failover?.enabled ? v.accelerated_failover.interface : undefined;
  for (const ifname of syncLink !== undefined ? [...ifnames, syncLink] : ifnames) {
    if (!io.links.byName(ifname)) throw new Error(`vrrp: no interface ${ifname}`);
    addrs.set(ifname, await io.addresses(ifname));
  }
  const vipsOf = (ifname: string) => new Set(v.instances.filter((i) => i.interface === ifname).flatMap((i) => i.vips.map((x) => x.split('/')[0]!)));
  const own = (ifname: string) => (addrs.get(ifname) ?? []).filter((a) => a.protocol !== RTPROT_STOCKADE_VRRP && !vipsOf(ifname).has(a.address));
  const facts: RuntimeFacts = {
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
  const plan = planFromConfig(v, facts);
  // keepalived tracks an instance's own interface unless told otherwise: FAULT while it is down.
  for (const inst of plan.engine.instances) {
    const tracks = inst.tracks ?? [];
    if (!tracks.some((t) => t.kind === 'interface' && t.name === inst.interface)) tracks.push({ kind: 'interface', name: inst.interface, weight: 0 });
    inst.tracks = tracks;
  }
  // Script security (keepalived's enable_script_security, always on here, as root or not):
  // commands that anyone but root or our own user could replace, by their program or by a path
  // among their arguments, are never run.
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
  const engine = new VrrpEngine(plan.engine);
  const shell = new VrrpShell(engine, io, {
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
  });
  shell.on('log', log);

  // VIPs a killed daemon left behind (our mark only).
  for (const ifname of ifnames) {
    const stale = (addrs.get(ifname) ?? []).filter((a) => a.protocol === RTPROT_STOCKADE_VRRP);
    if (stale.length > 0) {
      log('info', `vrrp: ${ifname}: removing ${stale.length} stale VIP(s)`);
      await io.removeVips(ifname, stale);
    }
  }

  // Virtual MAC interfaces, and VIPs a killed daemon left on them.
  const vmacNames = [...plan.vmacs.values()].map((x) => x.name);
  const twice = vmacNames.find((n, i) => vmacNames.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`vrrp: two instances want the virtual MAC interface ${twice} (the same VRID on two interfaces): name one with vmac_interface`);
  for (const spec of plan.vmacs.values()) {
    await io.addVmac(spec);
    const stale = (await io.addresses(spec.name)).filter((a) => a.protocol === RTPROT_STOCKADE_VRRP);
    if (stale.length > 0) await io.removeVips(spec.name, stale);
    log('info', `vrrp: virtual MAC ${spec.mac} on ${spec.name} over ${spec.parent}`);
  }

  for (const ifname of ifnames) {
    const here = v.instances.filter((i) => i.interface === ifname);
    // Multicast instances with a virtual MAC hear their adverts on it (see kernel-io.ts).
    const onVmac = here.filter((i) => plan.vmacs.has(i.name) && i.unicast_peers.length === 0);
    const vmacVrids = new Set(onVmac.map((i) => i.vrid));
    const rest = here.filter((i) => !vmacVrids.has(i.vrid));
    if (rest.length > 0) io.listen(ifname, { multicast: rest.some((i) => i.unicast_peers.length === 0), accept: (vrid) => !vmacVrids.has(vrid) }, shell);
    for (const i of onVmac) io.listen(plan.vmacs.get(i.name)!.name, { as: ifname, multicast: true, accept: (vrid) => vrid === i.vrid }, shell);
    for (const i of here) if (plan.vmacs.has(i.name) && i.unicast_peers.length > 0) io.advertVia(plan.vmacs.get(i.name)!.name, ifname);
  }
  const tracked = new Set([...ifnames, ...v.instances.flatMap((i) => i.track_interfaces.map((t) => t.interface))]);
  for (const name of tracked) {
    const l = io.links.byName(name);
    shell.link(name, l !== undefined && linkIsUp(l));
  }
  io.watchLinks(shell);

  const acc = plan.accelerated;
  const heartbeats = acc ? startHeartbeats(acc, facts.primaryAddress(acc.interface), io, shell, log) : undefined;
  const checkTimers: NodeJS.Timeout[] = [];
  for (const [name, s] of plan.scripts) {
    let running = false;
    const tick = () => {
      if (running) return; // keepalived skips a run while the last one is still going
      running = true;
      void io.runCheck(s.command, s.timeoutMs).then((ok) => {
        running = false;
        shell.scriptResult(name, ok);
      });
    };
    tick();
    checkTimers.push(setInterval(tick, s.intervalMs));
  }

  beforeStart?.(shell);
  shell.start();
  return {
    shell,
    async stop() {
      for (const t of checkTimers) clearInterval(t);
      await shell.stop();
      heartbeats?.close();
      await io.removeVmacs();
      io.close();
    },
  };
}

function lstatOf(p: string): PathElementStat | undefined {
  try {
    const st = lstatSync(p);
    const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    return { kind, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  } catch {
    return undefined;
  }
}

function realpathOf(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}
