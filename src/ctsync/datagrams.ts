// Packs sync messages into datagrams the way conntrackd does (append while the total stays below
// the datagram size), counting what goes out. Shared by the FTFW, NOTRACK and ALARM senders.

export interface SendCounters {
  messagesSent: number;
  datagramsSent: number;
  bytesSent: number;
}

export class DatagramPacker {
  readonly #max: number;
  readonly #stats: SendCounters;
  readonly #send: (datagram: Buffer) => void;
  #parts: Buffer[] = [];
  #size = 0;

  constructor(maxDatagram: number, stats: SendCounters, send: (datagram: Buffer) => void) {
    this.#max = maxDatagram;
    this.#stats = stats;
    this.#send = send;
  }

  add(message: Buffer): void {
    if (this.#parts.length > 0 && this.#size + message.length >= this.#max) this.end();
    this.#parts.push(message);
    this.#size += message.length;
    this.#stats.messagesSent++;
  }

  /** Sends what is packed (if anything). */
  end(): void {
    if (this.#parts.length === 0) return;
    const d = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    this.#stats.datagramsSent++;
    this.#stats.bytesSent += d.length;
    this.#send(d);
  }
}
