// The shell's I/O on the box: one raw IPv4 socket (protocol 112) per interface, bound to it, TTL
// 255, joined to 224.0.0.18 when an instance there uses multicast; one AF_PACKET socket per
// interface for gratuitous ARP; VIPs added and removed over rtnetlink carrying the VRRP mark
// (RTPROT_STOCKADE_VRRP), so `net apply` never deletes a VIP and this never deletes an address of
// netsetup's; link events (LinkMonitor) into interface tracking; notify and check commands spawned.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { isSystemError } from '../../kernel/errors.ts';
import { ifNameToIndex } from '../../kernel/native.ts';
import { PacketSocket } from '../../kernel/packet-socket.ts';
import { RawIpSocket } from '../../kernel/raw-ip-socket.ts';
import { Rtnl } from '../../kernel/rtnetlink/client.ts';
import { AF_INET, IFF_LOWER_UP, IFF_UP, RTPROT_STOCKADE_VRRP } from '../../kernel/rtnetlink/constants.ts';
import { LinkMonitor } from '../../kernel/rtnetlink/events.ts';
import type { Link } from '../../kernel/rtnetlink/link.ts';
import { ETH_P_ARP, IPPROTO_VRRP } from '../../kernel/socket-constants.ts';
import { VRRP_MULTICAST_GROUP, VRRP_TTL } from '../constants.ts';
import type { OutgoingAdvert } from '../engine.ts';
import { garpFrame, parseMac } from '../garp.ts';
import { mustParseIpv4 } from '../ipv4.ts';
import type { ShellIo, VrrpShell } from './shell.ts';
import type { Vip } from './vips.ts';

export type Logger = (level: 'info' | 'warn' | 'error', message: string) => void;

/** A link counts as up when it is administratively up and has carrier. */
export function linkIsUp(l: Link): boolean {
  return (l.flags & IFF_UP) !== 0 && (l.flags & IFF_LOWER_UP) !== 0;
}

export class KernelIo implements ShellIo {
  readonly rtnl: Rtnl;
  readonly links: LinkMonitor;
  readonly #log: Logger;
  readonly #raw = new Map<string, RawIpSocket>();
  readonly #packet = new Map<string, PacketSocket>();
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

  /** Opens the raw socket of `ifname` and feeds what it receives to the shell. */
  listen(ifname: string, multicast: boolean, shell: VrrpShell): void {
    if (this.#raw.has(ifname)) return;
    const sock = RawIpSocket.open(IPPROTO_VRRP, { ifname, ttl: VRRP_TTL, multicastTtl: VRRP_TTL, multicastLoop: false, multicastAll: false });
    this.#raw.set(ifname, sock);
    if (multicast) sock.join(VRRP_MULTICAST_GROUP, ifNameToIndex(ifname));
    sock.receive(
      (p) => shell.receive(ifname, { payload: p.payload, source: mustParseIpv4(p.source), destination: mustParseIpv4(p.destination), ttl: p.ttl }),
      (err) => this.#log('warn', `vrrp: ${ifname}: receive error ${err.code}`),
    );
  }

  /** Link events for the shell's interface tracking. */
  watchLinks(shell: VrrpShell): void {
    this.links.on('event', (e) => {
      if (e.type === 'changed' || e.type === 'created') return;
      shell.link(e.link.name, e.type === 'deleted' ? false : linkIsUp(e.link));
    });
    this.links.on('error', (err) => this.#log('warn', `vrrp: link monitor: ${err.message}`));
  }

  sendAdvert(ifname: string, a: OutgoingAdvert): void {
    const sock = this.#raw.get(ifname);
    if (!sock) throw new Error(`no VRRP socket on ${ifname}`);
    sock.sendTo(a.payload, a.destination, a.source);
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
    const index = this.#index(ifname);
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

  spawnNotify(argv: readonly string[]): void {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return;
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', (err) => this.#log('warn', `vrrp: notify ${cmd}: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (code !== 0) this.#log('warn', `vrrp: notify ${argv.join(' ')}: exit ${code ?? signal}`);
    });
    child.unref();
  }

  /** Runs one check command; resolves true on exit 0 within `timeoutMs`. */
  runCheck(command: readonly string[], timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const [cmd, ...args] = command;
      if (cmd === undefined) return resolve(false);
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      const timer = setTimeout(() => {
        // The whole process group, as keepalived does.
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      }, timeoutMs);
      child.on('error', () => { clearTimeout(timer); resolve(false); });
      child.on('exit', (code) => { clearTimeout(timer); resolve(code === 0); });
    });
  }

  close(): void {
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
