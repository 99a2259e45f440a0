// A raw IPv4 socket for one IP protocol (VRRP: 112) over the addon: the kernel writes the IP
// header; received packets come with source, destination, TTL and ingress ifindex so the VRRP
// shell can apply RFC 5798's TTL-255 and interface checks.
import type { SystemError } from './errors.ts';
import { loadNative } from './native.ts';
import { OwnedSocket } from './owned-socket.ts';
import type { NativeRawIpSocket, RawIpOpenOptions } from './native.ts';

export interface RawIpPacket {
  /** The IP payload (the IP header and its options are stripped). */
  payload: Buffer;
  source: string;
  destination: string;
  ttl: number;
  ifindex: number;
}

export type { RawIpOpenOptions };

export class RawIpSocket extends OwnedSocket<NativeRawIpSocket> {
  readonly protocol: number;

  constructor(protocol: number, sock: NativeRawIpSocket) {
    super(sock);
    this.protocol = protocol;
  }

  static open(protocol: number, opts: RawIpOpenOptions = {}): RawIpSocket {
    return new RawIpSocket(protocol, loadNative().openRawIp(protocol, opts));
  }

  /** Sends one datagram; `source` picks the source address (IP_PKTINFO), else the kernel does. */
  sendTo(payload: Uint8Array, destination: string, source?: string): number {
    return source === undefined ? this.sock.sendTo(payload, destination) : this.sock.sendTo(payload, destination, source);
  }

  join(group: string, ifindex: number): void {
    this.sock.addMembership(group, ifindex);
  }

  leave(group: string, ifindex: number): void {
    this.sock.dropMembership(group, ifindex);
  }

  /** Receive until stop()/close(); errors (ICMP-reported, overruns) go to onError. */
  receive(onPacket: (p: RawIpPacket) => void, onError: (err: SystemError) => void): void {
    this.sock.recvStart((err, payload, source, destination, ttl, ifindex) => {
      if (err !== null) onError(err);
      else onPacket({ payload, source, destination, ttl, ifindex });
    });
  }
}
