// An upgrade bundle pulled over HTTPS, streamed (never staged: the slot writer takes each chunk
// once its hash has matched). node:https with the CA bundle from the config (none: Node's own
// roots); only https (a signed bundle needs no secrecy, but an http mirror would be the one place
// a MITM chooses which signed bundle, e.g. an older one within the floor, the box installs);
// redirects followed up to a bound, to https only; a connection silent for `idleMs` is given up.
// Every failure is an Error saying what went wrong (HTTP status, TLS, the connection cut after N
// of M bytes); the caller names the URL the user gave.
import type { RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface HttpsGetOptions {
  /** PEM CA certificates that verify the server (undefined: Node's built-in roots). */
  readonly ca?: string;
  /** No byte for this long: the transfer is given up. Default 30 s. */
  readonly idleMs?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
}

export interface HttpsBody {
  /** The URL that answered (after redirects). */
  readonly url: string;
  /** Content-Length, when the server sent one. */
  readonly length: number | undefined;
  readonly body: AsyncIterable<Uint8Array>;
  /** Stops the transfer (the connection is closed). */
  close(): void;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
}

async function get(url: URL, redirected: boolean, opts: HttpsGetOptions): Promise<IncomingMessage> {
  // Loaded when used: node:https and node:tls cost every other command 100 ms at start.
  const { request } = await import('node:https');
  const idleMs = opts.idleMs ?? 30_000;
  const options: RequestOptions = { method: 'GET', headers: { 'user-agent': 'stockade-upgrade' }, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) };
  return new Promise((resolve, reject) => {
    const req = request(url, options, resolve);
    req.setTimeout(idleMs, () => req.destroy(new Error(`no answer for ${idleMs / 1000} s`)));
    req.on('error', (e) => reject(new Error(redirected ? `${url.href}: ${describe(e)}` : describe(e))));
    req.end();
  });
}

export async function httpsGet(href: string, opts: HttpsGetOptions = {}): Promise<HttpsBody> {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw new Error('not a URL');
  }
  const maxRedirects = opts.maxRedirects ?? 5;
  for (let hops = 0; ; hops++) {
    if (url.protocol !== 'https:') throw new Error(`${url.protocol.replace(/:$/, '')}: only https:// URLs are fetched`);
    const res = await get(url, hops > 0, opts);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.resume();
      if (hops >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects`);
      url = new URL(res.headers.location, url);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`${hops > 0 ? `${url.href}: ` : ''}HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd());
    }
    const header = res.headers['content-length'];
    const length = header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
    return { url: url.href, length, body: counted(res, length, opts.idleMs ?? 30_000), close: () => void res.destroy() };
  }
}

/** The body, with a cut connection or a short body turned into an error that says where. */
async function* counted(res: IncomingMessage, length: number | undefined, idleMs: number): AsyncGenerator<Uint8Array> {
  let got = 0;
  const of = length !== undefined ? ` of ${length}` : '';
  res.setTimeout(idleMs, () => res.destroy(new Error(`no data for ${idleMs / 1000} s`)));
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      got += chunk.length;
      yield chunk;
    }
  } catch (e) {
    throw new Error(`the transfer broke after ${got}${of} bytes: ${describe(e)}`);
  }
  if (length !== undefined && got !== length) throw new Error(`the connection ended after ${got}${of} bytes`);
}
