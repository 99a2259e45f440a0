// One probe: a check's spec -> the I/O primitives it needs (ProbeIo) -> the pure verdict. Errors
// of the I/O (refused, reset, unreachable, timed out) are the failure's reason.
import type { ProbeOutcome, RepeatProgress } from './check.ts';
import { dnsQuery, dnsVerdict } from './dns.ts';
import { HTTP_MAX_RESPONSE, httpComplete, httpRequest, httpVerdict } from './http.ts';
import { miscVerdict } from './misc.ts';
import { udpVerdict } from './udp.ts';
import type { CheckSpec } from './spec.ts';

export interface ProgramExit {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
}

/** The I/O a probe needs; src/kernel/probes on the box, fakes in the unit tests. */
export interface ProbeIo {
  connect(address: string, port: number, tls: { servername?: string } | undefined, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** `complete`: the answer is whole, stop reading (else: until the server closes). */
  exchange(address: string, port: number, tls: { servername?: string } | undefined, request: Uint8Array, maxBytes: number, timeoutMs: number, signal: AbortSignal, complete?: (got: Buffer) => boolean): Promise<Buffer>;
  datagram(address: string, port: number, payload: Uint8Array, waitMs: number, signal: AbortSignal, accept?: (reply: Buffer) => boolean): Promise<Buffer | undefined>;
  ping(address: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** A plain TCP connect without a promise or an AbortSignal (thousands a second): `done` once,
   *  later, unless cancelled; returns the cancel. Absent: connect() is used. */
  connectQuick?(address: string, port: number, timeoutMs: number, done: (err: Error | undefined) => void): () => void;
  program(argv: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<ProgramExit>;
  /** TCP checks repeated outside JavaScript (check.ts's header); absent: none are. */
  repeat?: RepeatIo;
}

export interface RepeatIo {
  /** Whether start() takes this address. */
  can(address: string): boolean;
  /** Connects from `firstAt` on, every intervalMs, until one fails: `done` once, later, unless cancelled. */
  start(address: string, port: number, firstAt: number, intervalMs: number, timeoutMs: number, done: (err: Error, dueAt: number, successes: number) => void): { cancel(): void; stats(): RepeatProgress };
}

export interface ProbeContext {
  /** Compiled once per check (the config check proved it compiles). */
  regex?: RegExp;
  /** Script security said no: the MISC check fails with this reason and the program never runs. */
  refused?: string;
  /** A DNS query id (random in production). */
  dnsId?: number;
}

/** A TCP check's verdict from its connect. */
export function tcpOutcome(err: Error | undefined): ProbeOutcome {
  return err === undefined ? CONNECTED : { ok: false, reason: err.message };
}

const CONNECTED: ProbeOutcome = Object.freeze({ ok: true, detail: 'connected' });

export async function runProbe(io: ProbeIo, spec: CheckSpec, connectTimeoutMs: number, signal: AbortSignal, ctx: ProbeContext = {}): Promise<ProbeOutcome> {
  const p = spec.probe;
  try {
    switch (p.kind) {
      case 'none':
        return { ok: true };
      case 'tcp':
        await io.connect(spec.address, spec.port, undefined, connectTimeoutMs, signal);
        return tcpOutcome(undefined);
      case 'http':
      case 'https': {
        // SNI carries a name only: no port, never an address (RFC 6066).
        const sni = p.virtualHost?.replace(/:\d+$/, '');
        const tls = p.kind === 'https' ? (sni !== undefined && !/^[\d.]+$/.test(sni) ? { servername: sni } : {}) : undefined;
        const reply = await io.exchange(spec.address, spec.port, tls, httpRequest(p, spec.address, spec.port), HTTP_MAX_RESPONSE, connectTimeoutMs, signal, httpComplete);
        return httpVerdict(p, reply, ctx.regex);
      }
      case 'udp':
        return udpVerdict(p, await io.datagram(spec.address, spec.port, p.payload, connectTimeoutMs, signal));
      case 'dns': {
        const query = dnsQuery(ctx.dnsId ?? Math.floor(Math.random() * 0x10000), p.name, p.type);
        const id = query.readUInt16BE(0);
        const reply = await io.datagram(spec.address, spec.port, query, connectTimeoutMs, signal, (r) => r.length >= 2 && r.readUInt16BE(0) === id);
        if (reply === undefined) return { ok: false, reason: `no DNS reply within ${connectTimeoutMs} ms` };
        return dnsVerdict(query, reply);
      }
      case 'ping':
        await io.ping(spec.address, connectTimeoutMs, signal);
        return { ok: true, detail: 'echo reply' };
      case 'misc': {
        if (ctx.refused !== undefined) return { ok: false, reason: `not run (script security): ${ctx.refused}` };
        return miscVerdict(p.dynamic, await io.program(p.command, connectTimeoutMs, signal));
      }
    }
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
