// TCP connect checks in bulk (keepalived's TCP_CHECK) over the addon's connect prober
// (src/native/connect.c): one epoll set for every probe, each finished connect delivered in a
// batch per wake-up. A net.Socket per probe cost too much CPU for thousands of checks a second
// (see connect.c); TLS, exchanges and a chosen source address still go through stream.ts.
//
// Timeouts: one timer for every probe. Probes of one timeout are due in the order they started,
// so each timeout keeps a FIFO queue and the timer is armed at the earliest queue head; starting
// a probe re-arms nothing unless its deadline is the earliest. The timer is an AfterPollTimer: a
// connect the kernel finished in time is read first when the loop runs late.
//
// Batching (`batchMs`): after a delivery the epoll set is not watched until the next multiple of
// batchMs (or the next timeout, if sooner), so the connects finished meanwhile come in one
// wake-up, together with the checks the shell starts on the same grid. A wake-up of the loop
// costs more than the probes it delivers in the appliance VM; each result is late by batchMs
// at most.
//
// Repeats (`repeat`): a check that would connect every interval until something changes is run
// by the addon (src/native/repeat.c says why), on a batchMs grid; only its first failure comes
// back, with when that attempt was due and how many succeeded before it.
import { constants } from 'node:os';
import { loadNative } from '../native.ts';
import type { NativeConnectProber } from '../native.ts';
import { AfterPollTimer } from '../../common/index.ts';
import { errnoName } from '../errors.ts';
import { connectOnly, outcomeError, probeError, probeWords } from './stream.ts';

/** How a probe ends: undefined connected, else the reason in words. */
export type ConnectDone = (err: Error | undefined) => void;

/** How a repeat ends: its first failure, when that attempt was due (this prober's clock), and the
 *  successes before it. */
export type RepeatDone = (err: Error, dueAt: number, successes: number) => void;

/** A repeat under way. */
export interface Repeat {
  /** Ends it; `done` is not called after this. */
  cancel(): void;
  /** Successes so far and when the last came (undefined: none yet, or the repeat is over). */
  stats(): { successes: number; lastOkAt: number | undefined };
}

interface RepeatEntry {
  token: number;
  handle: number;
  timeoutMs: number;
  done: RepeatDone;
}

interface Pending {
  token: number;
  fd: number;
  deadline: number;
  timeoutMs: number;
  done: ConnectDone;
  settled: boolean;
}

/** Probes of one timeout in start order; `head` skips the ones already gone. */
interface Queue {
  items: Pending[];
  head: number;
}

function viaNet(address: string, port: number, timeoutMs: number, done: ConnectDone): () => void {
  const abort = new AbortController();
  connectOnly({ address, port }, timeoutMs, abort.signal).then(() => done(undefined), (e: Error) => {
    if (!abort.signal.aborted) done(e);
  });
  return () => abort.abort();
}

/** Bytes per result record (see NativeConnectProber). */
const RECORD = 16;

/** A failed connect's words by errno (one entry per errno at most), each looked up once, the usual
 *  ones when the prober opens: util's lookups are some 20 us on the host when cold, and the step
 *  they were in (a failure record to its error) took 1.5-5.4 ms of the appliance VM's emulated CPU
 *  at a daemon's first failure, on the way to its down line. */
const connectWords = new Map<number, string>();
function wordsOf(errno: number): string {
  let words = connectWords.get(errno);
  if (words === undefined) connectWords.set(errno, (words = probeWords(errnoName(errno))));
  return words;
}
const connectFailure = (errno: number): Error => outcomeError(wordsOf(errno));

/** A repeat's failure in the words of a single probe's (ETIMEDOUT from the addon: its timeout passed). */
function repeatError(errno: number, timeoutMs: number): Error {
  return errno === constants.errno.ETIMEDOUT ? outcomeError(`no connection within ${timeoutMs} ms`) : connectFailure(errno);
}

/** Tokens are the addon's int32 arguments: 1 .. 2^31-1, then around again (none lives that long). */
const TOKEN_MAX = 0x7fffffff;

export class ConnectProber {
  readonly #now: () => number;
  #sock: NativeConnectProber | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #repeats = new Map<number, RepeatEntry>();
  readonly #queues = new Map<number, Queue>();
  #token = 0;
  #timer: AfterPollTimer | undefined;
  #timerAt = Infinity;
  #closed = false;
  readonly #batchMs: number;
  #onResults: ((err: Error | null, data: Buffer) => void) | undefined;
  /** Not watching the epoll set until #resume fires. */
  #resume: NodeJS.Timeout | undefined;
  #resumeAt = Infinity;

  constructor(now: () => number = () => performance.now(), opts: { batchMs?: number } = {}) {
    this.#now = now;
    this.#batchMs = opts.batchMs ?? 0;
  }

  /** Probes under way (a bound: one per check at most). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Connects to address:port and closes at once; `done` is called once, later (never from inside
   * this call), unless the returned cancel is called first. No promise, no AbortSignal: the
   * checkers start thousands of these a second. IPv6 goes through node:net (the prober is IPv4).
   */
  start(address: string, port: number, timeoutMs: number, done: ConnectDone): () => void {
    // Addresses come checked from the config: one with a colon is IPv6 (no regex per probe).
    if (address.includes(':')) return viaNet(address, port, timeoutMs, done);
    const p: Pending = { token: 0, fd: -1, deadline: this.#now() + timeoutMs, timeoutMs, done, settled: false };
    const cancel = (): void => this.#finish(p, undefined, true, false);
    if (this.#closed) return this.#failSoon(p, new Error('checks stopped')), cancel;
    const sock = this.#open();
    p.token = this.#nextToken();
    let fd: number;
    try {
      fd = sock.connectProbe(p.token, address, port);
    } catch (e) {
      return this.#failSoon(p, probeError(e)), cancel;
    }
    if (fd < 0) return this.#failSoon(p, connectFailure(-fd)), cancel;
    p.fd = fd;
    this.#pending.set(p.token, p);
    let q = this.#queues.get(timeoutMs);
    if (q === undefined) this.#queues.set(timeoutMs, (q = { items: [], head: 0 }));
    q.items.push(p);
    if (p.deadline < this.#timerAt) this.#arm(p.deadline);
    return cancel;
  }

  /** Whether repeat() takes this address (IPv4 only: the addon's connects are AF_INET). */
  static canRepeat(address: string): boolean {
    return !address.includes(':');
  }

  /**
   * Connects to address:port at `firstAt` and then every `intervalMs` on that grid, each connect
   * failing after `timeoutMs`, until one fails: `done` then, once and later (never from inside
   * this call), unless cancelled first. Nothing reaches JavaScript while connects succeed.
   */
  repeat(address: string, port: number, firstAt: number, intervalMs: number, timeoutMs: number, done: RepeatDone): Repeat {
    if (!ConnectProber.canRepeat(address)) throw new Error(`repeat: ${address} is not IPv4`);
    const failSoon = (err: Error): Repeat => {
      let cancelled = false;
      queueMicrotask(() => cancelled || done(err, firstAt, 0));
      return { cancel: () => void (cancelled = true), stats: () => ({ successes: 0, lastOkAt: undefined }) };
    };
    if (this.#closed) return failSoon(new Error('checks stopped'));
    const sock = this.#open();
    const token = this.#nextToken();
    let handle: number;
    try {
      handle = sock.repeatProbe(token, address, port, Math.max(0, Math.round(firstAt - this.#now())), Math.max(1, Math.round(intervalMs)), Math.max(1, Math.round(timeoutMs)));
    } catch (e) {
      return failSoon(probeError(e));
    }
    const entry: RepeatEntry = { token, handle, timeoutMs, done };
    this.#repeats.set(token, entry);
    if (this.#repeats.size === 1) this.#holdLoop();
    return {
      cancel: () => {
        if (this.#repeats.get(token) !== entry) return;
        this.#dropRepeat(entry);
        this.#sock?.cancelRepeat(handle, token);
      },
      stats: () => {
        const s = this.#repeats.get(token) === entry ? this.#sock?.repeatStats(handle, token) : undefined;
        return s === undefined ? { successes: 0, lastOkAt: undefined } : { successes: s[0], lastOkAt: s[1] < 0 ? undefined : this.#now() - s[1] };
      },
    };
  }

  /** Repeats under way. */
  get repeating(): number {
    return this.#repeats.size;
  }

  /** start() as a promise with an AbortSignal. */
  connect(address: string, port: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Error('cancelled'));
      const onAbort = (): void => {
        cancel();
        reject(new Error('cancelled'));
      };
      const cancel = this.start(address, port, timeoutMs, (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Fails what is under way and closes the epoll set. */
  close(): void {
    this.#closed = true;
    for (const p of [...this.#pending.values()]) this.#finish(p, new Error('checks stopped'), true, true);
    const now = this.#now();
    for (const r of [...this.#repeats.values()]) {
      this.#dropRepeat(r);
      r.done(new Error('checks stopped'), now, 0);
    }
    this.#timer?.cancel();
    this.#timer = undefined;
    clearTimeout(this.#resume);
    this.#resume = undefined;
    this.#sock?.close();
    this.#sock = undefined;
  }

  #open(): NativeConnectProber {
    if (this.#sock !== undefined) return this.#sock;
    const sock = loadNative().openConnectProber({ gridMs: Math.min(1000, Math.max(1, Math.round(this.#batchMs))) });
    // The usual failures' words: here, not at the first failed check.
    for (const errno of [constants.errno.ECONNREFUSED, constants.errno.ECONNRESET, constants.errno.EHOSTUNREACH, constants.errno.ENETUNREACH]) wordsOf(errno);
    this.#onResults = (err, data) => {
      if (err !== null) throw err; // epoll_wait failing on our own epoll fd is a bug, not a probe result
      // Every delivered fd is closed already: take them all out of #pending before any settles,
      // so nothing cancels an fd number the kernel may hand out again.
      const done: Array<[Pending, number]> = [];
      const ended: Array<[RepeatEntry, number, number, number]> = [];
      const now = this.#now();
      for (let i = 0; i + RECORD <= data.length; i += RECORD) {
        const token = data.readUInt32LE(i);
        const p = this.#pending.get(token);
        if (p !== undefined) {
          this.#pending.delete(p.token);
          p.fd = -1;
          done.push([p, data.readUInt32LE(i + 4)]);
          continue;
        }
        const r = this.#repeats.get(token);
        if (r === undefined) continue;
        this.#dropRepeat(r);
        ended.push([r, data.readUInt32LE(i + 4), now - data.readUInt32LE(i + 8) / 1000, data.readUInt32LE(i + 12)]);
      }
      for (const [p, errno] of done) this.#finish(p, errno === 0 ? undefined : connectFailure(errno), false, true);
      for (const [r, errno, dueAt, successes] of ended) r.done(repeatError(errno, r.timeoutMs), dueAt, successes);
      this.#pause();
    };
    sock.recvStart(this.#onResults);
    // Probes keep the loop alive through their promises' owners, not through the epoll set.
    sock.unref();
    this.#sock = sock;
    return sock;
  }

  #nextToken(): number {
    return (this.#token = this.#token >= TOKEN_MAX ? 1 : this.#token + 1);
  }

  #dropRepeat(r: RepeatEntry): void {
    this.#repeats.delete(r.token);
    if (this.#repeats.size === 0) this.#holdLoop();
  }

  /** Repeats keep the loop alive (nothing in JavaScript waits for them): the epoll set's poll,
   *  and while it is paused, the timer that resumes it. Plain probes' owners keep it themselves. */
  #holdLoop(): void {
    const hold = this.#repeats.size > 0;
    if (hold) this.#sock?.ref();
    else this.#sock?.unref();
    if (hold) this.#resume?.ref();
    else this.#resume?.unref();
  }

  /** Settles `p` once: closes its fd if still ours, and tells its owner unless it cancelled. */
  #finish(p: Pending, err: Error | undefined, closeFd: boolean, tell: boolean): void {
    if (p.settled) return;
    p.settled = true;
    this.#pending.delete(p.token);
    if (closeFd && p.fd >= 0) this.#sock?.cancelProbe(p.fd);
    p.fd = -1;
    if (tell) p.done(err);
  }

  /** A failure known at the start, told after the caller has its cancel. */
  #failSoon(p: Pending, err: Error): void {
    queueMicrotask(() => this.#finish(p, err, false, true));
  }

  #arm(at: number): void {
    this.#timer?.cancel();
    this.#timerAt = at;
    this.#timer = new AfterPollTimer(Math.max(0, at - this.#now()), (firedAt) => this.#expire(firedAt), this.#now);
    // The timeout's poll must read the epoll set: watch again by then.
    if (this.#resume !== undefined && at < this.#resumeAt) this.#resumeBy(at);
  }

  /** After a delivery: stop watching until the next batch time, or the next timeout if sooner. */
  #pause(): void {
    if (this.#batchMs <= 0 || this.#closed || this.#resume !== undefined || this.#sock === undefined) return;
    this.#sock.recvStop();
    const now = this.#now();
    this.#resumeBy(Math.min(Math.floor(now / this.#batchMs + 1) * this.#batchMs, this.#timerAt));
  }

  #resumeBy(at: number): void {
    clearTimeout(this.#resume);
    this.#resumeAt = at;
    this.#resume = setTimeout(() => {
      this.#resume = undefined;
      this.#resumeAt = Infinity;
      if (!this.#closed && this.#sock !== undefined && this.#onResults !== undefined) this.#sock.recvStart(this.#onResults);
    }, Math.max(0, at - this.#now()));
    // The probes' owners keep the loop alive, not this (as the epoll set is unref'd); repeats do.
    if (this.#repeats.size === 0) this.#resume.unref();
  }

  #expire(firedAt: number): void {
    // Due: what the timer was armed for (fired means due, even when our clock is a little behind
    // the loop's: Node arms timers from the time cached when the loop's turn began), and what
    // passed before it fired. A deadline that passed later has had no poll since: it waits.
    const now = Math.max(this.#timerAt, firedAt);
    this.#timer = undefined;
    this.#timerAt = Infinity;
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
    for (const p of due) this.#finish(p, outcomeError(`no connection within ${p.timeoutMs} ms`), true, true);
    if (next < Infinity && !this.#closed) this.#arm(next);
  }
}
