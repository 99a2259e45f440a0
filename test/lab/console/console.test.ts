// `stockade console` as init runs it, on a real pty pair (socat) that both sides open through
// serialport, beside a real `stockade daemon` in a lab namespace: login, the status screen with
// what the daemon says (VRRP master, ports and addresses from the kernel); kill -9 of the console
// leaves the daemon untouched (still answering, still MASTER, same pid); with the daemon stopped
// the console still answers, says the daemon is down and shows the kernel's view. An address
// changed through the menu's transaction: confirmed (on eth0 and saved), left to time out
// (reverted, the screen says so), and the console killed mid-transaction (the daemon reverts it).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSerialPort, type SerialLine } from '../../../src/kernel/serial-port.ts';
import type { Lab } from '../harness.ts';
import { requireLab } from '../require.ts';
import { NODE_A, STOCKADE_BIN, VIP, hasAddress, pairTopology, waitState, withDaemonLab } from '../helpers/stockade-daemon.ts';
import { controlRequest } from '../../../src/control/index.ts';
import { daemonStatus, spawnDaemon } from '../daemon/daemon-lab.ts';
import { VTerm } from '../../unit/console/harness.ts';
import { CRYPT_VECTORS } from '../../unit/console/crypt-vectors.ts';
import { menuKey } from '../../unit/console/menu-key.ts';

const test = suite('console: the menu on a pty beside a real daemon (lab)');
const HASH = CRYPT_VECTORS[0]!.hash; // "password"
/** The commit-confirm window of the daemon in the transaction test (room for a loaded machine). */
const WINDOW_S = 12;

/** The operator's end of the line: what they see, and typing. */
class Operator {
  readonly vt = new VTerm();
  readonly line: SerialLine;
  constructor(line: SerialLine) {
    this.line = line;
    line.on('data', (b) => this.vt.write(typeof b === 'string' ? b : b.toString('latin1')));
  }
  /** Through serialport like the console (openSerialPort: its lock, speed and 8N1, Node's tty streams). */
  static async open(path: string): Promise<Operator> {
    return new Operator(await openSerialPort({ path, baudRate: 115200 }));
  }
  type(text: string): void {
    this.line.write(text);
  }
  async see(lab: Lab, what: RegExp, timeoutMs = 10_000): Promise<string> {
    return lab.waitFor(`the console to show ${what}`, async () => (what.test(this.vt.screen()) ? this.vt.screen() : undefined), { timeoutMs, intervalMs: 50 })
      .catch((e: Error) => {
        if (process.env.CONSOLE_LAB_RAW) writeFileSync(process.env.CONSOLE_LAB_RAW, this.vt.raw);
        throw new Error(`${e.message}\nscreen:\n${this.vt.screen()}`);
      });
  }
  /** From the main menu: the item called `label`, by the number the menu on screen gives it. */
  async pick(lab: Lab, label: string): Promise<void> {
    this.type(`${menuKey(await this.see(lab, /Enter an option:$/), label)}\r`);
  }
  close(): Promise<void> {
    return this.line.close();
  }
}

if (requireLab(test, 'lab/console/console', { tools: ['socat', 'ping'] })) {
  test('login, status from the daemon, kill -9 of the console, status with the daemon down', async () => {
    await withDaemonLab(pairTopology(), 'stk-console-', async (lab, dir) => {
      const d = spawnDaemon(lab, dir, { ...NODE_A, intervalMs: 1000, sections: { console: { password_hash: HASH, idle_logout_s: 0, shell: true } } });
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
        await o.pick(lab, 'Status');
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
        await o.pick(lab, 'Status');
        const down = await o.see(lab, /DAEMON NOT RUNNING/);
        assert.match(down, /the daemon is not running/);
        assert.match(down, /^ {2}eth0 +up +[0-9a-f:]{17} +192\.0\.2\.1\/24$/m, 'the kernel: the VIP went with the daemon');
        o.type('q');
        await o.see(lab, /Enter an option:$/);

        // Ping from the box (its namespace): the client answers.
        await o.pick(lab, 'Ping a host');
        o.type('192.0.2.10\r');
        const ping = await o.see(lab, /ping ended \(status \d+\)\.[\s\S]*Press Enter for the menu\.$/, 20_000);
        assert.match(ping, /bytes from 192\.0\.2\.10/);
        assert.match(ping, /ping ended \(status 0\)\./);
        // A ping nobody answers, stopped with Ctrl-C.
        o.type('\r');
        await o.pick(lab, 'Ping a host');
        o.type('192.0.2.99\r');
        await o.see(lab, /PING 192\.0\.2\.99/);
        o.type('\x03');
        await o.see(lab, /Stopped \(Ctrl-C\)\.[\s\S]*Press Enter for the menu\.$/);

        // The shell (console.shell is true here): a line runs, exit comes back.
        o.type('\r');
        await o.pick(lab, 'Shell');
        await o.see(lab, /- Shell[\s\S]*#$/);
        o.type('echo shell says $((6 * 7))\r');
        await o.see(lab, /^shell says 42$/m);
        o.type('exit\r');
        await o.see(lab, /Enter an option:$/);
        assert.is(o.vt.garbage, 0);

        // As an SSH session runs it (--session): Logout ends the process, no login prompt again.
        // (The menu is on the screen until the new console draws its login prompt.)
        con.kill('SIGKILL');
        await con.exited;
        con = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'console', '--tty', box, '--session', '--config', join(dir, 'a.json'), '--socket', d.socket, '--log', join(dir, 'none.log')]);
        o.vt.raw = '';
        o.type('\x0c');
        await o.see(lab, /Password:$/);
        o.type('password\r');
        await o.see(lab, /Enter an option:$/);
        o.type('0\r');
        await o.see(lab, /Logged out\.\s*$/);
        const ended = await Promise.race([con.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
        assert.is(ended, 0, 'the session\'s console exits 0 at logout');
      } finally {
        await o.close();
        con.kill('SIGKILL');
        await con.exited;
      }
    });
  });

  test('an address changed in the menu: confirmed it stays and is saved; left alone it reverts; kill -9 of the console mid-transaction: the daemon reverts it', async () => {
    await withDaemonLab(pairTopology(), 'stk-console-tx-', async (lab, dir) => {
      const d = spawnDaemon(lab, dir, { ...NODE_A, intervalMs: 1000, sections: { console: { password_hash: HASH, idle_logout_s: 0 }, management: { commit_confirm_s: WINDOW_S } } });
      await waitState(lab, d, 'MASTER', 15_000);
      const pid = (await daemonStatus(d)).pid;
      const saved = join(dir, 'a.json');
      const box = join(dir, 'tty-box');
      const op = join(dir, 'tty-operator');
      lab.spawn('a', ['socat', `pty,raw,echo=0,link=${box}`, `pty,raw,echo=0,link=${op}`]);
      await lab.waitFor('the pty pair', async () => (existsSync(box) && existsSync(op)) || undefined, { timeoutMs: 5000, intervalMs: 50 });
      const con = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'console', '--tty', box, '--config', saved, '--socket', d.socket, '--log', join(dir, 'none.log')]);
      const o = await Operator.open(op);
      const has = (a: string): Promise<boolean> => hasAddress(lab, 'a', a);
      /** Menu item 3 from the menu: eth0's addresses become `addresses`, the gateway is kept, applied. */
      const change = async (addresses: string): Promise<string> => {
        await o.pick(lab, 'Interface address');
        await o.see(lab, /Interface \(Enter: back to the menu\):$/);
        o.type('eth0\r');
        await o.see(lab, /Addresses \(Enter: keep\):$/);
        o.type(`${addresses}\r`);
        await o.see(lab, /Default gateway \(Enter: keep\):$/);
        o.type('\r');
        await o.see(lab, /Interface address: the plan[\s\S]*address eth0: changed/);
        o.type('q');
        await o.see(lab, /Type yes to apply:$/);
        o.type('yes\r');
        return o.see(lab, /Reverts in \d+ s\. c: confirm, r: revert now, Ctrl-C: leave it: ?$/, 20_000);
      };
      try {
        await o.see(lab, /Password:$/);
        o.type('password\r');
        await o.see(lab, /Enter an option:$/);

        // A value the config refuses: its message, the same field again, nothing applied.
        await o.pick(lab, 'Interface address');
        o.type('eth0\r192.0.2.1/33\r');
        await o.see(lab, /Not accepted: '192\.0\.2\.1\/33'\. Nothing was applied\.\n {4}\/addresses\/0\/static\/0: expected an IPv4 CIDR[\s\S]*Addresses \(Enter: keep\):$/);
        o.type('\x03');
        await o.see(lab, /Enter an option:$/);
        assert.is((await controlRequest(d.socket, 'config.status') as { pending: unknown }).pending, null);

        // 1. Applied, the countdown runs, confirmed: the address is on eth0 and saved.
        await change('192.0.2.1/24 198.51.100.7/24');
        assert.ok(await has('198.51.100.7'), 'the new address is on eth0 while the countdown runs');
        await o.see(lab, /Reverts in \d+ s/);
        o.type('c');
        await o.see(lab, /Confirmed: saved as revision 1\./);
        assert.match(readFileSync(saved, 'utf8'), /"198\.51\.100\.7\/24"/, 'the saved config has it');
        assert.match(readFileSync(join(dir, 'config-revisions', '1.json'), 'utf8'), /198\.51\.100\.7/);
        assert.is((await controlRequest(d.socket, 'config.status') as { pending: unknown }).pending, null);
        o.type('q');
        await o.see(lab, /Enter an option:$/);

        // 2. Applied and left alone: when the window closes the daemon reverts it, and the screen says so.
        const before = readFileSync(saved, 'utf8');
        await change('192.0.2.1/24 198.51.100.7/24 203.0.113.9/24');
        assert.ok(await has('203.0.113.9'));
        await o.see(lab, /Transaction 2 is no longer waiting: it was not confirmed in time/, (WINDOW_S + 15) * 1000);
        await lab.waitFor('the revert', async () => !(await has('203.0.113.9')) || undefined, { timeoutMs: 10_000, intervalMs: 100 });
        assert.ok(await has('198.51.100.7'), 'the confirmed address stays');
        assert.is(readFileSync(saved, 'utf8'), before, 'nothing saved');
        assert.match(d.proc.stdout(), /warn: config: transaction 2 by console reverted \(not confirmed within \d+ s\)/);
        o.type('q');
        await o.see(lab, /Enter an option:$/);

        // 3. kill -9 of the console while its countdown runs: the daemon is not disturbed and
        // reverts the change by itself when the window closes.
        await change('192.0.2.1/24 198.51.100.7/24 203.0.113.10/24');
        assert.ok(await has('203.0.113.10'));
        con.kill('SIGKILL');
        await con.exited;
        assert.is((await daemonStatus(d)).pid, pid, 'the same daemon');
        assert.ok((await controlRequest(d.socket, 'config.status') as { pending: unknown }).pending !== null, 'the transaction still waits');
        await lab.waitFor('the revert after the console died', async () => !(await has('203.0.113.10')) || undefined, { timeoutMs: (WINDOW_S + 15) * 1000, intervalMs: 200 });
        assert.is((await controlRequest(d.socket, 'config.status') as { pending: unknown }).pending, null);
        assert.match(d.proc.stdout(), /warn: config: transaction 3 by console reverted \(not confirmed within \d+ s\)/);
        assert.is(readFileSync(saved, 'utf8'), before, 'nothing saved');
        assert.is((await daemonStatus(d)).pid, pid);
        await waitState(lab, d, 'MASTER', 5000);
        assert.ok(await has(VIP), 'the VIP stayed through all three');
      } finally {
        await o.close();
        con.kill('SIGKILL');
        await con.exited;
      }
    });
  });

  test('first login on a box without a password: it is saved through the daemon\'s config transaction', async () => {
    await withDaemonLab(pairTopology(), 'stk-console-first-', async (lab, dir) => {
      const d = spawnDaemon(lab, dir, { ...NODE_A, intervalMs: 1000, sections: { console: { idle_logout_s: 0 } } });
      await waitState(lab, d, 'MASTER', 15_000);
      const box = join(dir, 'tty-box');
      const op = join(dir, 'tty-operator');
      lab.spawn('a', ['socat', `pty,raw,echo=0,link=${box}`, `pty,raw,echo=0,link=${op}`]);
      await lab.waitFor('the pty pair', async () => (existsSync(box) && existsSync(op)) || undefined, { timeoutMs: 5000, intervalMs: 50 });
      const con = lab.spawn('a', ['env', '-u', 'STOCKADE_NATIVE', STOCKADE_BIN, 'console', '--tty', box, '--config', join(dir, 'a.json'), '--socket', d.socket, '--log', join(dir, 'none.log')]);
      const o = await Operator.open(op);
      try {
        await o.see(lab, /New password:$/);
        o.type('longenough\r');
        await o.see(lab, /Again:$|again:$/i);
        o.type('longenough\r');
        await o.see(lab, /Console password set\.\nSaved in the config\./, 20_000);
        const saved = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as { console: { password_hash?: string } };
        assert.match(saved.console.password_hash ?? '', /^\$6\$/, 'the saved config holds the hash');
        assert.match(readFileSync(join(dir, 'config-revisions', '1.json'), 'utf8'), /"password_hash": "\$6\$/);
        assert.match(d.proc.stdout(), /info: config: transaction 1 by console saved as revision 1/);
        await waitState(lab, d, 'MASTER', 5000);
      } finally {
        await o.close();
        con.kill('SIGKILL');
        await con.exited;
      }
    });
  });
}

test.run();
