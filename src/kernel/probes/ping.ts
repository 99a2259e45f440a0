// ICMP echo for the LVS PING checks: one raw ICMP socket (through the addon) shared by every
// check, replies matched by identifier and sequence. Root only, as the daemon runs; keepalived
// uses the same raw socket when it may not use an ICMP datagram socket.
import { RawIpSocket } from '../raw-ip-socket.ts';

const IPPROTO_ICMP = 1;
const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function echoRequest(id: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = ICMP_ECHO_REQUEST;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  b.write('stockade', 8, 'latin1');
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

export class Pinger {
  #sock: RawIpSocket | undefined;
  readonly #id = process.pid & 0xffff;
  #seq = 0;
  readonly #waiting = new Map<number, { address: string; resolve: () => void }>();

  #socket(): RawIpSocket {
    if (this.#sock) return this.#sock;
    const sock = RawIpSocket.open(IPPROTO_ICMP);
    sock.receive((p) => {
      const b = p.payload;
      if (b.length < 8 || b[0] !== ICMP_ECHO_REPLY || b.readUInt16BE(4) !== this.#id) return;
      const w = this.#waiting.get(b.readUInt16BE(6));
      if (w && w.address === p.source) w.resolve();
    }, () => undefined);
    sock.unref();
    this.#sock = sock;
    return sock;
  }

  /** Resolves on the echo reply; rejects after `timeoutMs` or on abort. */
  ping(address: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error('cancelled'));
      const seq = (this.#seq = (this.#seq + 1) & 0xffff);
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiting.delete(seq);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish(new Error('cancelled'));
      const timer = setTimeout(() => finish(new Error(`no echo reply within ${timeoutMs} ms`)), timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.set(seq, { address, resolve: () => finish() });
      try {
        this.#socket().sendTo(echoRequest(this.#id, seq), address);
      } catch (e) {
        finish(new Error((e as Error).message));
      }
    });
  }

  close(): void {
    this.#sock?.close();
    this.#sock = undefined;
  }
}
