import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Terminal, runConsole, type ConsoleDeps, type ConsoleState } from '../../../src/console/index.ts';
import { CRYPT_VECTORS } from './crypt-vectors.ts';
import { FakeStream, FakeTimers, STATUS_DOWN, assertGolden, fakeHost, settle } from './harness.ts';

const HASH = CRYPT_VECTORS[0]!.hash; // password: "password"

function start(host = fakeHost({ settings: { passwordHash: HASH } }), extra: Partial<ConsoleDeps> = {}) {
  const stream = new FakeStream();
  const timers = new FakeTimers();
  const logs: string[] = [];
  const state: ConsoleState = { counters: { failed: 0, failedSinceLogin: 0, succeeded: 0 } };
  const done = runConsole(stream, { host, timers, log: (m) => logs.push(m), ...extra }, state);
  return { stream, timers, logs, state, done, host, screen: () => stream.vt.screen() };
}

async function typeIn(s: FakeStream, text: string): Promise<void> {
  s.type(text);
  await settle();
}

async function loggedIn() {
  const c = start();
  await settle();
  await typeIn(c.stream, 'password\r');
  return c;
}

const login = suite('console login');

login('first login with no hash sets one (too short and mismatched refused), held in memory and said so', async () => {
  const c = start(fakeHost());
  await settle();
  assertGolden(c.stream, 'first-login');
  await typeIn(c.stream, 'short\r');
  assert.match(c.screen(), /Too short \(5 characters\): at least 8\./);
  await typeIn(c.stream, 'longenough\rlongenougH\r');
  assert.match(c.screen(), /The two did not match; nothing set\./);
  assert.not.match(c.stream.vt.raw, /longenough/, 'a password is never echoed');
  await typeIn(c.stream, 'longenough\rlongenough\r');
  assert.match(c.screen(), /Console password set\./);
  assert.match(c.screen(), /holds until the console restarts: no daemon to save it through\./);
  assert.ok(c.state.memoryHash?.startsWith('$6$'));
  // Logged out, the next login needs it.
  await typeIn(c.stream, '0\r');
  assert.match(c.screen(), /Password:$/);
  await typeIn(c.stream, 'longenough\r');
  assert.match(c.screen(), /Enter an option:$/);
});

login('first login with a config transaction: the hash is applied and confirmed through it, and said so', async () => {
  const calls: string[] = [];
  const transaction = {
    apply: async (text: string, who: string) => { calls.push(`apply ${who} ${/"password_hash": "\$6\$/.test(text)}`); return { ok: true as const, message: 'applied', pending: { id: 1, who, summary: '', secondsLeft: 60 } }; },
    confirm: async (who: string) => { calls.push(`confirm ${who}`); return { ok: true as const, message: 'confirmed' }; },
    abort: async () => ({ ok: false as const, error: 'not used' }),
    status: async () => ({ pending: null }),
  };
  const c = start(fakeHost(), { transaction });
  await settle();
  await typeIn(c.stream, 'longenough\rlongenough\r');
  assert.match(c.screen(), /Console password set\.\nSaved in the config\./);
  assert.equal(calls, ['apply console true', 'confirm console']);
});

login('a wrong password waits 1 s, then 2 s; keys typed meanwhile are dropped; the count shows after login', async () => {
  const c = start();
  await settle();
  assertGolden(c.stream, 'login');
  await typeIn(c.stream, 'wrong\r');
  assert.match(c.screen(), /Login incorrect\. Wait 1 s\.$/m);
  await typeIn(c.stream, 'password\r'); // typed during the delay: dropped
  await c.timers.advance(999);
  assert.not.match(c.screen(), /Password:$/);
  await c.timers.advance(1);
  assert.match(c.screen(), /Login incorrect \(1 in a row\)\.\n[\s\S]*Password:$/);
  await typeIn(c.stream, 'wrong again\r');
  assert.match(c.screen(), /Wait 2 s\./);
  await c.timers.advance(1999);
  assert.not.match(c.screen(), /Password:$/);
  await c.timers.advance(1);
  await typeIn(c.stream, 'password\r');
  assert.match(c.screen(), /2 failed login attempts since the last login\./);
  assert.equal(c.state.counters, { failed: 2, failedSinceLogin: 0, succeeded: 1 });
  assert.ok(c.logs.some((l) => /failed login \(2 in a row, 2 in all\)/.test(l)));
});

login('idle logout after console.idle_logout_s; a key restarts the wait', async () => {
  const c = await loggedIn();
  assert.match(c.screen(), /Enter an option:$/);
  await c.timers.advance(899_000);
  await typeIn(c.stream, '1');
  await c.timers.advance(899_000);
  assert.match(c.screen(), /Enter an option: 1$/);
  await c.timers.advance(1000);
  assert.match(c.screen(), /Logged out: no key for 900 s\.[\s\S]*Password:$/);
  assert.ok(c.logs.includes('console: idle logout'));
});

login('a password longer than the line is taken whole, its stars stop before column 80, and ^C fits too', async () => {
  const long = 'p'.repeat(100);
  const c = start(fakeHost({ settings: { passwordHash: CRYPT_VECTORS[0]!.hash } }));
  await settle();
  await typeIn(c.stream, long + '\x7f'.repeat(40));
  assert.ok(c.stream.vt.longest < 80, `a line of ${c.stream.vt.longest} columns`);
  assert.match(c.screen(), /Password: \*{60}$/, 'backspaces past the shown stars erase only the stars still typed');
  await typeIn(c.stream, '\x03');
  assert.ok(c.stream.vt.longest < 80, `^C made a line of ${c.stream.vt.longest} columns`);
  await typeIn(c.stream, 'password\r');
  assert.match(c.screen(), /Enter an option:$/);
});

login('keys typed while a diagnostic runs do not start a second reader (fuzz seed 1256307256)', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '6\r');
  await typeIn(c.stream, 'A\n\0  1');
  await typeIn(c.stream, '1');
  await c.timers.advance(100);
  await typeIn(c.stream, '\x03\r');
  await c.timers.advance(100);
  assert.match(c.screen(), /Enter an option:$/);
  await typeIn(c.stream, '1\r');
  assert.match(c.screen(), /- Status/);
});

login('plain text stops with a bell where the line ends rather than run on unseen', async () => {
  const stream = new FakeStream();
  const term = new Terminal(stream, new FakeTimers());
  term.write('x'.repeat(70));
  const line = term.readLine({ max: 240 });
  stream.type('y'.repeat(20) + '\r');
  assert.is(await line, 'y'.repeat(9));
  assert.ok(stream.vt.longest < 80, `a line of ${stream.vt.longest} columns`);
  assert.match(stream.vt.raw, /\x07/);
});

login('one session (SSH): logout ends it instead of coming back to the login prompt; so does idle logout', async () => {
  const c = start(fakeHost({ settings: { passwordHash: HASH } }), { session: true });
  await settle();
  await typeIn(c.stream, 'password\r');
  await typeIn(c.stream, '0\r');
  await c.done;
  assert.match(c.screen(), /Enter an option: 0\n+Logged out\.\s*$/);
  assert.not.match(c.screen(), /Password:$/);
  assert.is(c.timers.pending, 0, 'no timer holds the process');
  const idle = start(fakeHost({ settings: { passwordHash: HASH } }), { session: true });
  await settle();
  await typeIn(idle.stream, 'password\r');
  await idle.timers.advance(900_000);
  await idle.done;
  assert.match(idle.screen(), /Logged out: no key for 900 s\.\s*$/);
  // A serial line (no session) comes back to the login prompt for the next person.
  const serial = await loggedIn();
  await typeIn(serial.stream, '0\r');
  assert.match(serial.screen(), /Password:$/);
});

login('the terminal going away ends the session', async () => {
  const c = await loggedIn();
  c.stream.hangUp();
  await c.done;
  assert.ok(c.logs.some((l) => /went away/.test(l)));
});

const menu = suite('console menu');

menu('main menu: numbered, two columns; shell only with console.shell; unknown input named', async () => {
  const c = await loggedIn();
  assertGolden(c.stream, 'menu');
  assert.not.match(c.screen(), /Shell/);
  await typeIn(c.stream, '42\r');
  assert.match(c.screen(), /No option '42'\./);
  const s = start(fakeHost({ settings: { passwordHash: HASH, shell: true } }));
  await settle();
  await typeIn(s.stream, 'password\r');
  assert.match(s.screen(), / 9\) Shell/);
});

menu('a key costs one write and nothing of the host: Ctrl-L redraws the whole screen in one write, a typed character echoes in one', async () => {
  // What keeps a key fast on a 115200-baud line under TCG (the console bench): no config read,
  // no daemon round-trip, no screen built again, one write per key.
  const calls: string[] = [];
  const base = fakeHost({ settings: { passwordHash: HASH } });
  const host = new Proxy(base, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (...a: unknown[]) => { calls.push(String(prop)); return (v as (...x: unknown[]) => unknown).apply(target, a); } : v;
    },
  });
  const c = start(host);
  await settle();
  await typeIn(c.stream, 'password\r');
  assert.match(c.screen(), /Enter an option:$/);
  const writes: string[] = [];
  const write = c.stream.write.bind(c.stream);
  c.stream.write = (chunk: string) => { writes.push(chunk); return write(chunk); };
  calls.length = 0;
  for (let i = 0; i < 20; i++) await typeIn(c.stream, '\x0c');
  assert.is(writes.length, 20, 'one write per redraw');
  assert.ok(writes.every((w) => w === writes[0] && /fw-a - stockade console[\s\S]* 0\) Logout[\s\S]*Enter an option: $/.test(w)), 'each the whole screen');
  writes.length = 0;
  await typeIn(c.stream, 'x');
  await typeIn(c.stream, '\x7f');
  assert.equal(writes, ['x', '\b \b']);
  assert.equal(calls, [], 'the host is not asked per key');
});

menu('status screen with the daemon up', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '1\r');
  assertGolden(c.stream, 'status-up');
  await typeIn(c.stream, 'q');
  assert.match(c.screen(), /Enter an option:$/);
});

menu('status screen with the daemon down: says so, shows the kernel', async () => {
  const c = start(fakeHost({ settings: { passwordHash: HASH }, status: async () => STATUS_DOWN }));
  await settle();
  await typeIn(c.stream, 'password\r1\r');
  assertGolden(c.stream, 'status-down');
});

menu('log: pages from the end, b goes back a page, Ctrl-C back to the menu', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '2\r');
  assertGolden(c.stream, 'log-end');
  await typeIn(c.stream, 'b');
  assert.match(c.screen(), /lines 9-29 of 50/);
  await typeIn(c.stream, '\x03');
  assert.match(c.screen(), /Enter an option:$/);
});

menu('saved config and an empty history', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '3\r');
  assertGolden(c.stream, 'config-show');
  await typeIn(c.stream, '\r4\r');
  assert.match(c.screen(), /No revisions yet/);
});

menu('history lists revisions newest first', async () => {
  const host = fakeHost({ settings: { passwordHash: HASH }, history: () => [
    { revision: 1, who: 'console', at: '2026-12-01T10:00:00.000Z', summary: 'addresses: 1 changed' },
    { revision: 2, who: 'ssh:admin', at: '2026-12-02T10:00:00.000Z', summary: 'vrrp: lan_vip priority' },
  ] });
  const c = start(host);
  await settle();
  await typeIn(c.stream, 'password\r4\r');
  assertGolden(c.stream, 'history');
});

menu('ping: a bad target is refused before anything runs; the lines show; Ctrl-C stops a long one', async () => {
  let aborted = false;
  const host = fakeHost({ settings: { passwordHash: HASH } });
  const c = start(host);
  await settle();
  await typeIn(c.stream, 'password\r5\r');
  await typeIn(c.stream, '192.0.2.300\r');
  assert.match(c.screen(), /'192\.0\.2\.300' is not an IPv4 address or host name\./);
  assert.equal(host.calls.diagnose, []);
  await typeIn(c.stream, '192.0.2.1\r');
  assertGolden(c.stream, 'ping');
  await typeIn(c.stream, '\r');
  // A traceroute that only ends when stopped.
  host.diagnose = (tool, target, onLine, signal) => new Promise((resolve) => {
    onLine(`traceroute to ${target}`);
    signal.addEventListener('abort', () => { aborted = true; resolve('killed'); });
  });
  await typeIn(c.stream, '6\rgw.example\r');
  assert.match(c.screen(), /traceroute to gw\.example/);
  await typeIn(c.stream, '\x03');
  assert.ok(aborted);
  assert.match(c.screen(), /Stopped \(Ctrl-C\)\./);
});

menu('reboot needs the typed word; anything else does nothing', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '7\r');
  assertGolden(c.stream, 'reboot');
  await typeIn(c.stream, 'reboot\r');
  assert.equal(c.host.calls.power, []);
  await typeIn(c.stream, '7\rREBOOT\r');
  assert.equal(c.host.calls.power, ['reboot']);
  await typeIn(c.stream, '\r8\rHALT\r');
  assert.equal(c.host.calls.power, ['reboot', 'halt']);
});

menu('Ctrl-L draws the screen again with what was typed; escape sequences and UTF-8 are never echoed', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '1');
  c.stream.vt.raw = '';
  await typeIn(c.stream, '\x1b[A\x1b[1;5D\x1bOP\xc3\xa9\x1bx');
  assert.is(c.stream.vt.raw, '', 'nothing echoed for arrows, F1, é, Alt-x');
  await typeIn(c.stream, '\x0c');
  assert.match(c.screen(), /Enter an option: 1$/);
  assert.match(c.screen(), /^fw-a - stockade console$/m);
});

menu('an over-long line rings the bell and keeps what fits', async () => {
  const c = await loggedIn();
  await typeIn(c.stream, '5\r');
  await typeIn(c.stream, 'a'.repeat(100));
  assert.match(c.stream.vt.raw, /\x07/);
  assert.match(c.screen(), new RegExp(`Host: ${'a'.repeat(64)}$`));
});

menu('a screen that fails comes back to the menu with its message', async () => {
  const c = start(fakeHost({ settings: { passwordHash: HASH }, status: async () => { throw new Error('boom'); } }));
  await settle();
  await typeIn(c.stream, 'password\r1\r');
  assert.match(c.screen(), /Status failed: boom/);
  assert.match(c.screen(), /Enter an option:$/);
});

login('keys typed while nothing reads are bounded (2048), and what the bound dropped is counted on the status screen', async () => {
  const c = start();
  await settle();
  await typeIn(c.stream, 'wrong\r');
  await typeIn(c.stream, 'x'.repeat(2092)); // during the 1 s delay: queued up to the bound, then dropped
  await c.timers.advance(1000);
  await typeIn(c.stream, 'password\r1\r');
  assert.match(c.screen(), /^Console: keys \d+ \(ignored 0, dropped 44\); logins 1, failed 1$/m);
});

login.run();
menu.run();
