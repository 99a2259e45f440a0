// A UDP/IPv4 socket over the addon, for conntrack sync: unlike node:dgram it binds to a device
// (SO_BINDTODEVICE) and reports each datagram's arrival ifindex, so a datagram with the peer's
// source address arriving on another interface can be refused.
import type { SystemError } from './errors.ts';
import { systemError } from './errors.ts';
import { loadNative } from './native.ts';
import type { NativeUdpSocket, UdpOpenOptions } from './native.ts';
import { OwnedSocket } from './owned-socket.ts';
import { Rtnl } from './rtnetlink/client.ts';
import { constants as osConstants } from 'node:os';

export interface UdpDatagram {
  data: Buffer;
  source: string;
  port: number;
  ifindex: number;
}

export type { UdpOpenOptions };

export class UdpSocket extends OwnedSocket<NativeUdpSocket> {
  static open(opts: UdpOpenOptions): UdpSocket {
    return new UdpSocket(loadNative().openUdp(opts));
  }

  /** Throws a SystemError (EAGAIN when the send buffer is full). */
  sendTo(data: Uint8Array, address: string, port: number): number {
    return this.sock.sendTo(data, address, port);
  }

  receive(onDatagram: (d: UdpDatagram) => void, onError: (err: SystemError) => void): void {
    this.sock.recvStart((err, data, source, port, ifindex) => {
      if (err !== null) onError(err);
      else onDatagram({ data, source, port, ifindex });
    });
  }
}

/** The interface holding an IPv4 address in this namespace: its name and ifindex. */
export async function interfaceOfAddress(address: string): Promise<{ name: string; index: number }> {
  const rtnl = Rtnl.open();
  try {
    const a = (await rtnl.addresses()).find((x) => x.local === address);
    const link = a === undefined ? undefined : (await rtnl.links()).find((l) => l.index === a.index);
    if (link === undefined) throw systemError(osConstants.errno.EADDRNOTAVAIL, 'interfaceOfAddress', `no interface has ${address}`);
    return { name: link.name, index: link.index };
  } finally {
    rtnl.close();
  }
}
