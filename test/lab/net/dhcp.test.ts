// The DHCP client end to end: busybox udhcpd serves 198.51.100.0/24 (router option set) in
// namespace s; in namespace c the built executable's `net apply` starts busybox udhcpc on the
// DHCP port with our script (which runs `stockade net dhcp-event`). The lease's address and
// default route appear with the DHCP mark (84); a second apply leaves them (and the client);
// switching the port to a static address stops udhcpc and takes the lease off. udhcpd is the
// lab's child (killed by the harness at teardown); udhcpc is killed by the PID in its pidfile on
// every exit path. Name servers in the config (system.nameservers) win over the lease's.
// Pidfiles and resolv.conf go to a temporary STOCKADE_RUN_DIR, never /run.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab } from '../harness.ts';
import type { Lab } from '../harness.ts';
import { runHelper } from '../native/addon.ts';
import { requireLab } from '../require.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const ready = requireLab(test, 'lab/net/dhcp', { tools: ['busybox'] });

interface State {
  addresses: Array<{ ifname: string; local: string; prefixLength: number; protocol: number | null; valid: number | null }>;
  routes: Array<{ dst: string; gateway: string | null; dev: string | null; protocol: number }>;
}

async function state(l: Lab): Promise<State> {
  const [s] = await runHelper(l, 'c', 'dhcp-state.ts', []);
  return s as unknown as State;
}

function pidIn(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

if (ready) {
  test('net apply runs udhcpc on a DHCP port: lease address and default route marked 84; static config stops it and removes them', async () => {
    assert.ok(existsSync(bin), `${bin} is built by npm run build`);
    const dir = mkdtempSync(join(tmpdir(), 'stockade-dhcp-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    const pidfile = join(run, 'stockade', 'udhcpc.wan.pid');
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, `#!/bin/sh\necho "$1" >> ${join(dir, 'events')}\nexec ${bin} net dhcp-event "$@"\n`);
    chmodSync(script, 0o755);
    const conf = join(dir, 'udhcpd.conf');
    writeFileSync(conf, [
      'start 198.51.100.100', 'end 198.51.100.150', 'interface eth0', `pidfile ${join(dir, 'udhcpd.pid')}`, `lease_file ${join(dir, 'udhcpd.leases')}`,
      'option subnet 255.255.255.0', 'option router 198.51.100.1', 'option dns 198.51.100.53', 'option lease 600', '',
    ].join('\n'));
    writeFileSync(join(dir, 'udhcpd.leases'), '');
    const config = (addresses: unknown, system?: unknown) => {
      const f = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(f, JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'wan' }] }, addresses, ...(system !== undefined ? { system } : {}) }));
      return f;
    };
    const env = ['env', `STOCKADE_RUN_DIR=${run}`, `STOCKADE_UDHCPC_SCRIPT=${script}`];
    let udhcpcPids: number[] = [];
    try {
      await withLab({ hosts: ['s', 'c'], links: [['c:wan', 's:eth0']], addresses: { 's:eth0': ['198.51.100.1/24'] } }, async (l) => {
        const server = l.spawn('s', ['busybox', 'udhcpd', '-f', conf]);
        const dhcp = config([{ interface: 'wan', dhcp: true }]);
        const first = await l.exec('c', [...env, bin, 'net', 'apply', dhcp]);
        const started = /started the DHCP client on wan \(udhcpc, pid (\d+)\)/.exec(first.stdout);
        assert.ok(started, first.stdout + first.stderr);
        const pid = Number(started![1]);
        udhcpcPids.push(pid);
        assert.is(pidIn(pidfile), pid);

        const leased = await l.waitFor('the DHCP lease on wan', async () => {
          const s = await state(l);
          const a = s.addresses.find((x) => x.ifname === 'wan');
          const r = s.routes.find((x) => x.dst === 'default');
          return a !== undefined && r !== undefined ? { a, r, s } : undefined;
        }, { timeoutMs: 15_000, intervalMs: 100 }).catch((e: Error) => {
          throw new Error(`${e.message}; events: ${existsSync(join(dir, 'events')) ? readFileSync(join(dir, 'events'), 'utf8') : '(none)'}; udhcpd: ${server.stderr()}`);
        });
        assert.match(leased.a.local, /^198\.51\.100\.1[0-4]\d$|^198\.51\.100\.150$/);
        assert.equal([leased.a.prefixLength, leased.a.protocol], [24, 84]);
        assert.ok(leased.a.valid !== null && leased.a.valid <= 600 && leased.a.valid > 500, `valid lifetime ${leased.a.valid}`);
        assert.equal(leased.r, { dst: 'default', gateway: '198.51.100.1', dev: 'wan', protocol: 84 });
        assert.is(readFileSync(join(run, 'resolv.conf'), 'utf8'), 'nameserver 198.51.100.53\n');
        await l.exec('c', ['ping', '-c', '1', '-W', '2', '198.51.100.1']);

        // Again: the reconcile leaves the lease alone, the client keeps running.
        const second = await l.exec('c', [...env, bin, 'net', 'apply', dhcp]);
        assert.is(second.stdout, 'no changes: the kernel matched the config\n');
        assert.ok(alive(pid), 'udhcpc still running');
        const after = await state(l);
        assert.equal(after.routes, leased.s.routes);
        assert.equal(after.addresses.filter((x) => x.ifname === 'wan').map((x) => [x.local, x.protocol]), [[leased.a.local, 84]]);

        // Name servers in the config win over the lease's, also when the lease is renewed; gone
        // from the config, the lease's are back at the next renewal.
        const resolv = join(run, 'resolv.conf');
        const events = () => readFileSync(join(dir, 'events'), 'utf8').split('\n').filter(Boolean).length;
        const renew = async () => {
          const before = events();
          process.kill(pid, 'SIGUSR1');
          await l.waitFor('the lease renewed', async () => events() > before || undefined, { timeoutMs: 15_000, intervalMs: 100 });
        };
        const withDns = config([{ interface: 'wan', dhcp: true }], { nameservers: ['192.0.2.53', '192.0.2.54'], domain: 'example.test' });
        assert.match((await l.exec('c', [...env, bin, 'net', 'apply', withDns])).stdout, /^resolv\.conf: name servers 192\.0\.2\.53, 192\.0\.2\.54 from the config$/m);
        const configured = readFileSync(resolv, 'utf8');
        assert.match(configured, /^# stockade: system\.nameservers .*\ndomain example\.test\nsearch example\.test\nnameserver 192\.0\.2\.53\nnameserver 192\.0\.2\.54\n$/);
        assert.is((await l.exec('c', [...env, bin, 'net', 'apply', withDns])).stdout, 'no changes: the kernel matched the config\n');
        await renew();
        assert.is(readFileSync(resolv, 'utf8'), configured, 'the renewed lease left the config\'s name servers');
        assert.match((await l.exec('c', [...env, bin, 'net', 'apply', dhcp])).stdout, /^resolv\.conf: the config names no name servers now; removed/m);
        assert.not.ok(existsSync(resolv));
        await renew();
        await l.waitFor('the lease\'s name servers back', async () => (existsSync(resolv) && readFileSync(resolv, 'utf8') === 'nameserver 198.51.100.53\n') || undefined, { timeoutMs: 5_000, intervalMs: 100 });

        // Static instead: udhcpc stopped, the lease taken off, the static address on.
        const stat = config([{ interface: 'wan', static: ['198.51.100.7/24'] }]);
        const third = await l.exec('c', [...env, bin, 'net', 'apply', stat]);
        assert.match(third.stdout, new RegExp(`stopped the DHCP client on wan \\(pid ${pid}\\)`));
        assert.match(third.stdout, /create address 198\.51\.100\.7\/24 on wan/);
        assert.ok(!alive(pid), 'udhcpc stopped');
        assert.not.ok(existsSync(pidfile), 'pidfile removed');
        const final = await state(l);
        assert.equal(final.addresses.filter((x) => x.ifname === 'wan').map((x) => [x.local, x.protocol]), [['198.51.100.7', 83]]);
        assert.equal(final.routes, []);
        const fourth = await l.exec('c', [...env, bin, 'net', 'apply', stat]);
        assert.is(fourth.stdout, 'no changes: the kernel matched the config\n');
      });
    } finally {
      // udhcpc runs in its own session (as on the appliance): not the lab's to reap. By PID only.
      const p = pidIn(pidfile);
      if (p !== undefined) udhcpcPids.push(p);
      for (const p of new Set(udhcpcPids)) {
        if (!alive(p)) continue;
        const cmdline = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        if (cmdline.includes('udhcpc') && cmdline.includes(pidfile)) process.kill(p, 'SIGKILL');
      }
      udhcpcPids = [];
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
