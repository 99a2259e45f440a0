// The control socket (/run/stockade.sock): line-delimited JSON. A request is one line
// {"id": any, "method": "vrrp.status"}; the reply is one line {"id", "ok": true, "result"} or
// {"id", "ok": false, "error"}. Clients: `stockade ctl ...`, later the console.
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { existsSync, unlinkSync } from 'node:fs';

export const DEFAULT_CONTROL_SOCKET = '/run/stockade.sock';
export const CONTROL_SOCKET_ENV = 'STOCKADE_SOCKET';
/** A client's request line may not grow beyond this (a line without newline is cut off). */
const MAX_LINE = 64 * 1024;

/** May return a promise (commits, kernel dumps); the answer waits for it. */
export type Handler = (params: unknown) => unknown;

export interface ControlRequest {
  id?: unknown;
  method: string;
  params?: unknown;
}

export function controlSocketPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env[CONTROL_SOCKET_ENV] ?? DEFAULT_CONTROL_SOCKET;
}

export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #handlers = new Map<string, Handler>();
  readonly #clients = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
  }

  /** Listens on `path`, replacing a stale socket file left by a killed daemon. */
  static async listen(path: string): Promise<ControlServer> {
    if (existsSync(path)) {
      if (await answers(path)) throw new Error(`another daemon answers on ${path}`);
      unlinkSync(path);
    }
    const server = createServer();
    const c = new ControlServer(path, server);
    server.on('connection', (s) => c.#serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return c;
  }

  handle(method: string, h: Handler): void {
    this.#handlers.set(method, h);
  }

  async close(): Promise<void> {
    for (const s of this.#clients) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  #serve(s: Socket): void {
    this.#clients.add(s);
    s.on('close', () => this.#clients.delete(s));
    s.on('error', () => s.destroy());
    let buf = '';
    // Answers leave in request order even when a handler is slow.
    let chain = Promise.resolve();
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        chain = chain.then(async () => {
          const answer = await this.#answer(line);
          if (!s.destroyed) s.write(JSON.stringify(answer) + '\n');
        });
      }
      if (buf.length > MAX_LINE) {
        s.end(JSON.stringify({ ok: false, error: 'request line too long' }) + '\n');
        buf = '';
      }
    });
  }

  async #answer(line: string): Promise<{ id?: unknown; ok: boolean; result?: unknown; error?: string }> {
    let req: ControlRequest;
    try {
      req = JSON.parse(line) as ControlRequest;
    } catch {
      return { ok: false, error: 'not JSON' };
    }
    if (typeof req !== 'object' || req === null || typeof req.method !== 'string') return { ok: false, error: 'expected {"method": ...}' };
    const id = req.id;
    const h = this.#handlers.get(req.method);
    if (!h) return { id, ok: false, error: `unknown method '${req.method}'` };
    try {
      return { id, ok: true, result: await h(req.params) };
    } catch (e) {
      return { id, ok: false, error: (e as Error).message };
    }
  }
}

/** One request to the daemon; rejects with a readable message. */
export function controlRequest(path: string, method: string, params?: unknown, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from the daemon on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(JSON.stringify({ id: 1, method, ...(params !== undefined ? { params } : {}) }) + '\n'));
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `the daemon is not running (no ${path})` : `${path}: ${e.message}`));
    });
    s.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      s.end();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
        if (r.ok) resolve(r.result);
        else reject(new Error(r.error ?? 'the daemon refused the request'));
      } catch {
        reject(new Error('the daemon sent something that is not JSON'));
      }
    });
  });
}

async function answers(path: string): Promise<boolean> {
  try {
    await controlRequest(path, 'ping', undefined, 1000);
    return true;
  } catch (e) {
    // An answer with an error still means a live daemon.
    return !/not running|no answer|ECONNREFUSED/.test((e as Error).message) && !/ENOENT/.test((e as Error).message);
  }
}
