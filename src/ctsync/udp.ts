// The UDP transport of the sync protocol: one socket bound to the local address and port, sending
// to the peer's port; datagrams are accepted from the peer's address only (any source port:
// conntrackd sends from a second socket with an ephemeral port). A thin shell over node:dgram.
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';

export interface SyncTransport {
  send(datagram: Buffer): void;
  close(): void;
  /** Datagrams from anyone but the peer, ignored. */
  readonly foreign: number;
  readonly sendErrors: number;
}

export interface UdpTransportOptions {
  local: string;
  peer: string;
  port: number;
  /** Socket buffers in bytes. */
  rcvbuf?: number;
  sndbuf?: number;
}

class UdpTransport implements SyncTransport {
  foreign = 0;
  sendErrors = 0;
  readonly #sock: Socket;
  readonly #peer: string;
  readonly #port: number;

  constructor(sock: Socket, opts: UdpTransportOptions) {
    this.#sock = sock;
    this.#peer = opts.peer;
    this.#port = opts.port;
  }

  send(datagram: Buffer): void {
    this.#sock.send(datagram, this.#port, this.#peer, (err) => {
      if (err) this.sendErrors++;
    });
  }

  close(): void {
    this.#sock.close();
  }

  countForeign(): void {
    this.foreign++;
  }
}

export interface MulticastTransportOptions {
  /** Own address on the sync link: multicast interface and membership. */
  local: string;
  group: string;
  port: number;
}

/**
 * Multicast like conntrackd's: to the group on the sync link, TTL 1, no loopback; datagrams
 * accepted from any address but our own (a group has no single peer).
 */
export function openMulticastTransport(opts: MulticastTransportOptions, onDatagram: (d: Buffer) => void): Promise<SyncTransport> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: 'udp4', reuseAddr: true });
    const t = new UdpTransport(sock, { local: opts.local, peer: opts.group, port: opts.port });
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address === opts.local) {
        t.countForeign();
        return;
      }
      onDatagram(msg);
    });
    sock.once('error', reject);
    sock.bind(opts.port, () => {
      sock.off('error', reject);
      sock.on('error', () => { t.sendErrors++; });
      try {
        sock.addMembership(opts.group, opts.local);
        sock.setMulticastInterface(opts.local);
        sock.setMulticastTTL(1);
        sock.setMulticastLoopback(false);
      } catch (e) {
        sock.close();
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      resolve(t);
    });
  });
}

/** Binds the socket; resolves once datagrams can flow. */
export function openUdpTransport(opts: UdpTransportOptions, onDatagram: (d: Buffer) => void): Promise<SyncTransport> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: 'udp4', ...(opts.rcvbuf !== undefined ? { recvBufferSize: opts.rcvbuf } : {}), ...(opts.sndbuf !== undefined ? { sendBufferSize: opts.sndbuf } : {}) });
    const t = new UdpTransport(sock, opts);
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address !== opts.peer) {
        t.countForeign();
        return;
      }
      onDatagram(msg);
    });
    sock.once('error', reject);
    sock.bind(opts.port, opts.local, () => {
      sock.off('error', reject);
      sock.on('error', () => { t.sendErrors++; });
      resolve(t);
    });
  });
}
