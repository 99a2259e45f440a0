// Unix stream sockets for the control socket. Where it lives: made with mode 0600 (0660 with a group) whatever the umask, and
// at start only a stale *socket* is removed (one a killed daemon left, nobody listening): never a
// regular file, a directory or a symlink someone put there, and never a live daemon's socket.
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { Server, ServerOpts, Socket } from 'node:net';

/** A stream server, not yet listening (listenPrivate). */
export function unixServer(opts: ServerOpts): Server {
  return createServer(opts);
}

/** A connection to the Unix socket at `path` (errors arrive as the socket's 'error'). */
export function connectUnix(path: string): Socket {
  return createConnection(path);
}

/** How long a connect to an existing socket may take before we call its owner alive. */
const PROBE_TIMEOUT_MS = 1000;

function kindOf(st: Stats): string {
  return st.isFile() ? 'a regular file' : st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a FIFO' : 'not a socket';
}

/** Whether something accepts connections on the socket at `path` (only "refused" means no). */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (alive: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    // A listener too busy to accept in time is still alive: its socket is not ours to take.
    const timer = setTimeout(() => done(true), PROBE_TIMEOUT_MS);
    s.on('connect', () => done(true));
    s.on('error', (e: NodeJS.ErrnoException) => done(!(e.code === 'ECONNREFUSED' || e.code === 'ENOENT')));
  });
}

/** Removes a stale socket at `path`; throws (removing nothing) if anything else is there. */
export async function clearStaleSocket(path: string): Promise<void> {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is ${kindOf(st)}; not removed (move it away to start the daemon)`);
  if (await socketAnswers(path)) throw new Error(`another daemon is listening on ${path}`);
  unlinkSync(path);
}

/**
 * server.listen(path) with the socket created 0600: the umask is narrowed around the bind, which
 * Node makes synchronously inside listen(), so no moment exists with a wider mode. With `group`
 * the socket is then given to that group and opened to it (0660): a narrowing-first order.
 */
export function listenPrivate(server: Server, path: string, group: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const old = process.umask(0o177);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        try {
          if (group !== undefined) {
            chownSync(path, -1, group);
            chmodSync(path, 0o660);
          }
          resolve();
        } catch (e) {
          reject(e as Error);
        }
      });
    } finally {
      process.umask(old);
    }
  });
}
