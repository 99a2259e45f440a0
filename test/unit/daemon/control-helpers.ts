// Shared by the control-socket tests: a stale socket (its daemon killed -9), raw clients that
// send lines and collect answer lines, a client running as another user.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';

/** A socket file nobody listens on: a child listens on it and is killed with SIGKILL. */
export async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  if (!existsSync(path)) throw new Error(`no stale socket at ${path}`);
}

export interface LineClient {
  socket: Socket;
  lines: string[];
  /** Resolves once `n` answer lines have arrived in all. */
  waitLines(n: number): Promise<string[]>;
  closed: Promise<void>;
}

export function lineClient(path: string): Promise<LineClient> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const lines: string[] = [];
    let buf = '';
    const waiters: Array<{ n: number; fn: () => void }> = [];
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      buf += c;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      for (const w of [...waiters]) if (lines.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.fn(); }
    });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({
      socket, lines, closed,
      waitLines: (n) => lines.length >= n ? Promise.resolve(lines) : new Promise((r) => waiters.push({ n, fn: () => r(lines) })),
    }));
    socket.once('error', reject);
  });
}

/**
 * One request line sent by a process running as uid/gid (root only); its stdout: the answer or the
 * error. The child starts as root and drops to uid/gid itself before connecting: started as
 * nobody it could not even execute the runtime when the checkout is under a 0700 home (/root).
 */
export function requestAs(path: string, uid: number, gid: number, line: string): Promise<string> {
  const script = `process.setgroups([]); process.setgid(${gid}); process.setuid(${uid});
const s = require('node:net').createConnection(${JSON.stringify(path)});
let out = ''; s.setEncoding('utf8');
s.on('connect', () => s.write(${JSON.stringify(line + '\n')}));
s.on('data', (c) => { out += c; if (out.includes('\\n')) { process.stdout.write(out); s.destroy(); } });
s.on('error', (e) => { out = 'error ' + e.code + '\\n'; process.stdout.write(out); });
s.on('close', () => { if (!out) process.stdout.write('closed without an answer\\n'); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => { out += c; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve(out.trim()));
  });
}
