// The UDP transport of the sync protocol: one socket bound to the local address and port on the
// sync interface, sending to the peer's port; datagrams are accepted from the peer's address only
// (any source port: conntrackd sends from a second socket with an ephemeral port) and only when
// they arrived on the sync interface. The socket is bound to that device (SO_BINDTODEVICE) and
// the arrival ifindex is checked again per datagram (defence in depth), which node:dgram could
// not do: a datagram with the peer's source address on another interface was accepted.
import { UdpSocket, ifNameToIndex, interfaceOfAddress, type UdpDatagram } from '../../kernel/index.ts';

export interface SyncTransport {
  send(datagram: Buffer): void;
  close(): void;
  /** Datagrams from anyone but the peer, or on another interface, ignored. */
  readonly foreign: number;
  readonly sendErrors: number;
  /** Datagrams waiting for room in the socket's send buffer, and those dropped because that queue was full. */
  readonly sendQueued: number;
  readonly sendDropped: number;
}

export interface UdpTransportOptions {
  local: string;
  peer: string;
  port: number;
  /** The sync interface; default: the interface holding `local`. */
  device?: string;
  /** Socket buffers in bytes. */
  rcvbuf?: number;
  sndbuf?: number;
}

/** Datagrams held while the send buffer is full (EAGAIN), retried shortly; beyond, dropped. */
export const SEND_QUEUE_MAX = 4096;
const SEND_RETRY_MS = 1;

class UdpTransport implements SyncTransport {
  foreign = 0;
  sendErrors = 0;
  sendDropped = 0;
  readonly #sock: UdpSocket;
  readonly #peer: string;
  readonly #port: number;
  readonly #queue: Buffer[] = [];
  #retry: NodeJS.Timeout | undefined;

  constructor(sock: UdpSocket, peer: string, port: number) {
    this.#sock = sock;
    this.#peer = peer;
    this.#port = port;
  }

  send(datagram: Buffer): void {
    if (this.#sock.closed) return;
    if (this.#queue.length > 0) {
      this.#enqueue(datagram);
      return;
    }
    this.#sendNow(datagram);
  }

  /** false: the send buffer is full, try again later. */
  #sendNow(datagram: Buffer): boolean {
    try {
      this.#sock.sendTo(datagram, this.#peer, this.#port);
    } catch (e) {
      if ((e as { code?: string }).code === 'EAGAIN') {
        if (this.#queue[0] !== datagram) this.#enqueue(datagram);
        return false;
      }
      this.sendErrors++;
    }
    return true;
  }

  #enqueue(datagram: Buffer): void {
    if (this.#queue.length >= SEND_QUEUE_MAX) {
      this.sendDropped++; // FTFW sends it again when the peer NACKs or its ACKs pass over it
      return;
    }
    this.#queue.push(datagram);
    this.#retry ??= setTimeout(() => this.#drain(), SEND_RETRY_MS);
  }

  #drain(): void {
    this.#retry = undefined;
    while (this.#queue.length > 0 && !this.#sock.closed) {
      if (!this.#sendNow(this.#queue[0]!)) {
        this.#retry = setTimeout(() => this.#drain(), SEND_RETRY_MS);
        return;
      }
      this.#queue.shift();
    }
  }

  get sendQueued(): number {
    return this.#queue.length;
  }

  close(): void {
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#queue.length = 0;
    this.#sock.close();
  }

  /** Delivers what `accept` takes, counts the rest as foreign. */
  receive(ifindex: number, accept: (d: UdpDatagram) => boolean, onDatagram: (d: Buffer, source: string) => void): void {
    this.#sock.receive((d) => {
      if (d.ifindex !== ifindex || !accept(d)) {
        this.foreign++;
        return;
      }
      onDatagram(d.data, d.source);
    }, () => { this.sendErrors++; });
  }
}

export interface MulticastTransportOptions {
  /** Own address on the sync link: multicast interface and membership. */
  local: string;
  group: string;
  port: number;
  /** The sync interface; default: the interface holding `local`. */
  device?: string;
}

async function syncInterface(local: string, device: string | undefined): Promise<{ name: string; index: number }> {
  if (device === undefined) return interfaceOfAddress(local);
  return { name: device, index: ifNameToIndex(device) };
}

/**
 * Multicast like conntrackd's: to the group on the sync link, TTL 1, no loopback; datagrams
 * accepted from any address but our own (a group has no single peer).
 */
export async function openMulticastTransport(opts: MulticastTransportOptions, onDatagram: (d: Buffer, source: string) => void): Promise<SyncTransport> {
  const dev = await syncInterface(opts.local, opts.device);
  const sock = UdpSocket.open({ port: opts.port, device: dev.name, reuseAddr: true, multicastGroup: opts.group, multicastTtl: 1 });
  const t = new UdpTransport(sock, opts.group, opts.port);
  t.receive(dev.index, (d) => d.source !== opts.local, onDatagram);
  return t;
}

/** Binds the socket; resolves once datagrams can flow. */
export async function openUdpTransport(opts: UdpTransportOptions, onDatagram: (d: Buffer, source: string) => void): Promise<SyncTransport> {
  const dev = await syncInterface(opts.local, opts.device);
  const sock = UdpSocket.open({
    port: opts.port, address: opts.local, device: dev.name,
    ...(opts.rcvbuf !== undefined ? { rcvbuf: opts.rcvbuf } : {}),
    ...(opts.sndbuf !== undefined ? { sndbuf: opts.sndbuf } : {}),
  });
  const t = new UdpTransport(sock, opts.peer, opts.port);
  t.receive(dev.index, (d) => d.source === opts.peer, onDatagram);
  return t;
}
