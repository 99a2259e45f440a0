// Keystroke fuzz of the console menu: random bytes, escape sequences (whole and cut), partial
// UTF-8, control keys and menu digits, in random chunks, fed to a logged-in session. Whatever
// arrives: the session never throws, writes nothing but printable ASCII + CR LF BS BEL, no line
// reaches column 80, and afterwards three Ctrl-C bring back a menu or login prompt that still
// answers. The key decoder gives the same keys however the bytes are cut into chunks.
// Re-run a failure with FUZZ_SEED=<seed printed in the failure>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { asyncProperty, property } from './property.ts';
import { KeyDecoder, runConsole, type ConfigTransaction } from '../../src/console/index.ts';
import { CRYPT_VECTORS } from '../unit/console/crypt-vectors.ts';
import { FakeStream, FakeTimers, fakeHost, settle } from '../unit/console/harness.ts';

const HASH = CRYPT_VECTORS[2]!.hash; // "stockade", 1000 rounds: quick to check
const enc = (s: string): number[] => [...Buffer.from(s, 'latin1')];

const piece = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((a) => [...a]),
  fc.constantFrom('\x1b[A', '\x1b[B', '\x1b[1;5C', '\x1bOP', '\x1b[15~', '\x1b[', '\x1b', '\x1bx', '\x1b[999999999999999999999999999999999999', '\x1b\x1b[D').map(enc),
  fc.constantFrom([0xc3], [0xa9], [0xe2, 0x82], [0xac], [0xf0, 0x9f, 0x98], [0x80, 0x80], [0xff], [0xc3, 0xa9]),
  fc.constantFrom('\r', '\n', '\r\n', '\x7f', '\x08', '\x03', '\x0c', '\x04', '\x00', '\t', 'q', 'b', ' ').map(enc),
  fc.constantFrom('1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '192.0.2.1', 'a'.repeat(90)).map(enc),
);

const session = fc.array(fc.array(piece, { minLength: 1, maxLength: 6 }).map((ps) => ps.flat()), { minLength: 1, maxLength: 25 });

/**
 * Logs in, types the chunks 50 ms apart, waits out any login delay, presses Ctrl-C `interrupts`
 * times, then checks: nothing thrown, printable ASCII only, no line at column 80, and the menu
 * (logged in again if the session had logged out) still answers.
 */
async function typeAndCheck(stream: FakeStream, timers: FakeTimers, done: Promise<unknown>, chunks: readonly number[][], interrupts: number): Promise<void> {
  let failed: unknown;
  done.catch((e: unknown) => { failed = e; });
  await settle();
  stream.type('stockade\r');
  await settle();
  for (const c of chunks) {
    stream.type(Uint8Array.from(c));
    await timers.advance(50);
  }
  await timers.advance(120_000);
  for (let i = 0; i < interrupts; i++) {
    stream.type('\x03');
    await timers.advance(100);
  }
  assert.is(failed, undefined, `the session threw: ${String(failed)}`);
  assert.is(stream.vt.garbage, 0, 'non-ASCII written');
  assert.ok(stream.vt.longest < 80, `a line of ${stream.vt.longest} columns`);
  let screen = stream.vt.screen();
  if (/Password:$/.test(screen) || /New password:$/.test(screen)) {
    stream.type('stockade\r');
    await timers.advance(100);
    screen = stream.vt.screen();
  }
  assert.match(screen, /Enter an option:$/, `not back at the menu:\n${screen}`);
  stream.type('1\r');
  await timers.advance(100);
  assert.match(stream.vt.screen(), /- Status/, 'the menu does not answer');
}

asyncProperty(test, 'any keystrokes: no crash, only ASCII out, lines under 80 columns, still answering', session, { runs: 150, minRuns: 20 }, async (chunks) => {
  const stream = new FakeStream();
  const timers = new FakeTimers();
  const done = runConsole(stream, { host: fakeHost({ settings: { passwordHash: HASH } }), timers, log: () => undefined });
  await typeAndCheck(stream, timers, done, chunks, 3);
});

// The same with a config transaction: the change screens (fields the loader checks, plans, the
// countdown), the config submenu, ports and upgrade are reachable, and words they take are mixed in.
const SAVED = JSON.stringify({
  version: 1, interfaces: { ports: [{ name: 'wan' }, { name: 'lan' }] },
  addresses: [{ interface: 'lan', static: ['192.0.2.2/24'] }], routes: [{ destination: 'default', gateway: '192.0.2.254' }],
  vrrp: { instances: [{ name: 'vi1', interface: 'lan', vrid: 51, priority: 200, vips: ['192.0.2.1'] }] },
}, null, 2);
// Whole paths into a screen (a random walk rarely gets through four fields), then anything.
const path = fc.constantFrom('3\rlan\r\r\rqyes\r', '3\rwan\rdhcp\rnone\rqyes\r', '4\rvi1\r\r\r\rqyes\r', '5\r4\r1\rqyes\r', '5\r5\rrestore\rqyes\r', '6\rstockade9\rstockade9\rqyes\r', '2\r', '10\r').map(enc);
const word = fc.constantFrom('yes\r', 'c', 'r', 'restore\r', 'ROLLBACK\r', 'lan\r', 'wan\r', 'vi1\r', 'dhcp\r', 'none\r', '192.0.2.9/24\r', '300\r', '10\r', '11\r', '12\r').map(enc);
const txSession = fc.array(fc.array(fc.oneof(piece, word, word, path), { minLength: 1, maxLength: 6 }).map((ps) => ps.flat()), { minLength: 1, maxLength: 30 });

asyncProperty(test, 'any keystrokes with a config transaction: no crash, only ASCII, under 80 columns, still answering', txSession, { runs: 100, minRuns: 15 }, async (chunks) => {
  const stream = new FakeStream();
  const timers = new FakeTimers();
  let pending: { id: number; deadline: number } | null = null;
  let id = 0;
  const view = () => {
    if (pending && timers.now() >= pending.deadline) pending = null;
    return pending && { id: pending.id, who: 'console', summary: 'x', secondsLeft: Math.ceil((pending.deadline - timers.now()) / 1000) };
  };
  const transaction: ConfigTransaction = {
    apply: async () => { pending = { id: ++id, deadline: timers.now() + 30_000 }; return { ok: true, message: 'Applied.', pending: view()! }; },
    confirm: async () => (view() ? ((pending = null), { ok: true, message: 'Confirmed.' }) : { ok: false, error: 'nothing waits' }),
    abort: async () => ((pending = null), { ok: true, message: 'Reverted.' }),
    status: async () => ({ pending: view() }),
  };
  const host = fakeHost({
    settings: { passwordHash: HASH }, savedConfig: () => ({ path: '/data/config.json', text: SAVED }),
    history: () => [{ revision: 1, who: 'console', at: '2026-12-01T00:00:00.000Z', summary: 'x' }], revisionText: () => SAVED,
    upgrade: async (a) => ({ ok: a !== 'rollback', text: `${a}: done\n` }),
  });
  await typeAndCheck(stream, timers, runConsole(stream, { host, timers, log: () => undefined, transaction }), chunks, 4);
});

const bytes = fc.uint8Array({ maxLength: 200 });

property(test, 'the key decoder gives the same keys however the bytes are chunked', fc.tuple(bytes, fc.array(fc.nat(200), { maxLength: 10 })), { runs: 2000 }, ([b, cuts]) => {
  const whole = new KeyDecoder().feed(b);
  const d = new KeyDecoder();
  const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const parts: unknown[] = [];
  let at = 0;
  for (const p of [...points, b.length]) {
    parts.push(...d.feed(b.subarray(at, p)));
    at = p;
  }
  assert.equal(parts, whole);
});

test.run();
