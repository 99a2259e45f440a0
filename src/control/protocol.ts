// The control socket's protocol (/run/stockade.sock): line-delimited JSON. A request is one line
// {"id": any, "method": "vrrp.status", "params"?: any}; the answer is one line
// {"id", "ok": true, "result"} or {"id", "ok": false, "error"}. The daemon serves it
// (src/daemon/control.ts); `stockade ctl` and, next, the console are its clients (client.ts).

export const DEFAULT_CONTROL_SOCKET = '/run/stockade.sock';
export const CONTROL_SOCKET_ENV = 'STOCKADE_SOCKET';
/** A client's request line may not grow beyond this (a line without newline is cut off). */
/**
 * A client's request line may not grow beyond this (a line without newline is cut off). Large
 * enough for `config.apply` with the biggest config (1 MiB, JSON-escaped in the request); only
 * clients whose credentials passed can send one, at most maxClients at a time.
 */
export const MAX_LINE = 3 * 1024 * 1024;

export interface ControlRequest {
  id?: unknown;
  method: string;
  params?: unknown;
}

export type ControlAnswer = { id?: unknown; ok: boolean; result?: unknown; error?: string };

/** The socket: --socket, else $STOCKADE_SOCKET, else /run/stockade.sock. */
export function controlSocketPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env[CONTROL_SOCKET_ENV] ?? DEFAULT_CONTROL_SOCKET;
}

/** One request as it goes on the wire. */
export function requestLine(id: unknown, method: string, params?: unknown): string {
  return JSON.stringify({ id, method, ...(params !== undefined ? { params } : {}) }) + '\n';
}

/** Why the server turned a connection or a request away; counted by reason (`stockade ctl daemon`). */
export const CONTROL_REJECTS = ['permission', 'no_credentials', 'too_many_clients', 'not_json', 'bad_request', 'unknown_method', 'line_too_long', 'slow_reader'] as const;
export type ControlReject = (typeof CONTROL_REJECTS)[number];

/** The server's own counters, part of `daemon.status`. */
export interface ControlStats {
  path: string;
  clients: number;
  maxClients: number;
  group: number | null;
  accepted: number;
  requests: number;
  /** Requests whose handler failed (answered with its error). */
  failed: number;
  rejected: Record<ControlReject, number>;
}
