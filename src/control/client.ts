// The control socket's client side: one request, one answer (`stockade ctl ...`, the console).
import { connectUnix } from '../kernel/index.ts';
import { requestLine, type ControlAnswer } from './protocol.ts';

/** One request to the daemon; rejects with a readable message. */
export function controlRequest(path: string, method: string, params?: unknown, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connectUnix(path);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from the daemon on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(requestLine(1, method, params)));
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? `the daemon is not running (no ${path})`
        : e.code === 'EACCES' ? `${path}: permission denied (the control socket is for root and its configured group)` : `${path}: ${e.message}`));
    });
    s.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      s.end();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as ControlAnswer;
        if (r.ok) resolve(r.result);
        else reject(new Error(r.error ?? 'the daemon refused the request'));
      } catch {
        reject(new Error('the daemon sent something that is not JSON'));
      }
    });
    s.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`the daemon closed ${path} without an answer`));
    });
  });
}
