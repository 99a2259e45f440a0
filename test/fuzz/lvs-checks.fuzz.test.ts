// Property tests of the LVS checkers' parsers and state machine: HTTP responses and DNS replies
// of any bytes never throw and always give a verdict with a reason; well-formed ones are judged
// by their status (or rcode); a check fed any sequence of outcomes is up exactly when a plain
// rise/fall model says. Re-run a failure with FUZZ_SEED=<seed>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { property } from './property.ts';
import { Check, dnsQuery, dnsVerdict, httpVerdict, parseReplyPattern, udpVerdict } from '../../src/lvs/checkers/index.ts';
import type { HttpProbe } from '../../src/lvs/checkers/index.ts';
import { check } from '../unit/lvs/checkers/helpers.ts';

const budget = { runs: 2000, timeLimitMs: 8000 };
const HTTP: HttpProbe = { kind: 'http', path: '/', status: [[200, 299]], httpVersion: '1.0', regex: 'ok' };

const verdictShape = (v: { ok: boolean; reason?: string }) => {
  if (!v.ok) assert.ok(typeof v.reason === 'string' && v.reason.length > 0, 'a failure has a reason');
};

property(test, 'HTTP: any bytes give a verdict, never an exception', fc.uint8Array({ maxLength: 600 }), budget, (b) => {
  verdictShape(httpVerdict(HTTP, Buffer.from(b)));
});

property(test, 'HTTP: a response with any status, headers and body is up exactly when the status is 2xx and the body matches',
  fc.record({ status: fc.integer({ min: 100, max: 599 }), body: fc.string({ maxLength: 200 }), chunked: fc.boolean() }), budget, ({ status, body, chunked }) => {
    const b = Buffer.from(body);
    const payload = chunked ? `${b.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
    const head = `HTTP/1.1 ${status} X\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${b.length}`}\r\n\r\n`;
    const v = httpVerdict(HTTP, Buffer.concat([Buffer.from(head), Buffer.from(payload)]));
    assert.is(v.ok, status >= 200 && status <= 299 && /ok/.test(body));
  });

property(test, 'DNS: any reply bytes give a verdict, never an exception', fc.uint8Array({ maxLength: 100 }), budget, (b) => {
  verdictShape(dnsVerdict(dnsQuery(0x4242, 'example.org', 'SOA'), Buffer.from(b)));
});

property(test, 'DNS: our query echoed as a response is up exactly when rcode is 0', fc.record({ id: fc.integer({ min: 0, max: 0xffff }), rcode: fc.integer({ min: 0, max: 15 }) }), budget, ({ id, rcode }) => {
  const q = dnsQuery(id, 'example.org', 'A');
  const r = Buffer.from(q);
  r.writeUInt16BE(0x8180 | rcode, 2);
  assert.is(dnsVerdict(q, r).ok, rcode === 0);
});

property(test, 'UDP: any reply against any pattern gives a verdict', fc.record({ pattern: fc.stringMatching(/^([0-9a-fX]{2}){0,8}$/), reply: fc.option(fc.uint8Array({ maxLength: 20 })) }), budget, ({ pattern, reply }) => {
  verdictShape(udpVerdict({ kind: 'udp', payload: new Uint8Array(1), requireReply: parseReplyPattern(pattern), minReplyLength: 0, maxReplyLength: 10 }, reply === null ? undefined : Buffer.from(reply)));
});

property(test, 'a check fed any outcomes is up exactly as a plain rise/fall count says',
  fc.record({ rise: fc.integer({ min: 1, max: 4 }), fall: fc.integer({ min: 1, max: 4 }), alpha: fc.boolean(), outcomes: fc.array(fc.boolean(), { maxLength: 60 }) }), budget, ({ rise, fall, alpha, outcomes }) => {
    const c = new Check(check('f', { rise, fall, alpha }));
    c.start(0, 0);
    let up = !alpha;
    let run = 0;
    let last: boolean | undefined;
    let now = 0;
    for (const ok of outcomes) {
      now = c.deadline()!;
      const p = c.timer(now).find((a) => a.kind === 'probe');
      assert.ok(p && p.kind === 'probe');
      c.result(now + 1, p.attempt, ok ? { ok: true } : { ok: false, reason: 'x' });
      run = ok === last ? run + 1 : 1;
      last = ok;
      if (ok && !up && run >= rise) up = true;
      if (!ok && up && run >= fall) up = false;
      assert.is(c.up, up);
    }
  });

test.run();
