// The control socket's server (the protocol, its client and the views: src/control).
//
// Who may talk to it: the socket is 0600 (0660 with a configured group) and each connection's
// peer credentials are checked as well (uid 0, the daemon's own uid, or a member of the group):
// the mode alone would not hold if the file were ever opened wider. At most `maxClients`
// connections; each has one request in flight (its next line is not read until the answer has
// been written and drained, so a client that sends without reading stops itself, not the daemon),
// and an answer the client does not drain within `drainTimeoutMs` drops the connection. Every
// rejected connection or request is counted by reason (`stats()`, `stockade ctl daemon`).
import type { Server, Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { CONTROL_REJECTS, MAX_LINE, type ControlAnswer, type ControlReject, type ControlRequest, type ControlStats } from '../control/index.ts';
import { clearStaleSocket, listenPrivate, peerCredentials, unixServer, type PeerCredentials } from '../kernel/index.ts';
import type { Log } from './log.ts';

export const DEFAULT_MAX_CLIENTS = 16;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/** A turned-away connection is closed from our side after this, whatever the client does. */
const TURN_AWAY_MS = 1000;

/** May return a promise (commits, kernel dumps); the answer waits for it. */
export type Handler = (params: unknown) => unknown;

export interface ControlOptions {
  /** Allowed besides root and the daemon's own user (the socket is then 0660 with this group). */
  group?: number;
  maxClients?: number;
  drainTimeoutMs?: number;
  /** Who is connecting (default: the kernel's SO_PEERCRED); tests replace it. */
  credentials?: (s: Socket) => PeerCredentials;
  log?: Log;
  /**
   * Listening before every handler is registered (the daemon takes the socket first, then starts
   * VRRP and sync): until ready(), a method not yet known answers "starting", not "unknown".
   */
  starting?: boolean;
}

export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #handlers = new Map<string, Handler>();
  readonly #clients = new Set<Socket>();
  /** Connections turned away, until they have closed. */
  readonly #leaving = new Set<Socket>();
  #ready: boolean;
  readonly #opts: Required<Omit<ControlOptions, 'group' | 'log' | 'starting'>> & Pick<ControlOptions, 'group' | 'log'>;
  readonly #stats: Omit<ControlStats, 'path' | 'clients' | 'maxClients' | 'group'> = {
    accepted: 0, requests: 0, failed: 0, rejected: Object.fromEntries(CONTROL_REJECTS.map((r) => [r, 0])) as Record<ControlReject, number>,
  };

  private constructor(path: string, server: Server, opts: ControlOptions) {
    this.path = path;
    this.#server = server;
    this.#ready = opts.starting !== true;
    this.#opts = {
      maxClients: opts.maxClients ?? DEFAULT_MAX_CLIENTS,
      drainTimeoutMs: opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      credentials: opts.credentials ?? peerCredentials,
      group: opts.group,
      log: opts.log,
    };
  }

  /** Listens on `path` (see control-path.ts for what may be there before). */
  static async listen(path: string, opts: ControlOptions = {}): Promise<ControlServer> {
    await clearStaleSocket(path);
    // allowHalfOpen: a client may send its requests and shut its side; it still gets the answers.
    const server = unixServer({ allowHalfOpen: true });
    const c = new ControlServer(path, server, opts);
    server.on('connection', (s) => c.#accept(s));
    await listenPrivate(server, path, opts.group);
    return c;
  }

  handle(method: string, h: Handler): void {
    this.#handlers.set(method, h);
  }

  /** Every handler is registered: an unknown method is unknown from now on. */
  ready(): void {
    this.#ready = true;
  }

  stats(): ControlStats {
    return {
      path: this.path, clients: this.#clients.size, maxClients: this.#opts.maxClients, group: this.#opts.group ?? null,
      ...this.#stats, rejected: { ...this.#stats.rejected },
    };
  }

  async close(): Promise<void> {
    for (const s of [...this.#clients, ...this.#leaving]) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  #reject(reason: ControlReject, detail: string): void {
    this.#stats.rejected[reason]++;
    this.#opts.log?.('warn', `control: ${detail}`, `control:${reason}`);
  }

  /** Why this peer may not use the socket, or undefined when it may. */
  #refusal(s: Socket): { reason: ControlReject; message: string } | undefined {
    let c: PeerCredentials;
    try {
      c = this.#opts.credentials(s);
    } catch (e) {
      return { reason: 'no_credentials', message: `peer credentials unknown (${(e as Error).message})` };
    }
    const g = this.#opts.group;
    if (c.uid === 0 || c.uid === process.getuid?.() || (g !== undefined && (c.gid === g || c.groups.includes(g)))) return undefined;
    return { reason: 'permission', message: `permission denied: uid ${c.uid} (pid ${c.pid}) is not root${g !== undefined ? ` and not in group ${g}` : ''}` };
  }

  #accept(s: Socket): void {
    s.on('error', () => s.destroy());
    const no = this.#refusal(s);
    if (no !== undefined) return this.#turnAway(s, no.reason, no.message);
    if (this.#clients.size >= this.#opts.maxClients) return this.#turnAway(s, 'too_many_clients', `too many clients (at most ${this.#opts.maxClients})`);
    this.#stats.accepted++;
    this.#clients.add(s);
    s.on('close', () => this.#clients.delete(s));
    this.#serve(s);
  }

  /** One error line, then the connection ends; what it sent is never read. */
  #turnAway(s: Socket, reason: ControlReject, message: string): void {
    this.#reject(reason, message);
    this.#leaving.add(s);
    s.on('close', () => this.#leaving.delete(s));
    s.resume(); // discard: the client's end of stream must arrive for the socket to close
    s.end(JSON.stringify({ ok: false, error: message }) + '\n');
    // A client that never closes its side is not kept waiting on.
    setTimeout(() => s.destroy(), TURN_AWAY_MS).unref();
  }

  #serve(s: Socket): void {
    let buf = '';
    let busy = false;
    let ended = false;
    s.setEncoding('utf8');
    const next = (): void => {
      while (!busy && !s.destroyed) {
        const nl = buf.indexOf('\n');
        if (nl < 0) break;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        busy = true;
        s.pause();
        void this.#answer(line).then((a) => this.#reply(s, a)).then(() => {
          busy = false;
          if (!s.destroyed) s.resume();
          next();
        });
        return;
      }
      if (busy || s.destroyed) return;
      if (buf.length > MAX_LINE) {
        this.#reject('line_too_long', `request line longer than ${MAX_LINE} bytes; connection closed`);
        buf = '';
        s.end(JSON.stringify({ ok: false, error: `request line too long (at most ${MAX_LINE} bytes)` }) + '\n');
      } else if (ended) {
        s.end();
      }
    };
    s.on('data', (chunk: string) => {
      buf += chunk;
      next();
    });
    s.on('end', () => {
      ended = true;
      // A last request without its newline (`printf '{"method":"ping"}' | socat ...`) still counts.
      if (buf.trim() !== '' && buf.length <= MAX_LINE) buf += '\n';
      next();
    });
  }

  /** Writes one answer; resolves once the client has taken it (or the connection is dropped). */
  #reply(s: Socket, a: ControlAnswer): Promise<void> {
    if (s.destroyed || !s.writable) return Promise.resolve();
    let text: string;
    try {
      text = JSON.stringify(a) + '\n';
    } catch (e) {
      // A handler's result that JSON cannot hold (a cycle, a BigInt) is that request's error.
      this.#stats.failed++;
      text = JSON.stringify({ id: typeof a.id === 'string' || typeof a.id === 'number' ? a.id : undefined, ok: false, error: `answer not serializable: ${(e as Error).message}` }) + '\n';
    }
    if (s.write(text)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#reject('slow_reader', `a client took no answer for ${this.#opts.drainTimeoutMs} ms; connection dropped`);
        s.destroy();
      }, this.#opts.drainTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  async #answer(line: string): Promise<ControlAnswer> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      this.#reject('not_json', 'a request that is not JSON');
      return { ok: false, error: 'not JSON' };
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req) || typeof req.method !== 'string') {
      this.#reject('bad_request', 'a request without a method');
      return { ok: false, error: 'expected {"method": ...}' };
    }
    const id = req.id;
    const h = this.#handlers.get(req.method);
    if (!h && !this.#ready) return { id, ok: false, error: `the daemon is starting; '${req.method.slice(0, 200)}' answers once it has started` };
    if (!h) {
      this.#reject('unknown_method', `unknown method '${req.method.slice(0, 64)}'`);
      return { id, ok: false, error: `unknown method '${req.method.slice(0, 200)}'` };
    }
    this.#stats.requests++;
    try {
      return { id, ok: true, result: await h(req.params) };
    } catch (e) {
      this.#stats.failed++;
      return { id, ok: false, error: (e as Error).message };
    }
  }
}
