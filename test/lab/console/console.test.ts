// `stockade console` as init runs it, on a real pty pair (socat) that both sides open through
// serialport, beside a real `stockade daemon` in a lab namespace: login, the status screen with
// what the daemon says (VRRP master, ports and addresses from the kernel); kill -9 of the console
// leaves the daemon untouched (still answering, still MASTER, same pid); with the daemon stopped
// the console still answers, says the daemon is down and shows the kernel's view.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { labAvailable, type Lab } from '../harness.ts';
import { NODE_A, STOCKADE_BIN, pairTopology, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import { daemonStatus, spawnDaemon } from '../daemon/daemon-lab.ts';
import { VTerm } from '../../unit/console/harness.ts';
import { CRYPT_VECTORS } from '../../unit/console/crypt-vectors.ts';

const test = suite('console: the menu on a pty beside a real daemon (lab)');
const avail = labAvailable({ tools: ['socat'] });
const HASH = CRYPT_VECTORS[0]!.hash; // "password"

/** The operator's end of the line: what they see, and typing. */
class Operator {
  readonly vt = new VTerm();
  readonly port: SerialPort;
  constructor(port: SerialPort) {
    this.port = port;
    port.on('data', (b: Buffer) => this.vt.write(b.toString('latin1')));
  }
  static open(path: string): Promise<Operator> {
    return new Promise((resolve, reject) => {
      const port = new SerialPort({ path, baudRate: 115200, autoOpen: false, lock: false });
      port.open((e) => (e ? reject(e) : resolve(new Operator(port))));
    });
  }
  type(text: string): void {
    this.port.write(text);
  }
  async see(lab: Lab, what: RegExp, timeoutMs = 10_000): Promise<string> {
    return lab.waitFor(`the console to show ${what}`, async () => (what.test(this.vt.screen()) ? this.vt.screen() : undefined), { timeoutMs, intervalMs: 50 })
      .catch((e: Error) => { throw new Error(`${e.message}\nscreen:\n${this.vt.screen()}`); });
  }
  close(): Promise<void> {
    return new Promise((r) => (this.port.isOpen ? this.port.close(() => r()) : r()));
  }
}

if (!avail.ok) {
  if (process.env.CI === 'true') test('lab available', () => assert.unreachable(avail.reason));
  else console.log(`SKIP lab/console: ${avail.reason}`);
} else {
  test('login, status from the daemon, kill -9 of the console, status with the daemon down', async () => {
    await withDaemonLab(pairTopology(), 'stk-console-', async (lab, dir) => {
      const d = spawnDaemon(lab, dir, { ...NODE_A, intervalMs: 1000, sections: { console: { password_hash: HASH, idle_logout_s: 0 } } });
      await waitState(lab, d, 'MASTER', 15_000);
      const pid = (await daemonStatus(d)).pid;
      const box = join(dir, 'tty-box');
      const op = join(dir, 'tty-operator');
      lab.spawn('a', ['socat', `pty,raw,echo=0,link=${box}`, `pty,raw,echo=0,link=${op}`]);
      await lab.waitFor('the pty pair', async () => (existsSync(box) && existsSync(op)) || undefined, { timeoutMs: 5000, intervalMs: 50 });
      const startConsole = () => lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'console', '--tty', box, '--config', join(dir, 'a.json'), '--socket', d.socket, '--log', join(dir, 'none.log')]);
      let con = startConsole();
      const o = await Operator.open(op);
      try {
        await o.see(lab, /Password:$/);
        o.type('wrong\r');
        await o.see(lab, /Login incorrect\. Wait 1 s\./);
        await o.see(lab, /Login incorrect \(1 in a row\)\.[\s\S]*Password:$/);
        o.type('password\r');
        await o.see(lab, /1 failed login attempt since the last login\.[\s\S]*Enter an option:$/);
        o.type('1\r');
        const up = await o.see(lab, /Transaction: /);
        assert.match(up, new RegExp(`Daemon: pid ${pid}, up `));
        assert.match(up, /^ {2}vi1 +eth0 +vrid 51 +MASTER +prio 200 this box is master$/m);
        assert.match(up, /^ {2}eth0 +up +[0-9a-f:]{17} +192\.0\.2\.1\/24 192\.0\.2\.100\/24$/m);
        assert.match(up, /^Sync: not running/m);
        assert.match(up, /^Firewall: not managed/m);

        // kill -9 of the console: the daemon is not disturbed.
        con.kill('SIGKILL');
        await con.exited;
        const after = await daemonStatus(d);
        assert.is(after.pid, pid);
        await waitState(lab, d, 'MASTER', 10_000);
        // Init starts it again; the serialport lock of the killed one is gone with it.
        con = startConsole();
        o.vt.raw = '';
        o.type('\x0c');
        await o.see(lab, /Password:$/);

        // The daemon stopped: the console still answers and says so.
        d.proc.kill('SIGTERM');
        assert.is(await d.proc.exited, 0);
        o.type('password\r');
        await o.see(lab, /Enter an option:$/);
        o.type('1\r');
        const down = await o.see(lab, /DAEMON NOT RUNNING/);
        assert.match(down, /the daemon is not running/);
        assert.match(down, /^ {2}eth0 +up +[0-9a-f:]{17} +192\.0\.2\.1\/24$/m, 'the kernel: the VIP went with the daemon');
        o.type('q');
        await o.see(lab, /Enter an option:$/);
        assert.is(o.vt.garbage, 0);
      } finally {
        await o.close();
        con.kill('SIGKILL');
        await con.exited;
      }
    });
  });
}

test.run();
