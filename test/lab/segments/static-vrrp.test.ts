// A static segment whose DHCP is served only by the MASTER of its VRRP instance, on the built
// daemon in lab namespaces: while the instance is in FAULT (its tracked link down) no udhcpd runs
// and a host gets no lease; once it is MASTER the host gets its fixed address, and the server,
// killed, is started again; back in FAULT the server is stopped. udhcpd runs detached: killed by its pidfile on every exit path.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withLab, type LabProcess } from '../harness.ts';
import { requireLab } from '../require.ts';
import { killUdhcpds } from './udhcpd.ts';
import { controlRequest } from '../../../src/control/index.ts';
import type { SegmentsView } from '../../../src/segments/index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'dist', 'x64', 'stockade');
const ready = requireLab(test, 'lab/segments/static-vrrp', { tools: ['busybox', 'iptables-restore', 'iptables-save'] });

const CONFIG = {
  version: 1,
  interfaces: { ports: [{ name: 'lan' }, { name: 'ha' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.1/24'] }, { interface: 'ha', static: ['198.51.100.1/24'] }],
  management: { commit_confirm_s: 0 },
  vrrp: { instances: [{ name: 'vi', interface: 'ha', vrid: 9, priority: 150, vips: ['198.51.100.100/24'], track_interfaces: [{ interface: 'ha' }] }] },
  segments: [{ name: 'office', mode: 'static', vrrp: 'vi', interfaces: ['lan'], subnet: '192.0.2.0/24', hosts: [{ mac: '02:00:00:00:0c:01', ip: '192.0.2.10' }] }],
};


if (ready) {
  test('static segment following VRRP: no DHCP in FAULT, the fixed address once MASTER, the server stopped in FAULT again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-segments-'));
    const run = join(dir, 'run');
    mkdirSync(run);
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(CONFIG, null, 2));
    const script = join(dir, 'udhcpc.script');
    writeFileSync(script, '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" ;; esac\nexit 0\n');
    chmodSync(script, 0o755);
    const socket = join(dir, 'ctl.sock');
    let daemon: LabProcess | undefined;
    try {
      await withLab({
        hosts: ['gw', 'h1', 'peer'],
        links: [['gw:lan', 'h1:eth0'], ['gw:ha', 'peer:eth0']],
        addresses: { 'gw:lan': ['192.0.2.1/24'], 'gw:ha': ['198.51.100.1/24'] },
      }, async (l) => {
        await l.exec('h1', ['ip', 'link', 'set', 'eth0', 'address', '02:00:00:00:0c:01']);
        await l.exec('gw', ['ip', 'link', 'set', 'ha', 'down']);
        const fw = await l.exec('gw', ['env', '-u', 'STOCKADE_NATIVE', bin, 'firewall', 'apply', configFile], { check: false });
        assert.is(fw.code, 0, fw.stdout + fw.stderr);
        daemon = l.spawn('gw', ['env', '-u', 'STOCKADE_NATIVE', `STOCKADE_RUN_DIR=${run}`, bin, 'daemon', '--config', configFile, '--default-config', 'none', '--socket', socket]);
        const view = () => controlRequest(socket, 'segments.status') as Promise<SegmentsView>;
        const state = async () => ((await controlRequest(socket, 'vrrp.status')) as { instances: Array<{ state: string }> }).instances[0]?.state;
        await l.waitFor('FAULT', async () => ((await state().catch(() => undefined)) === 'FAULT' ? true : undefined), { timeoutMs: 15_000 });
        assert.equal((await view()).segments[0]!.dhcp, [{ interface: 'lan', pid: null }], 'no DHCP server while not MASTER');
        const dhcp = () => l.exec('h1', ['busybox', 'udhcpc', '-f', '-q', '-n', '-t', '3', '-T', '1', '-i', 'eth0', '-s', script], { check: false, timeoutMs: 15_000 });
        assert.is.not((await dhcp()).code, 0, 'no lease from a box that does not serve');

        await l.exec('gw', ['ip', 'link', 'set', 'ha', 'up']);
        // What the wait saw last, and the daemon's log: a timeout here says which half was missing.
        let seen = 'nothing yet';
        await l.waitFor('MASTER and its DHCP server', async () => {
          const [st, dhcp] = [await state(), (await view()).segments[0]!.dhcp[0]!];
          seen = `state ${st}, DHCP server pid ${dhcp.pid}`;
          return st === 'MASTER' && dhcp.pid !== null ? true : undefined;
        }, { timeoutMs: 20_000 }).catch((e: Error) => {
          throw new Error(`${e.message} (last seen: ${seen}); the daemon's log:\n${daemon!.stdout().slice(-3000)}${daemon!.stderr().slice(-1000)}`);
        });
        const got = await dhcp();
        assert.is(got.code, 0, got.stdout + got.stderr + daemon.stderr());
        assert.match((await l.exec('h1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout, /inet 192\.0\.2\.10\/24 /);

        // The server killed: the daemon finds it gone and starts it again, and says so.
        const killed = (await view()).segments[0]!.dhcp[0]!.pid!;
        process.kill(killed, 'SIGKILL');
        await l.waitFor('the DHCP server started again', async () => {
          const pid = (await view()).segments[0]!.dhcp[0]!.pid;
          return pid !== null && pid !== killed ? true : undefined;
        }, { timeoutMs: 20_000 });
        assert.match(daemon.stdout(), /warn: segments: the DHCP server on lan was not running \(dhcp started on lan\)/);
        const renewed = await dhcp();
        assert.is(renewed.code, 0, `a lease from the server started again: ${renewed.stdout}${renewed.stderr}`);

        await l.exec('gw', ['ip', 'link', 'set', 'ha', 'down']);
        await l.waitFor('the server stopped in FAULT', async () => ((await state()) === 'FAULT' && (await view()).segments[0]!.dhcp[0]!.pid === null ? true : undefined), { timeoutMs: 15_000 });
      });
    } finally {
      daemon?.kill();
      killUdhcpds(run);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
