// The LVS health checkers on the host kernel: the real checker shell runs in a director
// namespace against real servers in another (servers.ts), good ones and ones that hang, reset,
// answer slowly, answer wrongly or are not there; every check type; a server killed and
// restarted; the quorum lost to a sorry server and regained.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLab } from '../harness.ts';
import type { Lab, LabProcess, Topology } from '../harness.ts';
import { requireLab } from '../require.ts';
import type { CheckTiming, ProbeSpec, ServiceSpec } from '../../../src/lvs/checkers/index.ts';
import { parseReplyPattern } from '../../../src/lvs/checkers/index.ts';

const test = suite('lvs: health checkers against real servers');
const here = fileURLToPath(new URL('.', import.meta.url));
const RS = '198.51.100.11';

const TOPOLOGY: Topology = {
  hosts: ['dir', 'rs'],
  links: [['dir:eth0', 'rs:eth0']],
  addresses: { 'dir:eth0': ['198.51.100.1/24'], 'rs:eth0': [`${RS}/24`] },
};

// Generous limits for servers that answer (a busy machine must not fail them); the ones that
// hang get HANG's short deadline, so the test sees the deadline do its work.
const FAST: CheckTiming = { intervalMs: 1000, connectTimeoutMs: 5000, deadlineMs: 10_000, rise: 1, fall: 1, retries: 0, retryDelayMs: 100, warmupMs: 0, alpha: false };
const HANG = { deadlineMs: 1000, connectTimeoutMs: 500 };

/** One service per probe, one server, one check: `name` -> what it checks. */
function services(list: Array<[name: string, probe: ProbeSpec, port: number, timing?: Partial<CheckTiming>, address?: string]>): ServiceSpec[] {
  return list.map(([name, probe, port, t, address]) => ({
    name, haSuspend: false, quorum: 1, hysteresis: 0, onFailure: 'remove', omega: false,
    servers: [{ key: `${address ?? RS}:${port}`, address: address ?? RS, port, weight: 1, checks: [{ id: name, address: address ?? RS, port, probe, timing: { ...FAST, ...t } }] }],
  }));
}

function writeSpecs(dir: string, specs: ServiceSpec[]): string {
  const file = join(dir, `specs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(specs, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));
  return file;
}

interface Line { event?: any; status?: any; log?: string; started?: number }
const lines = (p: LabProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

async function startServers(lab: Lab, dir: string): Promise<LabProcess> {
  const p = lab.spawn('rs', [process.execPath, join(here, 'servers.ts'), dir]);
  await lab.waitFor('the real servers to listen', () => p.stdout().includes('ready'), { timeoutMs: 15_000 });
  return p;
}

async function withServers(fn: (lab: Lab, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stk-lvs-check-'));
  try {
    // A self-signed certificate for the HTTPS servers (the checks do not verify it, as keepalived's SSL_GET).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=www.example.org'], { stdio: 'ignore' });
    await withLab(TOPOLOGY, async (lab) => {
      await startServers(lab, dir);
      await fn(lab, dir);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (requireLab(test, 'lab/lvs/checkers', { tools: ['openssl'] })) {
  test('every check type: good servers up; hung, reset, slow, wrong and absent ones down with the reason', async () => {
    await withServers(async (lab, dir) => {
      // A MISC program anyone could replace: script security refuses it, so it never runs.
      const unsafe = join(dir, 'unsafe-check.sh');
      writeFileSync(unsafe, '#!/bin/sh\nexit 0\n');
      chmodSync(unsafe, 0o777);
      const http = (o: object = {}): ProbeSpec => ({ kind: 'http', path: '/', status: [[200, 299]], httpVersion: '1.0', ...o });
      const udp = (o: object = {}): ProbeSpec => ({ kind: 'udp', payload: Uint8Array.from([1, 2, 3]), minReplyLength: 0, maxReplyLength: 100, ...o });
      const specs = services([
        ['tcp-ok', { kind: 'tcp' }, 8001],
        ['tcp-refused', { kind: 'tcp' }, 8002],
        // No host answers ARP for it: the SYN never leaves, the connect timeout says so.
        ['tcp-nobody', { kind: 'tcp' }, 80, HANG, '198.51.100.99'],
        ['http-ok', http(), 8003],
        ['http-regex', http({ regex: 'status: ok' }), 8003],
        ['http-regex-wrong', http({ regex: 'status: green' }), 8003],
        ['http-digest-wrong', http({ digest: '0'.repeat(32) }), 8003],
        ['http-503', http(), 8004],
        ['http-hangs', http(), 8005, HANG],
        ['http-resets', http(), 8006],
        // Slower than the connect timeout: only the deadline bounds the answer.
        ['http-slow-in-time', http(), 8007, { connectTimeoutMs: 200 }],
        ['http-garbage', http(), 8008],
        // Whole at its Content-Length: not waited on until the deadline.
        ['http-keepalive', http(), 8009, HANG],
        ['https-ok', { ...http({ virtualHost: 'www.example.org' }), kind: 'https' } as ProbeSpec, 8443],
        ['https-hangs-after-handshake', { ...http(), kind: 'https' } as ProbeSpec, 8444, HANG],
        ['udp-echo', udp({ requireReply: parseReplyPattern('01XX03') }), 9001],
        ['udp-closed', udp(), 9002],
        ['udp-wrong-reply', udp({ requireReply: parseReplyPattern('010203') }), 9003],
        ['dns-ok', { kind: 'dns', name: 'example.org', type: 'SOA' }, 5353],
        ['dns-servfail', { kind: 'dns', name: 'example.org', type: 'SOA' }, 5354],
        ['dns-silent', { kind: 'dns', name: 'example.org', type: 'A' }, 5355, HANG],
        ['ping-ok', { kind: 'ping' }, 0],
        ['ping-nobody', { kind: 'ping' }, 0, HANG, '198.51.100.99'],
        ['misc-true', { kind: 'misc', command: ['/bin/true'], dynamic: false }, 0],
        ['misc-false', { kind: 'misc', command: ['/bin/false'], dynamic: false }, 0],
        ['misc-dynamic', { kind: 'misc', command: ['/bin/sh', '-c', 'exit 7'], dynamic: true }, 0],
        ['misc-hangs', { kind: 'misc', command: ['/bin/sleep', '30'], dynamic: false }, 0, HANG],
        ['misc-unsafe', { kind: 'misc', command: [unsafe], dynamic: false }, 0],
      ]);
      // Until every check has a result, and at least two rounds.
      const run = lab.spawn('dir', [process.execPath, join(here, 'run-checkers.ts'), writeSpecs(dir, specs), '2200']);
      await run.exited;
      const status = lines(run).find((l) => l.status)?.status;
      assert.ok(status, `no status; output:\n${run.stdout()}\n${run.stderr()}`);
      const got: Record<string, string> = {};
      for (const svc of status.services) {
        const c = svc.checks[0];
        got[svc.name] = `${c.up ? 'up' : 'down'}: ${c.lastResult}${svc.servers[0].weight !== 1 ? ` (weight ${svc.servers[0].weight})` : ''}`;
      }
      const expected: Record<string, RegExp> = {
        'tcp-ok': /^up: connected$/,
        'tcp-refused': /^down: connection refused$/,
        'tcp-nobody': /^down: no connection within 500 ms$/,
        'http-ok': /^up: status 200$/,
        'http-regex': /^up: status 200$/,
        'http-regex-wrong': /^down: the body does not match \/status: green\/$/,
        'http-digest-wrong': /^down: body digest [0-9a-f]{32}, expected 0{32}$/,
        'http-503': /^down: status 503, expected 200-299$/,
        'http-hangs': /^down: no answer within the 1000 ms deadline$/,
        'http-resets': /^down: (connection reset|the connection closed without a response)$/,
        'http-slow-in-time': /^up: status 200$/,
        'http-garbage': /^down: not an HTTP response: "SSH-2.0-OpenSSH_9.2"$/,
        'http-keepalive': /^up: status 200$/,
        'https-ok': /^up: status 200$/,
        'https-hangs-after-handshake': /^down: no answer within the 1000 ms deadline$/,
        'udp-echo': /^up: a 3-byte reply$/,
        'udp-closed': /^down: connection refused$/,
        'udp-wrong-reply': /^down: the reply differs at byte 0$/,
        'dns-ok': /^up: NOERROR, 0 answer\(s\)$/,
        'dns-servfail': /^down: rcode SERVFAIL$/,
        'dns-silent': /^down: no DNS reply within 500 ms$/,
        'ping-ok': /^up: echo reply$/,
        'ping-nobody': /^down: (no echo reply within 500 ms|.*unreachable.*)$/i,
        'misc-true': /^up: exit 0$/,
        'misc-false': /^down: exit 1$/,
        'misc-dynamic': /^up: exit 7 \(weight 5\)$/,
        'misc-hangs': /^down: (the program did not finish in time|no answer within the 1000 ms deadline)$/,
        'misc-unsafe': /^down: not run \(script security\): .*writable by everyone$/,
      };
      const wrong = Object.entries(expected).filter(([k, re]) => !re.test(got[k] ?? '(missing)')).map(([k, re]) => `${k}: got "${got[k]}", expected ${re}`);
      assert.equal(wrong, [], wrong.join('\n'));
      // Script security is said once, at start.
      assert.ok(lines(run).some((l) => l.log?.includes('will always fail (script security)')));
    });
  });

  test('a real server killed goes down (quorum lost: the sorry server takes over), restarted comes back after rise', async () => {
    await withServers(async (lab, dir) => {
      const port = 8101;
      const serve = () => lab.spawn('rs', [process.execPath, '-e', `require('node:net').createServer((s) => s.end()).listen(${port}, '${RS}', () => console.log('ready'))`]);
      let server = serve();
      await lab.waitFor('the killable server', () => server.stdout().includes('ready'));
      const t = { ...FAST, intervalMs: 300, fall: 2, rise: 2 };
      const spec: ServiceSpec = {
        name: 'web', haSuspend: false, quorum: 2, hysteresis: 0, onFailure: 'remove', omega: false,
        sorryServer: { address: '198.51.100.50', port: 80 },
        servers: [
          { key: `${RS}:8001`, address: RS, port: 8001, weight: 1, checks: [{ id: 'web/a', address: RS, port: 8001, probe: { kind: 'tcp' }, timing: t }] },
          { key: `${RS}:${port}`, address: RS, port, weight: 1, checks: [{ id: 'web/b', address: RS, port, probe: { kind: 'tcp' }, timing: t }] },
        ],
      };
      const run = lab.spawn('dir', [process.execPath, join(here, 'run-checkers.ts'), writeSpecs(dir, [spec])]);
      const events = () => lines(run).filter((l) => l.event).map((l) => l.event);
      await lab.waitFor('checks running', () => lines(run).some((l) => l.started === 2));
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(events(), [], 'both up from the start: no events');
      server.kill('SIGKILL');
      await server.exited;
      await lab.waitFor('the killed server down', () => events().length >= 2, { timeoutMs: 10_000 });
      const [down, quorum] = events();
      assert.equal([down.kind, down.server, down.up, down.inTable], ['server', `${RS}:${port}`, false, 'no']);
      assert.match(down.reason, /^2 failed checks in a row \(connection refused\)$/);
      assert.equal([quorum.kind, quorum.up, quorum.sorryServer, quorum.liveWeight], ['quorum', false, true, 1]);
      server = serve();
      await lab.waitFor('the restarted server up', () => events().length >= 4, { timeoutMs: 10_000 });
      const [, , up, back] = events();
      assert.equal([up.kind, up.server, up.up, up.inTable], ['server', `${RS}:${port}`, true, 'yes']);
      assert.match(up.reason, /^2 successes in a row \(connected\)$/);
      assert.equal([back.kind, back.up, back.liveWeight], ['quorum', true, 2]);
      run.kill('SIGTERM');
    });
  });

  test('a steady TCP check repeats in the addon (no probe of ours); its server gone silent fails at the connect timeout', async () => {
    await withServers(async (lab, dir) => {
      const t = { ...FAST, intervalMs: 300, connectTimeoutMs: 500, deadlineMs: 1000, fall: 1 };
      const spec = services([['steady', { kind: 'tcp' }, 8001, t]]);
      // RUN_MS 2500: the status comes once every check has a result after it.
      const run = lab.spawn('dir', [process.execPath, join(here, 'run-checkers.ts'), writeSpecs(dir, spec), '2500']);
      const events = () => lines(run).filter((l) => l.event).map((l) => l.event);
      await lab.waitFor('checks running', () => lines(run).some((l) => l.started === 1));
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(events(), [], 'up from the start: no events');
      // The server's link down: SYNs go unanswered, neither connected nor refused.
      const silentAt = Date.now();
      await lab.exec('rs', ['ip', 'link', 'set', 'eth0', 'down']);
      await lab.waitFor('the silent server down', () => events().length >= 1, { timeoutMs: 10_000 });
      const [down] = events();
      assert.equal([down.kind, down.server, down.up], ['server', `${RS}:8001`, false]);
      assert.match(down.reason, /^1 failed check in a row \(no connection within 500 ms\)$/);
      // At most an interval to the next check, its 500 ms timeout, a grid slot and a busy machine's lag.
      assert.ok(Date.now() - silentAt < 3000, `reported ${Date.now() - silentAt} ms after the link went down`);
      await lab.waitFor('the status', () => lines(run).some((l) => l.status), { timeoutMs: 15_000 });
      const status = lines(run).find((l) => l.status)!.status;
      const c = status.services[0].checks[0];
      // The checks while up came from the addon's repeat: ours started the first (which handed it
      // over) and, once it was down, the ones after (every 300 ms, failing).
      const repeated = c.attempts - status.counters.probes;
      assert.ok(repeated >= 3, `attempts ${c.attempts}, ${status.counters.probes} of them ours`);
      assert.equal([c.up, c.repeating, status.counters.repeating], [false, false, 0], 'a down check is ours again');
    });
  });
}

test.run();
