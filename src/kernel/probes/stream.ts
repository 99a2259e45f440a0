// TCP (and TLS over TCP) for the LVS health checks: a connect with its own timeout, and an
// exchange (send a request, read until the server closes or a byte limit). Every call takes an
// AbortSignal: the checker core owns the whole check's deadline and aborts what is still running.
// Errors are Error objects whose message says what happened in words (refused, unreachable...).
import { connect as tcpConnect } from 'node:net';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorMessage } from 'node:util';
import type * as Tls from 'node:tls';
import { AfterPollTimer } from '../../common/index.ts';

// node:tls on the first HTTPS check, not imported: loading it (and the crypto under it) is a
// good part of every command's start-up, and only HTTPS checks need it.
let tls: typeof Tls | undefined;
const nodeTls = (): typeof Tls => (tls ??= process.getBuiltinModule('node:tls') as typeof Tls);

export interface StreamTarget {
  address: string;
  port: number;
  /** TLS: the certificate is not verified (real servers often have self-signed ones; the check is
   *  about the service answering), SNI is sent when a name is given. */
  tls?: { servername?: string };
  /** The source address (diagnose: a client-side address, so the reply must route back through the box). */
  localAddress?: string;
}

const WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  EPIPE: 'connection closed while sending',
};

/** What a failure's errno name says in words: WORDS', else the system's message with the name
 *  ('operation not permitted (EPERM)': a local firewall refusing the connect). */
export function probeWords(code: string): string {
  const word = WORDS[code];
  if (word !== undefined) return word;
  const errno = (constants.errno as Record<string, number | undefined>)[code];
  return errno === undefined ? code : `${getSystemErrorMessage(-errno)} (${code})`;
}

/** A probe's failure: node:net's error (its message unless WORDS has its code), or a bare { code }. */
export function probeError(e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const word = err.code !== undefined ? WORDS[err.code] : undefined;
  return outcomeError(word ?? err.message ?? (err.code !== undefined ? probeWords(err.code) : String(e)));
}

/**
 * An Error that is a probe's outcome (a dead server), not a fault: only its message is read, so
 * it is made without a stack trace, whose capture is most of an Error's cost (on the host 2 us
 * against 0.3; in the appliance VM the step from a repeat's failure record to its error took
 * 0.8-0.9 ms with it, 0.5-0.7 without, on the way to the down line).
 */
export function outcomeError(message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function open(t: StreamTarget, connectTimeoutMs: number, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const sock: Socket = t.tls
      ? nodeTls().connect({ host: t.address, port: t.port, rejectUnauthorized: false, ...(t.tls.servername !== undefined ? { servername: t.tls.servername } : {}), ...(t.localAddress !== undefined ? { localAddress: t.localAddress } : {}) })
      : tcpConnect({ host: t.address, port: t.port, ...(t.localAddress !== undefined ? { localAddress: t.localAddress } : {}) });
    let settled = false;
    // One poll after the timer: a connect finished in time but not read yet is taken first, or a
    // live server is marked down for our own lag.
    const timer = new AfterPollTimer(connectTimeoutMs, () => fail(outcomeError(`no connection within ${connectTimeoutMs} ms`)));
    const onAbort = (): void => fail(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    function done(): boolean {
      if (settled) return false;
      settled = true;
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      sock.removeListener('error', fail);
      return true;
    }
    function fail(e: unknown): void {
      if (!done()) return;
      sock.destroy();
      reject(probeError(e));
    }
    sock.once('error', fail);
    sock.once(t.tls ? 'secureConnect' : 'connect', () => {
      if (done()) resolve(sock);
    });
  });
}

/** Connects, then closes at once (keepalived TCP_CHECK). */
export async function connectOnly(t: StreamTarget, connectTimeoutMs: number, signal: AbortSignal): Promise<void> {
  const sock = await open(t, connectTimeoutMs, signal);
  sock.destroy();
}

/**
 * Connects, writes `request`, and reads until the server closes, `maxBytes`, or `complete` says
 * the answer is whole (a server that keeps the connection open). The read has no timeout of its
 * own: the caller's signal ends it.
 */
export async function exchange(t: StreamTarget, request: Uint8Array, maxBytes: number, connectTimeoutMs: number, signal: AbortSignal, complete?: (got: Buffer) => boolean): Promise<Buffer> {
  const sock = await open(t, connectTimeoutMs, signal);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const onAbort = (): void => finish(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    function finish(err?: unknown): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err !== undefined) reject(probeError(err));
      else resolve(Buffer.concat(chunks, size));
    }
    sock.on('data', (d: Buffer) => {
      const room = maxBytes - size;
      chunks.push(d.length > room ? d.subarray(0, room) : d);
      size += Math.min(d.length, room);
      if (size >= maxBytes || complete?.(Buffer.concat(chunks, size))) finish();
    });
    sock.on('end', () => finish());
    sock.on('close', () => finish());
    // A reset after some bytes: judge what came (a half response fails the parse anyway).
    sock.on('error', (e) => (size > 0 ? finish() : finish(e)));
    sock.write(request);
  });
}
