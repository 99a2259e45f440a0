// HTTP(S) checks, pure: the request keepalived's HTTP_GET sends (check_http.c request_template,
// byte for byte as keepalived's genhash sends it: Host is the virtual host as given, else
// address:port; "Connection: close" for 1.1 and 1.0C only) and the verdict on the bytes that
// came back: the status line, then the body's MD5 digest and/or a regular expression. Chunked
// bodies (HTTP/1.1) are decoded before the digest and the regex see them.
import { nodeCrypto } from '../../common/index.ts';
import type { ProbeOutcome } from './check.ts';
import type { HttpProbe } from './spec.ts';

/** Most bytes of a response read; a longer body is cut here (the digest then fails, as it should). */
export const HTTP_MAX_RESPONSE = 1024 * 1024;

export function httpRequest(p: HttpProbe, address: string, port: number): Buffer {
  const host = p.virtualHost ?? `${address}:${port}`;
  const close = p.httpVersion === '1.0' ? '' : 'Connection: close\r\n';
  const version = p.httpVersion === '1.1' ? '1.1' : '1.0';
  return Buffer.from(`GET ${p.path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${host}\r\n\r\n`, 'latin1');
}

interface Parsed {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

function parse(bytes: Buffer): Parsed | string {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return bytes.length === 0 ? 'the connection closed without a response' : 'an incomplete response header';
  const head = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})(?: .*)?$/.exec(head[0] ?? '');
  if (!m) return `not an HTTP response: ${JSON.stringify((head[0] ?? '').slice(0, 60))}`;
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  let body = bytes.subarray(end + 4);
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
    const d = dechunk(body);
    if (typeof d === 'string') return d;
    body = d;
  } else {
    const length = headers.get('content-length');
    if (length !== undefined && /^\d+$/.test(length) && Number(length) < body.length) body = body.subarray(0, Number(length));
  }
  return { status: Number(m[1]), headers, body };
}

function dechunk(b: Buffer): Buffer | string {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) return 'a chunked body cut short';
    const size = parseInt(b.subarray(i, eol).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) return 'a bad chunk size';
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size > b.length) return 'a chunked body cut short';
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/**
 * Whether `got` is a whole response already: the header and a Content-Length body, or a chunked
 * body's last chunk. Without either, only the server closing ends it.
 */
export function httpComplete(got: Buffer): boolean {
  const end = got.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = got.subarray(0, end).toString('latin1');
  const length = /\r\ncontent-length:\s*(\d+)\s*(\r\n|$)/i.exec(head);
  if (length) return got.length - (end + 4) >= Number(length[1]);
  if (/\r\ntransfer-encoding:[^\r]*\bchunked\b/i.test(head)) return typeof dechunk(got.subarray(end + 4)) !== 'string';
  return false;
}

/** The verdict on a whole response (read until the server closed, or HTTP_MAX_RESPONSE). */
export function httpVerdict(p: HttpProbe, bytes: Buffer, regex?: RegExp): ProbeOutcome {
  const r = parse(bytes);
  if (typeof r === 'string') return { ok: false, reason: r };
  if (!p.status.some(([lo, hi]) => r.status >= lo && r.status <= hi)) {
    return { ok: false, reason: `status ${r.status}, expected ${p.status.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',')}` };
  }
  if (p.digest !== undefined) {
    const got = nodeCrypto().createHash('md5').update(r.body).digest('hex');
    if (got !== p.digest) return { ok: false, reason: `body digest ${got}, expected ${p.digest}` };
  }
  if (p.regex !== undefined) {
    const re = regex ?? new RegExp(p.regex);
    const matched = re.test(r.body.toString('utf8'));
    if (matched === !!p.regexNoMatch) return { ok: false, reason: p.regexNoMatch ? `the body matches /${p.regex}/` : `the body does not match /${p.regex}/` };
  }
  return { ok: true, detail: `status ${r.status}` };
}
