// The shell's I/O on the box: one raw IPv4 socket (protocol 112) per interface, bound to it, TTL
// 255, joined to 224.0.0.18 when an instance there uses multicast; one AF_PACKET socket per
// interface for gratuitous ARP; VIPs added and removed over rtnetlink carrying the VRRP mark
// (RTPROT_STOCKADE_VRRP), so `net apply` never deletes a VIP and this never deletes an address of
// netsetup's; link events (LinkMonitor) into interface tracking; notify and check commands spawned.
// An interface deleted and created again (a bond or bridge rebuilt) gets new sockets: a socket
// bound to a device keeps the old ifindex and would never hear or send again. Virtual MAC
// interfaces (use_vmac): with multicast, adverts leave from the virtual MAC and are heard there
// (a macvlan takes every multicast frame whose source is its own MAC: the peer's adverts from the
// same virtual MAC never reach the parent); with unicast peers they leave and arrive on the parent
// (keepalived's vmac_xmit_base). VIPs and gARP are on the macvlan either way. A parent created
// again gets its macvlan created again (the kernel deletes a macvlan with its lower device).
import { performance } from 'node:perf_hooks';
import { ETH_P_ARP, IPPROTO_VRRP, PacketSocket, RawIpSocket, ensureVmac, ifNameToIndex, isSystemError, removeVmac, runCheckProgram, startDetached, type VmacSpec } from '../../kernel/index.ts';
import { AF_INET, LinkMonitor, RTPROT_STOCKADE_VRRP, Rtnl, type Link } from '../../kernel/rtnetlink/index.ts';
import { linkState } from '../../kernel/rtnetlink/index.ts';
import { VRRP_MULTICAST_GROUP, VRRP_TTL } from '../constants.ts';
import type { OutgoingAdvert } from '../engine.ts';
import { garpFrame, parseMac } from '../garp.ts';
import { mustParseIpv4 } from '../ipv4.ts';
import type { ShellIo, VrrpShell } from './shell.ts';
import type { Vip } from './vips.ts';
import type { Log } from '../../common/index.ts';

/** A line a peer can repeat (a reject) passes a limit key: see src/common/log.ts. */
export type Logger = Log;

/** IPTOS_PREC_INTERNETCONTROL: the TOS byte keepalived's adverts carry (vrrp_build_ip4()). */
export const VRRP_TOS = 0xc0;

/** Adverts leave as keepalived's do: TTL 255, TOS 0xc0, DF clear (checked in a capture of 2.2.7). */
function advertSocketOptions(ifname: string) {
  return { ifname, ttl: VRRP_TTL, multicastTtl: VRRP_TTL, multicastLoop: false, multicastAll: false, tos: VRRP_TOS, dontFragment: false };
}

/** A link counts as up when it is administratively up and has carrier. */
export function linkIsUp(l: Link): boolean {
  return linkState(l.flags) === 'up';
}

export class KernelIo implements ShellIo {
  readonly rtnl: Rtnl;
  readonly links: LinkMonitor;
  readonly #log: Logger;
  readonly #raw = new Map<string, RawIpSocket>();
  readonly #listening = new Map<string, { as: string; multicast: boolean; accept: (vrid: number) => boolean; shell: VrrpShell }>();
  readonly #advertVia = new Map<string, string>();
  /** Send-only sockets, for an interface whose adverts are heard elsewhere (on its macvlan). */
  readonly #senders = new Map<string, RawIpSocket>();
  readonly #vmacs = new Map<string, VmacSpec>();
  readonly #packet = new Map<string, PacketSocket>();
  /** Commands not to run (script security), by their argv joined with NUL, with why. */
  readonly #refused = new Map<string, string>();
  #closed = false;
  readonly #t0 = performance.now();

  private constructor(rtnl: Rtnl, links: LinkMonitor, log: Logger) {
    this.rtnl = rtnl;
    this.links = links;
    this.#log = log;
  }

  static async open(log: Logger): Promise<KernelIo> {
    const rtnl = Rtnl.open();
    try {
      return new KernelIo(rtnl, await LinkMonitor.open(), log);
    } catch (e) {
      rtnl.close();
      throw e;
    }
  }

  now(): number {
    return performance.now() - this.#t0;
  }

  wallClockMs(): number {
    return Date.now();
  }

  /** IPv4 addresses on `ifname` as [address, prefixLength, mark]. */
  async addresses(ifname: string): Promise<Array<{ address: string; prefixLength: number; protocol: number | undefined }>> {
    const index = this.links.byName(ifname)?.index;
    if (index === undefined) return [];
    return (await this.rtnl.addresses(AF_INET))
      .filter((a) => a.index === index && a.local !== undefined)
      .map((a) => ({ address: a.local!, prefixLength: a.prefixLength, protocol: a.protocol }));
  }

  /**
   * Opens a raw socket on `ifname` and feeds what it receives to the shell as heard on `as` (the
   * instance's interface; differs for a virtual MAC interface), keeping only VRIDs `accept` takes
   * (so one advert reaches the engine once when a parent and its macvlan both hear it). Opened
   * again when `ifname` is created again.
   */
  listen(ifname: string, opts: { as?: string; multicast: boolean; accept?: (vrid: number) => boolean }, shell: VrrpShell): void {
    const before = this.#listening.get(ifname);
    this.#listening.set(ifname, { as: opts.as ?? ifname, multicast: opts.multicast, accept: opts.accept ?? (() => true), shell });
    const open = this.#raw.get(ifname);
    // Already open (a config apply): the new spec applies to what arrives from now; join if now needed.
    if (open !== undefined && opts.multicast && before?.multicast !== true) open.join(VRRP_MULTICAST_GROUP, ifNameToIndex(ifname));
    this.#openListener(ifname);
  }

  /** No longer listening on `ifname` (a config apply took its last instance away). */
  unlisten(ifname: string): void {
    this.#listening.delete(ifname);
    this.#dropSockets(ifname);
  }

  /** The interfaces listened on. */
  get listening(): string[] {
    return [...this.#listening.keys()];
  }

  #openListener(ifname: string): void {
    const spec = this.#listening.get(ifname);
    if (!spec || this.#raw.has(ifname)) return;
    const sock = RawIpSocket.open(IPPROTO_VRRP, advertSocketOptions(ifname));
    this.#raw.set(ifname, sock);
    try {
      if (spec.multicast) sock.join(VRRP_MULTICAST_GROUP, ifNameToIndex(ifname));
    } catch (e) {
      this.#raw.delete(ifname);
      sock.close();
      throw e;
    }
    sock.receive(
      (p) => {
        // The spec as it is now (a config apply may have changed it since the socket opened).
        const spec = this.#listening.get(ifname);
        if (!spec) return;
        // Byte 1 is the VRID in v2 and v3; anything shorter is left to the engine to count.
        if (p.payload.length >= 2 && !spec.accept(p.payload[1]!)) return;
        spec.shell.receive(spec.as, { payload: p.payload, source: mustParseIpv4(p.source), destination: mustParseIpv4(p.destination), ttl: p.ttl });
      },
      (err) => this.#log('warn', `vrrp: ${ifname}: receive error ${err.code}`, `vrrp:receive-error:${ifname}`),
    );
  }

  /**
   * Adverts of `ifname` (a virtual MAC interface) leave through `via` (its parent), as keepalived's
   * vmac_xmit_base: needed with unicast peers, where a send bound to the macvlan would find no
   * route there and ARP for the peer from the virtual MAC.
   */
  advertVia(ifname: string, via: string | undefined): void {
    if (via === undefined) this.#advertVia.delete(ifname);
    else this.#advertVia.set(ifname, via);
  }

  /** Creates (or reuses) the virtual MAC interface of an instance; resolves once the link monitor knows it. */
  async addVmac(spec: VmacSpec): Promise<void> {
    this.#vmacs.set(spec.name, spec);
    await ensureVmac(this.rtnl, spec, (m) => this.#log('warn', `vrrp: ${spec.name}: sysctl ${m}`));
    for (let i = 0; i < 200 && !this.links.byName(spec.name); i++) await new Promise((r) => setTimeout(r, 5));
    if (!this.links.byName(spec.name)) throw new Error(`vrrp: ${spec.name} created but not reported by the kernel`);
  }

  /** Deletes the virtual MAC interfaces this made (keepalived does so on exit). */
  async removeVmacs(): Promise<void> {
    for (const name of [...this.#vmacs.keys()]) await this.removeVmac(name);
  }

  /** The virtual MAC interfaces this made, by name. */
  get vmacs(): ReadonlyMap<string, VmacSpec> {
    return this.#vmacs;
  }

  /** Deletes one virtual MAC interface this made (its instance went or restarts without it). */
  async removeVmac(name: string): Promise<void> {
    if (!this.#vmacs.has(name)) return;
    this.#vmacs.delete(name);
    this.#listening.delete(name);
    this.#advertVia.delete(name);
    this.#dropSockets(name);
    try {
      await removeVmac(this.rtnl, name);
    } catch (e) {
      this.#log('warn', `vrrp: ${name}: not deleted: ${(e as Error).message}`);
    }
  }

  #dropSockets(ifname: string): void {
    for (const m of [this.#raw, this.#senders]) {
      m.get(ifname)?.close();
      m.delete(ifname);
    }
  }

  /** After `ifname` (re)appeared: its sockets again, and the macvlans over it. */
  #relink(ifname: string): void {
    try {
      this.#openListener(ifname);
    } catch (e) {
      this.#log('warn', `vrrp: ${ifname}: socket not reopened: ${(e as Error).message}`);
    }
    for (const spec of this.#vmacs.values()) {
      if (spec.parent !== ifname || this.links.byName(spec.name)) continue;
      ensureVmac(this.rtnl, spec, (m) => this.#log('warn', `vrrp: ${spec.name}: sysctl ${m}`)).then(
        () => this.#log('info', `vrrp: ${spec.name}: virtual MAC interface created again over ${ifname}`),
        (e: Error) => { if (!this.#closed) this.#log('warn', `vrrp: ${spec.name}: not created again: ${e.message}`); },
      );
    }
  }

  /** Link events for the shell's interface tracking, and sockets that follow re-created interfaces. */
  watchLinks(shell: VrrpShell): void {
    this.links.on('event', (e) => {
      const name = e.link.name;
      if (e.type === 'deleted') {
        if (this.#raw.has(name) || this.#senders.has(name)) this.#log('info', `vrrp: ${name} deleted: its sockets closed until it is back`);
        this.#dropSockets(name);
      } else if (e.type === 'created') {
        this.#relink(name);
      }
      if (e.type === 'changed') return;
      shell.link(name, e.type === 'deleted' ? false : linkIsUp(e.link));
    });
    this.links.on('error', (err) => this.#log('warn', `vrrp: link monitor: ${err.message}`));
  }

  sendAdvert(ifname: string, a: OutgoingAdvert): void {
    const via = this.#advertVia.get(ifname) ?? ifname;
    const sock = this.#raw.get(via) ?? this.#sender(via);
    sock.sendTo(a.payload, a.destination, a.source);
  }

  /** A send-only socket on `ifname` (made on first use; never read, never joined). */
  #sender(ifname: string): RawIpSocket {
    let sock = this.#senders.get(ifname);
    if (!sock) {
      sock = RawIpSocket.open(IPPROTO_VRRP, advertSocketOptions(ifname));
      sock.unref();
      this.#senders.set(ifname, sock);
    }
    return sock;
  }

  async addVips(ifname: string, vips: readonly Vip[]): Promise<void> {
    const index = this.#index(ifname);
    for (const v of vips) {
      try {
        await this.rtnl.addAddress({ index, local: v.address, prefixLength: v.prefixLength, protocol: RTPROT_STOCKADE_VRRP });
      } catch (e) {
        // Already there (ours from before, or configured statically): leave it as it is.
        if (!isSystemError(e, 'EEXIST')) throw e;
      }
    }
  }

  async removeVips(ifname: string, vips: readonly Vip[]): Promise<void> {
    // Gone with its interface (deleted, or a macvlan whose parent went): nothing to remove.
    const index = this.links.byName(ifname)?.index;
    if (index === undefined) return;
    // Only addresses carrying our mark: never one that netsetup or an admin put there.
    const present = (await this.rtnl.addresses(AF_INET)).filter((a) => a.index === index && a.protocol === RTPROT_STOCKADE_VRRP);
    for (const v of vips) {
      const a = present.find((x) => x.local === v.address && x.prefixLength === v.prefixLength);
      if (!a) continue;
      try {
        await this.rtnl.deleteAddress({ index, local: v.address, prefixLength: v.prefixLength });
      } catch (e) {
        if (!isSystemError(e, 'EADDRNOTAVAIL') && !isSystemError(e, 'ENODEV')) throw e;
      }
    }
  }

  sendGarp(ifname: string, vips: readonly Vip[], repeat: number): void {
    const link = this.links.byName(ifname);
    if (!link?.address) throw new Error(`no MAC address for ${ifname}`);
    let sock = this.#packet.get(ifname);
    if (!sock || sock.ifindex !== link.index) {
      sock?.close();
      sock = PacketSocket.open(link.index, ETH_P_ARP);
      sock.unref();
      this.#packet.set(ifname, sock);
    }
    const mac = parseMac(link.address);
    for (let i = 0; i < repeat; i++) {
      for (const v of vips) sock.send(garpFrame(mac, mustParseIpv4(v.address)));
    }
  }

  /** Never runs `command` (script security): as notify (also with arguments added), skipped; as a check, it fails. */
  refuse(command: readonly string[], why: string): void {
    this.#refused.set(command.join('\0'), why);
  }

  /** Why `argv` (a configured command, perhaps with notify's arguments after it) is refused. */
  #refusal(argv: readonly string[]): string | undefined {
    for (let n = argv.length; n > 0; n--) {
      const why = this.#refused.get(argv.slice(0, n).join('\0'));
      if (why !== undefined) return why;
    }
    return undefined;
  }

  spawnNotify(argv: readonly string[]): void {
    const [cmd] = argv;
    if (cmd === undefined) return;
    const refused = this.#refusal(argv);
    if (refused !== undefined) {
      this.#log('warn', `vrrp: notify ${cmd} not run: ${refused}`);
      return;
    }
    startDetached(argv, (message) => this.#log('warn', `vrrp: notify ${cmd}: ${message}`), (code, signal) => {
      if (code !== 0) this.#log('warn', `vrrp: notify ${argv.join(' ')}: exit ${code ?? signal}`);
    });
  }

  /** Runs one check command; resolves true on exit 0 within `timeoutMs`. */
  runCheck(command: readonly string[], timeoutMs: number): Promise<boolean> {
    // A refused check fails: an untrusted command must not keep a box MASTER.
    if (command[0] === undefined || this.#refusal(command) !== undefined) return Promise.resolve(false);
    return runCheckProgram(command, timeoutMs);
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#senders.values()) s.close();
    this.#senders.clear();
    for (const s of this.#raw.values()) s.close();
    for (const s of this.#packet.values()) s.close();
    this.#raw.clear();
    this.#packet.clear();
    this.links.close();
    this.rtnl.close();
  }

  #index(ifname: string): number {
    const l = this.links.byName(ifname);
    if (!l) throw new Error(`no interface ${ifname}`);
    return l.index;
  }
}
