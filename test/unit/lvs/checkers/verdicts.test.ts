// The pure request builders and verdicts (HTTP, DNS, UDP, MISC) and one probe through a fake
// ProbeIo per check type: what a server says -> up or down, with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { dnsQuery, dnsVerdict, encodeName, httpComplete, httpRequest, httpVerdict, miscVerdict, parseReplyPattern, runProbe, udpVerdict } from '../../../../src/lvs/checkers/index.ts';
import type { HttpProbe, ProbeIo, UdpProbe } from '../../../../src/lvs/checkers/index.ts';
import { check } from './helpers.ts';

const http = (o: Partial<HttpProbe> = {}): HttpProbe => ({ kind: 'http', path: '/healthz', status: [[200, 299]], httpVersion: '1.0', ...o });
const resp = (status: string, body: string, headers = '') => Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\n${headers}\r\n${body}`);

test('HTTP request byte for byte as keepalived\'s genhash sent it (captured in the lab, see test/lab/lvs/genhash.test.ts)', () => {
  assert.is(httpRequest(http(), '127.0.0.1', 8080).toString(), 'GET /healthz HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:8080\r\n\r\n');
  assert.is(httpRequest(http({ virtualHost: 'www.example.org' }), '127.0.0.1', 8080).toString(), 'GET /healthz HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.org\r\n\r\n');
  assert.is(httpRequest(http({ path: '/x', httpVersion: '1.1' }), '127.0.0.1', 8080).toString(), 'GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 127.0.0.1:8080\r\n\r\n');
  assert.is(httpRequest(http({ httpVersion: '1.0C' }), '198.51.100.11', 80).toString(), 'GET /healthz HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: 198.51.100.11:80\r\n\r\n');
});

test('HTTP status: ranges and lists; a wrong status names both', () => {
  assert.equal(httpVerdict(http(), resp('204 No Content', '')), { ok: true, detail: 'status 204' });
  assert.equal(httpVerdict(http(), resp('503 Service Unavailable', 'busy')), { ok: false, reason: 'status 503, expected 200-299' });
  assert.ok(httpVerdict(http({ status: [[200, 200], [301, 302]] }), resp('302 Found', '')).ok);
  assert.equal(httpVerdict(http({ status: [[200, 200], [301, 302]] }), resp('404 Not Found', '')), { ok: false, reason: 'status 404, expected 200,301-302' });
});

test('HTTP: garbage, a cut header and silence are failures with the reason', () => {
  assert.equal(httpVerdict(http(), Buffer.from('SSH-2.0-OpenSSH_9.2\r\n\r\n')), { ok: false, reason: 'not an HTTP response: "SSH-2.0-OpenSSH_9.2"' });
  assert.equal(httpVerdict(http(), Buffer.from('HTTP/1.1 200 OK\r\nContent-')), { ok: false, reason: 'an incomplete response header' });
  assert.equal(httpVerdict(http(), Buffer.alloc(0)), { ok: false, reason: 'the connection closed without a response' });
});

test('HTTP digest: MD5 of the body (content-length and chunked bodies decoded first)', () => {
  const body = 'all good\n';
  const digest = createHash('md5').update(body).digest('hex');
  assert.ok(httpVerdict(http({ digest }), resp('200 OK', body, `Content-Length: ${body.length}\r\n`)).ok);
  const chunked = resp('200 OK', `4\r\nall \r\n5\r\ngood\n\r\n0\r\n\r\n`, 'Transfer-Encoding: chunked\r\n');
  assert.ok(httpVerdict(http({ digest }), chunked).ok);
  const bad = httpVerdict(http({ digest }), resp('200 OK', 'all bad\n'));
  assert.not.ok(bad.ok);
  assert.match(!bad.ok ? bad.reason : '', /^body digest [0-9a-f]{32}, expected [0-9a-f]{32}$/);
});

test('HTTP: a response is whole at its Content-Length or last chunk (a server that keeps the connection open is not waited on)', () => {
  assert.not.ok(httpComplete(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n')));
  assert.not.ok(httpComplete(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc')));
  assert.ok(httpComplete(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde')));
  assert.not.ok(httpComplete(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')));
  assert.ok(httpComplete(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')));
  assert.not.ok(httpComplete(Buffer.from('HTTP/1.0 200 OK\r\n\r\nuntil close')));
});

test('HTTP regex, and regex_no_match', () => {
  assert.ok(httpVerdict(http({ regex: 'status: (ok|green)' }), resp('200 OK', 'status: green')).ok);
  assert.equal(httpVerdict(http({ regex: 'status: (ok|green)' }), resp('200 OK', 'status: red')), { ok: false, reason: 'the body does not match /status: (ok|green)/' });
  assert.equal(httpVerdict(http({ regex: 'maintenance', regexNoMatch: true }), resp('200 OK', 'in maintenance')), { ok: false, reason: 'the body matches /maintenance/' });
});

test('DNS query bytes (header with RD, one IN question) and the verdict on replies', () => {
  const q = dnsQuery(0x1234, 'example.org', 'A');
  assert.is(q.toString('hex'), '123401000001000000000000076578616d706c65036f72670000010001');
  assert.is(encodeName('.').toString('hex'), '00');
  assert.throws(() => encodeName(`${'a'.repeat(64)}.org`), /bad DNS label/);
  const reply = Buffer.from(q);
  reply.writeUInt16BE(0x8180, 2);
  assert.equal(dnsVerdict(q, reply), { ok: true, detail: 'NOERROR, 0 answer(s)' });
  const nx = Buffer.from(reply);
  nx.writeUInt16BE(0x8183, 2);
  assert.equal(dnsVerdict(q, nx), { ok: false, reason: 'rcode NXDOMAIN' });
  const other = Buffer.from(reply);
  other.writeUInt16BE(0x9999, 0);
  assert.equal(dnsVerdict(q, other), { ok: false, reason: 'a reply with another query id' });
  assert.equal(dnsVerdict(q, q), { ok: false, reason: 'a query, not a response' });
  assert.equal(dnsVerdict(q, Buffer.from([1, 2, 3])), { ok: false, reason: 'a 3-byte reply, shorter than a DNS header' });
});

test('UDP: silence is up unless a reply is required; the reply pattern with X wildcards; length bounds', () => {
  const base: UdpProbe = { kind: 'udp', payload: new Uint8Array([1]), minReplyLength: 0, maxReplyLength: 100 };
  assert.ok(udpVerdict(base, undefined).ok);
  const want = { ...base, requireReply: parseReplyPattern('01XX0a') };
  assert.equal(udpVerdict(want, undefined), { ok: false, reason: 'no reply' });
  assert.ok(udpVerdict(want, Buffer.from([1, 0xee, 0x0a, 9])).ok);
  assert.equal(udpVerdict(want, Buffer.from([1, 0xee, 0x0b])), { ok: false, reason: 'the reply differs at byte 2' });
  assert.equal(udpVerdict({ ...base, minReplyLength: 4 }, Buffer.from([1])), { ok: false, reason: 'a 1-byte reply, expected 4-100' });
  assert.throws(() => parseReplyPattern('0g'), /not hex bytes/);
  const half = parseReplyPattern('1X');
  assert.equal([...half.bytes, ...half.mask], [0x10, 0xf0]);
});

test('MISC exit codes: 0 up, 1 down, dynamic 2..255 up with weight code - 2, a timeout or signal down', () => {
  assert.equal(miscVerdict(false, { code: 0, signal: null, timedOut: false }), { ok: true, detail: 'exit 0' });
  assert.equal(miscVerdict(false, { code: 3, signal: null, timedOut: false }), { ok: false, reason: 'exit 3' });
  assert.equal(miscVerdict(true, { code: 1, signal: null, timedOut: false }), { ok: false, reason: 'exit 1' });
  assert.equal(miscVerdict(true, { code: 12, signal: null, timedOut: false }), { ok: true, detail: 'exit 12', weight: 10 });
  assert.equal(miscVerdict(true, { code: 255, signal: null, timedOut: false }), { ok: true, detail: 'exit 255', weight: 253 });
  assert.equal(miscVerdict(true, { code: 0, signal: null, timedOut: false }), { ok: true, detail: 'exit 0', weight: undefined });
  assert.equal(miscVerdict(false, { code: null, signal: 'SIGTERM', timedOut: true }), { ok: false, reason: 'the program did not finish in time' });
  assert.equal(miscVerdict(false, { code: null, signal: 'SIGKILL', timedOut: false }), { ok: false, reason: 'the program was killed by SIGKILL' });
});

/** A ProbeIo whose every primitive answers as given, recording the calls. */
function fakeIo(o: Partial<ProbeIo>, calls: string[]): ProbeIo {
  const no = (what: string) => () => Promise.reject(new Error(`${what} not expected`));
  return {
    connect: o.connect ?? no('connect'),
    exchange: o.exchange ?? no('exchange'),
    datagram: o.datagram ?? no('datagram'),
    ping: o.ping ?? no('ping'),
    program: o.program ? (argv, t, s) => { calls.push(`program ${argv.join(' ')} ${t}`); return o.program!(argv, t, s); } : no('program'),
  };
}

test('probe: each type uses its primitive; I/O errors become the reason', async () => {
  const calls: string[] = [];
  const sig = new AbortController().signal;
  const io = fakeIo({
    connect: (a, p, tls) => (calls.push(`connect ${a}:${p} ${tls ? 'tls' : 'plain'}`), Promise.reject(new Error('connection refused'))),
    exchange: (a, p, tls, req) => (calls.push(`exchange ${a}:${p} ${tls ? `tls ${tls.servername ?? '-'}` : 'plain'} ${Buffer.from(req).toString().split('\r\n')[0]}`), Promise.resolve(resp('200 OK', 'x'))),
    datagram: (a, p, payload) => (calls.push(`datagram ${a}:${p} ${payload.length}`), Promise.reject(new Error('connection refused'))),
    ping: () => Promise.resolve(),
    program: () => Promise.resolve({ code: 0, signal: null, timedOut: false }),
  }, calls);
  assert.equal(await runProbe(io, check('t'), 500, sig), { ok: false, reason: 'connection refused' });
  assert.equal(await runProbe(io, check('h', {}, { ...http(), kind: 'https', virtualHost: 'www.example.org' }, '198.51.100.11', 443), 500, sig), { ok: true, detail: 'status 200' });
  assert.equal(await runProbe(io, check('u', {}, { kind: 'udp', payload: new Uint8Array(3), minReplyLength: 0, maxReplyLength: 10 }), 500, sig), { ok: false, reason: 'connection refused' });
  assert.equal(await runProbe(io, check('p', {}, { kind: 'ping' }), 500, sig), { ok: true, detail: 'echo reply' });
  assert.equal(await runProbe(io, check('m', {}, { kind: 'misc', command: ['/bin/check', 'x'], dynamic: false }), 500, sig), { ok: true, detail: 'exit 0' });
  assert.equal(await runProbe(io, check('m', {}, { kind: 'misc', command: ['/tmp/evil'], dynamic: false }), 500, sig, { refused: '/tmp: writable by everyone' }), { ok: false, reason: 'not run (script security): /tmp: writable by everyone' });
  assert.equal(calls, [
    'connect 198.51.100.11:80 plain',
    'exchange 198.51.100.11:443 tls www.example.org GET /healthz HTTP/1.0',
    'datagram 198.51.100.11:80 3',
    'program /bin/check x 500',
  ]);
});

test('probe: DNS waits only for a reply with its own id; none is a failure', async () => {
  const sig = new AbortController().signal;
  let accepted: boolean[] = [];
  const io = fakeIo({
    datagram: (_a, _p, payload, _w, _s, accept) => {
      const q = Buffer.from(payload);
      const stray = Buffer.from(q);
      stray.writeUInt16BE(q.readUInt16BE(0) ^ 1, 0);
      accepted = [accept!(stray), accept!(q)];
      const r = Buffer.from(q);
      r.writeUInt16BE(0x8180, 2);
      return Promise.resolve(r);
    },
  }, []);
  const spec = check('d', {}, { kind: 'dns', name: 'example.org', type: 'SOA' }, '198.51.100.11', 53);
  assert.ok((await runProbe(io, spec, 500, sig, { dnsId: 7 })).ok);
  assert.equal(accepted, [false, true]);
  const silent = fakeIo({ datagram: () => Promise.resolve(undefined) }, []);
  assert.equal(await runProbe(silent, spec, 500, sig), { ok: false, reason: 'no DNS reply within 500 ms' });
});

test.run();
