// TCP connect checks in bulk (keepalived's TCP_CHECK) over the addon's connect prober
// (src/native/connect.c): one epoll set for every probe, each finished connect delivered in a
// batch per wake-up. A net.Socket per probe cost too much CPU for thousands of checks a second
// (see connect.c); TLS, exchanges and a chosen source address still go through stream.ts.
//
// Timeouts: one timer for every probe. Probes of one timeout are due in the order they started,
// so each timeout keeps a FIFO queue and the timer is armed at the earliest queue head; starting
// a probe re-arms nothing unless its deadline is the earliest. As in stream.ts, a timeout fails
// its probe only after one more poll, so a connect the kernel finished in time is read first
// when the loop runs late.
import { loadNative } from '../native.ts';
import type { NativeConnectProber } from '../native.ts';
import { errnoName } from '../errors.ts';
import { connectOnly, probeError } from './stream.ts';

interface Pending {
  token: number;
  fd: number;
  deadline: number;
  timeoutMs: number;
  signal: AbortSignal;
  onAbort: () => void;
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
}

/** Probes of one timeout in start order; `head` skips the ones already gone. */
interface Queue {
  items: Pending[];
  head: number;
}

/** Tokens are the addon's int32 arguments: 1 .. 2^31-1, then around again (none lives that long). */
const TOKEN_MAX = 0x7fffffff;

export class ConnectProber {
  readonly #now: () => number;
  #sock: NativeConnectProber | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #queues = new Map<number, Queue>();
  #token = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #closed = false;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Probes under way (a bound: one per check at most). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Connects to address:port and closes at once; rejects with the reason in words. IPv6
   *  addresses go through node:net (the prober is IPv4). */
  connect(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    // Addresses come checked from the config: one with a colon is IPv6 (no regex per probe).
    if (address.includes(':')) return connectOnly({ address, port }, timeoutMs, signal);
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('checks stopped'));
      if (signal.aborted) return reject(new Error('cancelled'));
      const sock = this.#open();
      const token = this.#token = this.#token >= TOKEN_MAX ? 1 : this.#token + 1;
      let fd: number;
      try {
        fd = sock.connectProbe(token, address, port);
      } catch (e) {
        return reject(probeError(e));
      }
      if (fd < 0) return reject(probeError({ code: errnoName(fd) }));
      const p: Pending = {
        token, fd, deadline: this.#now() + timeoutMs, timeoutMs, signal, resolve, reject, settled: false,
        onAbort: () => this.#finish(p, new Error('cancelled'), true),
      };
      signal.addEventListener('abort', p.onAbort, { once: true });
      this.#pending.set(token, p);
      let q = this.#queues.get(timeoutMs);
      if (q === undefined) this.#queues.set(timeoutMs, (q = { items: [], head: 0 }));
      q.items.push(p);
      if (p.deadline < this.#timerAt) this.#arm(p.deadline);
    });
  }

  /** Fails what is under way and closes the epoll set. */
  close(): void {
    this.#closed = true;
    for (const p of [...this.#pending.values()]) this.#finish(p, new Error('checks stopped'), true);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sock?.close();
    this.#sock = undefined;
  }

  #open(): NativeConnectProber {
    if (this.#sock !== undefined) return this.#sock;
    const sock = loadNative().openConnectProber();
    sock.recvStart((err, data) => {
      if (err !== null) throw err; // epoll_wait failing on our own epoll fd is a bug, not a probe result
      // Every delivered fd is closed already: take them all out of #pending before any settles,
      // so nothing cancels an fd number the kernel may hand out again.
      const done: Array<[Pending, number]> = [];
      for (let i = 0; i + 8 <= data.length; i += 8) {
        const p = this.#pending.get(data.readUInt32LE(i));
        if (p === undefined) continue;
        this.#pending.delete(p.token);
        p.fd = -1;
        done.push([p, data.readUInt32LE(i + 4)]);
      }
      for (const [p, errno] of done) this.#finish(p, errno === 0 ? undefined : probeError({ code: errnoName(errno) }), false);
    });
    // Probes keep the loop alive through their promises' owners, not through the epoll set.
    sock.unref();
    this.#sock = sock;
    return sock;
  }

  #finish(p: Pending, err: Error | undefined, cancelFd: boolean): void {
    if (p.settled) return;
    p.settled = true;
    this.#pending.delete(p.token);
    p.signal.removeEventListener('abort', p.onAbort);
    if (cancelFd && p.fd >= 0) this.#sock?.cancelProbe(p.fd);
    p.fd = -1;
    if (err === undefined) p.resolve();
    else p.reject(err);
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, at - this.#now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#now();
    const due: Pending[] = [];
    let next = Infinity;
    for (const [ms, q] of this.#queues) {
      while (q.head < q.items.length) {
        const p = q.items[q.head]!;
        if (!p.settled && p.deadline > now) break;
        if (!p.settled) due.push(p);
        q.head++;
      }
      if (q.head === q.items.length) this.#queues.delete(ms);
      else {
        if (q.head > 1024) {
          q.items = q.items.slice(q.head);
          q.head = 0;
        }
        next = Math.min(next, q.items[q.head]!.deadline);
      }
    }
    if (due.length > 0) setImmediate(() => {
      for (const p of due) this.#finish(p, new Error(`no connection within ${p.timeoutMs} ms`), true);
    });
    if (next < Infinity && !this.#closed) this.#arm(next);
  }
}
