// The health_check block of the config: each semantic check with a failing case (pointer,
// expected, hint) and a passing twin, from the HA fixture (web: http on 8080; web_tls: tcp);
// and the config -> specs mapping with keepalived-like defaults.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorsOf, fixture, load, semanticCases, type SemanticCase } from '../../config/helpers.ts';
import { servicesFromConfig } from '../../../../src/lvs/checkers/index.ts';

const hc = (c: any, i: number) => c.lvs.virtual_services[i].health_check;

const cases: SemanticCase[] = [
  {
    name: 'http options only on http/https checks',
    bad: (c) => (hc(c, 1).path = '/'),
    pointer: '/lvs/virtual_services/1/health_check/path',
    expected: /no path for a tcp check/,
    hint: /"type": "http"/,
    good: (c) => Object.assign(hc(c, 1), { type: 'https', path: '/' }),
  },
  {
    name: 'dns options only on dns checks',
    bad: (c) => (hc(c, 1).query_type = 'A'),
    pointer: '/lvs/virtual_services/1/health_check/query_type',
    expected: /no query_type for a tcp check/,
    good: (c) => Object.assign(hc(c, 1), { type: 'dns', query_type: 'A', port: 53 }),
  },
  {
    name: 'udp options only on udp checks',
    bad: (c) => (hc(c, 0).expect_reply = '01'),
    pointer: '/lvs/virtual_services/0/health_check/expect_reply',
    expected: /no expect_reply for a http check/,
    good: (c) => { hc(c, 0).type = 'udp'; delete hc(c, 0).path; delete hc(c, 0).expect_status; hc(c, 0).expect_reply = '01'; },
  },
  {
    name: 'a ping check takes no port',
    bad: (c) => Object.assign(hc(c, 1), { type: 'ping', port: 443 }),
    pointer: '/lvs/virtual_services/1/health_check/port',
    expected: /no port for a ping check/,
    good: (c) => (hc(c, 1).type = 'ping'),
  },
  {
    name: 'a misc check needs its program',
    bad: (c) => (hc(c, 1).type = 'misc'),
    pointer: '/lvs/virtual_services/1/health_check/command',
    expected: /the program to run/,
    good: (c) => Object.assign(hc(c, 1), { type: 'misc', command: ['/usr/local/bin/check'] }),
  },
  {
    name: 'commands are absolute paths',
    bad: (c) => (hc(c, 1).quorum_down = ['notify-down']),
    pointer: '/lvs/virtual_services/1/health_check/quorum_down/0',
    expected: /an absolute path/,
    good: (c) => (hc(c, 1).quorum_down = ['/usr/local/bin/notify-down']),
  },
  {
    name: 'a regex that compiles',
    bad: (c) => (hc(c, 0).regex = 'status: (ok'),
    pointer: '/lvs/virtual_services/0/health_check/regex',
    expected: /a regular expression that compiles/,
    hint: /Unterminated group/,
    good: (c) => (hc(c, 0).regex = 'status: (ok)'),
  },
  {
    name: 'a check times out within its interval',
    bad: (c) => (hc(c, 0).timeout_s = 10),
    pointer: '/lvs/virtual_services/0/health_check/timeout_s',
    expected: /a timeout of at most interval_s \(5\)/,
    good: (c) => (hc(c, 0).timeout_s = 5),
  },
  {
    name: 'the deadline covers the connect timeout',
    bad: (c) => (hc(c, 0).deadline_s = 2),
    pointer: '/lvs/virtual_services/0/health_check/deadline_s',
    expected: /a deadline of at least timeout_s \(3\)/,
    good: (c) => (hc(c, 0).deadline_s = 4),
  },
  {
    name: 'reply length bounds in order',
    bad: (c) => Object.assign(hc(c, 1), { type: 'udp', min_reply_length: 10, max_reply_length: 4 }),
    pointer: '/lvs/virtual_services/1/health_check/min_reply_length',
    expected: /at most max_reply_length \(4\)/,
  },
  {
    name: 'a port to check on a fwmark service (a check that cannot resolve its target)',
    bad: (c) => {
      const vs = c.lvs.virtual_services[1];
      delete vs.address; delete vs.port; vs.fwmark = 7;
    },
    pointer: '/lvs/virtual_services/1/health_check/port',
    expected: /the port to check \(198\.51\.100\.11 has none: a fwmark service\)/,
    good: (c) => {
      const vs = c.lvs.virtual_services[1];
      delete vs.address; delete vs.port; vs.fwmark = 7; vs.health_check.port = 443;
    },
  },
  {
    name: 'a check address this box can reach',
    bad: (c) => { c.routes = []; hc(c, 1).address = '192.0.2.200'; },
    pointer: '/lvs/virtual_services/1/health_check/address',
    expected: /a check address on a connected subnet or behind a route/,
    hint: /192\.0\.2\.200 cannot be reached from this box/,
    good: (c) => { c.routes = []; hc(c, 1).address = '198.51.100.20'; },
  },
  {
    name: 'the sorry server is not a real server (keepalived #1816)',
    bad: (c) => (hc(c, 1).sorry_server = { address: '198.51.100.12' }),
    pointer: '/lvs/virtual_services/1/health_check/sorry_server/address',
    expected: /a sorry server that is not one of the real servers/,
    hint: /198\.51\.100\.12:443 is \/lvs\/virtual_services\/1\/real_servers\/1/,
    good: (c) => (hc(c, 1).sorry_server = { address: '198.51.100.12', port: 8443 }),
  },
  {
    name: 'ha_suspend needs a service address',
    bad: (c) => {
      const vs = c.lvs.virtual_services[1];
      delete vs.address; delete vs.port; vs.fwmark = 7; vs.health_check.port = 443; vs.health_check.ha_suspend = true;
    },
    pointer: '/lvs/virtual_services/1/health_check/ha_suspend',
    expected: /ha_suspend only on a service with an address/,
    good: (c) => (hc(c, 1).ha_suspend = true),
  },
];

semanticCases(test, cases);

test('schema: a bad digest, an unknown type and a bad status range are refused with what was expected', () => {
  const c = fixture();
  hc(c, 0).digest = 'abc';
  hc(c, 0).expect_status = ['200-2x9'];
  hc(c, 1).type = 'smtp';
  const errors = errorsOf(c);
  const at = (p: string) => errors.find((e) => e.pointer === p);
  assert.match(at('/lvs/virtual_services/0/health_check/digest')?.expected ?? '', /32 hex digits/);
  assert.match(at('/lvs/virtual_services/0/health_check/expect_status/0')?.expected ?? '', /a status code from 100 to 599 or a range/);
  assert.ok(at('/lvs/virtual_services/1/health_check/type'), 'an unknown check type');
});

test('a quorum no set of servers can reach is warned about', () => {
  const c = fixture();
  hc(c, 1).quorum = 5;
  const r = load(c);
  assert.ok(r.ok);
  if (r.ok) assert.ok((r.warnings ?? []).some((w) => w.pointer === '/lvs/virtual_services/1/health_check/quorum' && /never has its quorum/.test(w.message)));
});

test('config -> specs: keepalived-like defaults (http retry delay 3 s, status 200-299, warm-up up to the interval), ms units, check ids', () => {
  const c = fixture();
  delete hc(c, 0).expect_status;
  const r = load(c);
  if (!r.ok) throw new Error('fixture invalid');
  const [web, tls] = servicesFromConfig(r.config.lvs);
  const webCheck = web!.servers[0]!.checks[0]!;
  assert.is(webCheck.id, 'web/198.51.100.11:8080');
  assert.equal({ ...webCheck, probe: undefined }, {
    id: 'web/198.51.100.11:8080', address: '198.51.100.11', port: 8080, probe: undefined,
    timing: { intervalMs: 5000, connectTimeoutMs: 3000, deadlineMs: 5000, rise: 2, fall: 3, retries: 0, retryDelayMs: 3000, warmupMs: 5000, alpha: false },
  });
  assert.equal(webCheck.probe, { kind: 'http', path: '/healthz', status: [[200, 299]], httpVersion: '1.0' });
  assert.is(tls!.servers[0]!.checks[0]!.timing.retryDelayMs, 1000);
  assert.is(tls!.servers[0]!.checks[0]!.port, 443);
  assert.equal({ quorum: web!.quorum, hysteresis: web!.hysteresis, onFailure: web!.onFailure, haSuspend: web!.haSuspend, vip: web!.vip }, { quorum: 1, hysteresis: 0, onFailure: 'remove', haSuspend: false, vip: '203.0.113.10' });
});

test('config -> specs: type none has no checks (always up); weight 0 stays 0', () => {
  const c = fixture();
  hc(c, 1).type = 'none';
  c.lvs.virtual_services[1].real_servers[0].weight = 0;
  const r = load(c);
  if (!r.ok) throw new Error('invalid');
  const tls = servicesFromConfig(r.config.lvs)[1]!;
  assert.equal(tls.servers.map((s) => [s.checks.length, s.weight]), [[0, 0], [0, 1]]);
});

test.run();
