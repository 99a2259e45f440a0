// A scripted stand-in for the addon's netlink socket: records what NetlinkSocket sends and lets
// a test deliver datagrams (as the kernel or another process) and receive errors.
import type { SystemError } from '../../../src/kernel/errors.ts';
import { systemError } from '../../../src/kernel/errors.ts';
import type { RecvCallback } from '../../../src/kernel/native.ts';
import { decodeMessages, encodeMessages } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkMessage } from '../../../src/kernel/netlink/message.ts';
import type { NetlinkTransport } from '../../../src/kernel/netlink/socket.ts';

export class FakeNetlinkKernel implements NetlinkTransport {
  readonly portId = 4242;
  sent: NetlinkMessage[] = [];
  /** Messages per datagram sent, in order (a batch is one datagram of several). */
  datagrams: number[] = [];
  options: Array<[number, number, number]> = [];
  groups = new Set<number>();
  closed = false;
  refed = true;
  sendError: SystemError | undefined;
  #cb: RecvCallback<[pid: number, group: number]> | undefined;

  get receiving(): boolean {
    return this.#cb !== undefined;
  }

  send(data: Uint8Array): number {
    if (this.sendError !== undefined) throw this.sendError;
    const msgs = decodeMessages(Buffer.from(data));
    this.sent.push(...msgs);
    this.datagrams.push(msgs.length);
    return data.length;
  }

  recvStart(cb: RecvCallback<[pid: number, group: number]>): void { this.#cb = cb; }
  recvStop(): void { this.#cb = undefined; }
  addMembership(group: number): void { this.groups.add(group); }
  dropMembership(group: number): void { this.groups.delete(group); }
  setOption(level: number, name: number, value: number): void { this.options.push([level, name, value]); }
  ref(): void { this.refed = true; }
  unref(): void { this.refed = false; }
  close(): void { this.closed = true; this.#cb = undefined; }

  /** Delivers one datagram holding `msgs`; returns false if nobody is receiving. */
  deliver(msgs: NetlinkMessage[], opts: { pid?: number; group?: number } = {}): boolean {
    return this.deliverRaw(encodeMessages(msgs), opts);
  }

  deliverRaw(datagram: Buffer, opts: { pid?: number; group?: number } = {}): boolean {
    if (this.#cb === undefined) return false;
    this.#cb(null, datagram, opts.pid ?? 0, opts.group ?? 0);
    return true;
  }

  fail(errno: number): void {
    this.#cb?.(systemError(errno, 'recvmsg', 'injected'), Buffer.alloc(0), 0, 0);
  }

  lastSent(): NetlinkMessage {
    const m = this.sent[this.sent.length - 1];
    if (m === undefined) throw new Error('nothing sent');
    return m;
  }
}

/** An NLMSG_ERROR payload answering `req` with `error` (0 = ack), capped, optional TLVs. */
export function ackPayload(req: NetlinkMessage, error: number, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(4 + 16);
  b.writeInt32LE(error, 0);
  b.writeUInt32LE(16 + req.payload.length, 4);
  b.writeUInt16LE(req.type, 8);
  b.writeUInt16LE(req.flags, 10);
  b.writeUInt32LE(req.seq, 12);
  b.writeUInt32LE(req.pid, 16);
  return Buffer.concat([b, tlvs]);
}
