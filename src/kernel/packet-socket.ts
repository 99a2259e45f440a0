// An AF_PACKET socket bound to one interface and ethertype over the addon: sends whole
// Ethernet frames (gratuitous ARP) and receives frames of that ethertype on that interface.
import type { SystemError } from './errors.ts';
import { loadNative } from './native.ts';
import { OwnedSocket } from './owned-socket.ts';
import type { NativePacketSocket, PacketOpenOptions } from './native.ts';

export interface ReceivedFrame {
  /** The whole frame (SOCK_RAW) or the payload after the link header (dgram). */
  data: Buffer;
  ifindex: number;
  /** PACKET_HOST, PACKET_BROADCAST, ... PACKET_OUTGOING (socket-constants.ts). */
  pkttype: number;
  ethertype: number;
}

export class PacketSocket extends OwnedSocket<NativePacketSocket> {
  readonly ifindex: number;
  readonly ethertype: number;

  constructor(ifindex: number, ethertype: number, sock: NativePacketSocket) {
    super(sock);
    this.ifindex = ifindex;
    this.ethertype = ethertype;
  }

  static open(ifindex: number, ethertype: number, opts: PacketOpenOptions = {}): PacketSocket {
    return new PacketSocket(ifindex, ethertype, loadNative().openPacket(ifindex, ethertype, opts));
  }

  /** A whole Ethernet frame, header included (SOCK_RAW sockets). */
  send(frame: Uint8Array): number {
    return this.sock.send(frame);
  }

  /** A payload to a link-layer address (dgram sockets). */
  sendTo(payload: Uint8Array, mac: Uint8Array): number {
    return this.sock.sendTo(payload, mac);
  }

  receive(onFrame: (f: ReceivedFrame) => void, onError: (err: SystemError) => void): void {
    this.sock.recvStart((err, data, ifindex, pkttype, ethertype) => {
      if (err !== null) onError(err);
      else onFrame({ data, ifindex, pkttype, ethertype });
    });
  }
}

