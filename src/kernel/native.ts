// Loads the native socket addon (src/native, built into dist/<arch>/stockade.node) and types
// its API. The addon holds sockets only; everything above the fd is TypeScript.
//
// Where it is looked for: $STOCKADE_NATIVE if set, else next to the executable
// (dirname(process.execPath)/stockade.node), which is where the image puts it.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { SystemError } from './errors.ts';

/** Datagram delivery: (null, data, ...details) per datagram, (err) per receive error. */
export type RecvCallback<D extends unknown[]> = (err: SystemError | null, data: Buffer, ...details: D) => void;

export interface NativeSocket<D extends unknown[] = unknown[]> {
  /** -1 once closed. */
  readonly fd: number;
  readonly closed: boolean;
  /** Netlink: to the kernel. Packet (SOCK_RAW): a whole frame on the bound interface. */
  send(data: Uint8Array): number;
  /** Start (or replace) the receive callback; only then does the socket keep the loop alive. */
  recvStart(cb: RecvCallback<D>): void;
  recvStop(): void;
  ref(): void;
  unref(): void;
  /** Idempotent. */
  close(): void;
  setOption(level: number, name: number, value: number): void;
  getOption(level: number, name: number): number;
}

/** Details: sender port id (0 = kernel), multicast group (0 = unicast). */
export interface NativeNetlinkSocket extends NativeSocket<[pid: number, group: number]> {
  readonly portId: number;
  addMembership(group: number): void;
  dropMembership(group: number): void;
}

/** Details: source, destination (dotted quads), received TTL, ifindex. Data: payload after the IP header. */
export interface NativeRawIpSocket extends NativeSocket<[source: string, destination: string, ttl: number, ifindex: number]> {
  sendTo(data: Uint8Array, destination: string, source?: string): number;
  addMembership(group: string, ifindex: number): void;
  dropMembership(group: string, ifindex: number): void;
}

/** Details: ifindex, pkttype (PACKET_*), ethertype. */
export interface NativePacketSocket extends NativeSocket<[ifindex: number, pkttype: number, ethertype: number]> {
  /** SOCK_DGRAM: payload to a 6-byte link-layer address. */
  sendTo(data: Uint8Array, mac: Uint8Array): number;
}

/** Details: source address, source port, arrival ifindex (IP_PKTINFO). */
export interface NativeUdpSocket extends NativeSocket<[source: string, port: number, ifindex: number]> {
  sendTo(data: Uint8Array, address: string, port: number): number;
}

/**
 * A batch of results per wake-up that has any: 16-byte records of little-endian u32 (token, errno
 * (0 = connected), microseconds since the failed attempt was due, successes before it; the last
 * two for repeats only). A repeat's success reaches no JavaScript.
 */
export interface NativeConnectProber extends NativeSocket<[]> {
  /** The probe's fd while the connect is under way; -errno when connect() failed at once. */
  connectProbe(token: number, address: string, port: number): number;
  /** Closes a probe not yet delivered. */
  cancelProbe(fd: number): void;
  /** Connects delayMs from now, then every intervalMs on that grid (each failing after timeoutMs),
   *  until one fails (its record) or cancelRepeat; returns the repeat's handle. */
  repeatProbe(token: number, address: string, port: number, delayMs: number, intervalMs: number, timeoutMs: number): number;
  /** Ends the repeat if it is still token's. */
  cancelRepeat(handle: number, token: number): void;
  /** [successes, ms since the last success or -1]; undefined once the repeat is not token's. */
  repeatStats(handle: number, token: number): [number, number] | undefined;
}

export interface ConnectProberOptions {
  /** Repeats start on this grid (ms, 1..1000; default 1). */
  gridMs?: number;
}

export interface UdpOpenOptions {
  port: number;
  /** Local address to bind; default any. */
  address?: string;
  /** SO_BINDTODEVICE, set before bind(): datagrams arriving on other interfaces never queue. */
  device?: string;
  reuseAddr?: boolean;
  /** Joined on `device` (required), which also becomes the multicast output interface; loopback
   * and IP_MULTICAST_ALL off. */
  multicastGroup?: string;
  /** Default 1. */
  multicastTtl?: number;
  /** SO_RCVBUF / SO_SNDBUF bytes. */
  rcvbuf?: number;
  sndbuf?: number;
}

export interface NetlinkOpenOptions {
  /** Receive buffer bytes (SO_RCVBUFFORCE, falling back to SO_RCVBUF without CAP_NET_ADMIN). */
  rcvbuf?: number;
  /** NETLINK_NO_ENOBUFS: never report receive overruns (events are then silently lost). */
  noEnobufs?: boolean;
}

export interface RawIpOpenOptions {
  /** SO_BINDTODEVICE, and the multicast output interface. */
  ifname?: string;
  ttl?: number;
  multicastTtl?: number;
  multicastLoop?: boolean;
  /** false: receive only multicast groups this socket joined (IP_MULTICAST_ALL off). */
  multicastAll?: boolean;
  /** IPv4 TOS byte of sent packets (IP_TOS). */
  tos?: number;
  /** false: send without DF (IP_MTU_DISCOVER = IP_PMTUDISC_DONT). */
  dontFragment?: boolean;
}

export interface PacketOpenOptions {
  /** SOCK_DGRAM (payload only) instead of SOCK_RAW (whole frames). */
  dgram?: boolean;
}

export interface NativeBinding {
  openNetlink(protocol: number, opts?: NetlinkOpenOptions): NativeNetlinkSocket;
  openRawIp(protocol: number, opts?: RawIpOpenOptions): NativeRawIpSocket;
  openPacket(ifindex: number, ethertype: number, opts?: PacketOpenOptions): NativePacketSocket;
  openUdp(opts: UdpOpenOptions): NativeUdpSocket;
  openConnectProber(opts?: ConnectProberOptions): NativeConnectProber;
  ifNameToIndex(name: string): number;
  peerCredentials(fd: number): PeerCredentials;
}

/** The process at the other end of a connected unix socket, as the kernel recorded it at connect. */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** Supplementary groups (SO_PEERGROUPS); empty on kernels without it. */
  groups: number[];
}

/** Where the addon is looked for, in order, with why. */
export function nativeCandidates(env: NodeJS.ProcessEnv = process.env, execPath = process.execPath): Array<{ path: string; from: string }> {
  const fromEnv = env['STOCKADE_NATIVE'];
  if (fromEnv !== undefined && fromEnv !== '') return [{ path: resolve(fromEnv), from: 'STOCKADE_NATIVE' }];
  return [{ path: join(dirname(execPath), 'stockade.node'), from: 'next to the executable' }];
}

let loaded: NativeBinding | undefined;

/** The addon, loaded once, from nativeCandidates(). */
export function loadNative(): NativeBinding {
  loaded ??= loadNativeFrom(nativeCandidates());
  return loaded;
}

/** Loads the first candidate that exists; throws naming every path tried when none does. */
export function loadNativeFrom(candidates: ReadonlyArray<{ path: string; from: string }>): NativeBinding {
  for (const c of candidates) {
    if (!existsSync(c.path)) continue;
    const mod: { exports: unknown } = { exports: {} };
    process.dlopen(mod, c.path, constants.dlopen.RTLD_NOW);
    return mod.exports as NativeBinding;
  }
  const tried = candidates.map((c) => `${c.path} (${c.from})`).join(', ');
  throw new Error(`stockade native addon (stockade.node) not found; tried: ${tried}. ` +
    'Build it with scripts/build-native and set STOCKADE_NATIVE to dist/<arch>/stockade.node.');
}

/** Interface index by name (if_nametoindex); throws ENODEV for an unknown name. */
export function ifNameToIndex(name: string): number {
  return loadNative().ifNameToIndex(name);
}
