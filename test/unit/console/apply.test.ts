// The change path of the menu's config items: edit -> loader -> plan -> transaction ->
// commit-confirm with its countdown, against a fake transaction.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Terminal, applyScreen, proposeChange, setPasswordHash, type ConfigTransaction, type PendingView } from '../../../src/console/index.ts';
import type { ScreenContext } from '../../../src/console/screens/context.ts';
import { FakeStream, FakeTimers, fakeHost, settle } from './harness.ts';

const SAVED = JSON.stringify({ version: 1, interfaces: { ports: [{ name: 'eth0' }] }, addresses: [{ interface: 'eth0', dhcp: true }] }, null, 2);

function fakeTx(windowS = 60) {
  const calls: string[] = [];
  let pending: PendingView | null = null;
  const tx: ConfigTransaction = {
    async apply(text, who) {
      calls.push(`apply by ${who}: ${text.length} bytes`);
      pending = { id: 7, who, summary: 'change', secondsLeft: windowS };
      return { ok: true, message: 'Applied.', pending };
    },
    async confirm(who) {
      calls.push(`confirm by ${who}`);
      pending = null;
      return { ok: true, message: 'Confirmed: saved as revision 3.' };
    },
    async abort(who) {
      calls.push(`abort by ${who}`);
      pending = null;
      return { ok: true, message: 'Reverted: the confirmed config runs again.' };
    },
    async status() { return { pending }; },
  };
  return { tx, calls, expire: () => { pending = null; } };
}

function ctxOn(stream: FakeStream): ScreenContext {
  const timers = new FakeTimers();
  return { term: new Terminal(stream, timers), host: fakeHost(), timers, who: 'console', log: () => undefined, counters: () => '' };
}

test('a change is checked by the config loader: a refused value comes back as its message, nothing applied', () => {
  const p = proposeChange(SAVED, (doc) => { (doc['console'] = { baud: 1234 }); });
  assert.is(p.ok, false);
  if (!p.ok) assert.match(p.errors.join('\n'), /\/console\/baud/);
  const q = proposeChange('not json', () => undefined);
  assert.is(q.ok, false);
});

test('setting the password: a plan naming the console part, the text carries the hash', () => {
  const p = proposeChange(SAVED, setPasswordHash('$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'));
  assert.ok(p.ok);
  if (!p.ok) return;
  assert.ok(p.changed);
  assert.match(p.plan, /console/);
  assert.is((JSON.parse(p.text) as { console: { password_hash: string } }).console.password_hash.slice(0, 12), '$6$saltsalt$');
});

test('apply screen: plan, yes, countdown, confirm -> the transaction applied then confirmed', async () => {
  const stream = new FakeStream();
  const ctx = ctxOn(stream);
  const { tx, calls } = fakeTx(57);
  const p = proposeChange(SAVED, (doc) => { doc['system'] = { hostname: 'fw-b' }; });
  const done = applyScreen(ctx, tx, 'Hostname', p);
  await settle();
  assert.match(stream.vt.screen(), /Hostname: the plan/);
  stream.type('\r'); await settle();
  stream.type('yes\r'); await settle();
  assert.match(stream.vt.screen(), /Transaction 7 runs now\./);
  assert.match(stream.vt.screen(), /Reverts in 57 s\. c: confirm, r: revert now, Ctrl-C: leave it:$/);
  stream.type('c'); await settle();
  assert.match(stream.vt.screen(), /Confirmed: saved as revision 3\./);
  stream.type('q'); 
  assert.is(await done, 'confirmed');
  assert.equal(calls, [calls[0]!, 'confirm by console']);
  assert.match(calls[0]!, /^apply by console: /);
});

test('apply screen: not typing yes applies nothing; a window that closes is reported, not confirmed', async () => {
  const stream = new FakeStream();
  const ctx = ctxOn(stream);
  const { tx, calls, expire } = fakeTx();
  const p = proposeChange(SAVED, (doc) => { doc['system'] = { hostname: 'fw-b' }; });
  let done = applyScreen(ctx, tx, 'Hostname', p);
  await settle();
  stream.type('\rno\r'); await settle();
  assert.is(await done, 'not-applied');
  assert.equal(calls, []);
  done = applyScreen(ctx, tx, 'Hostname', p);
  await settle();
  stream.type('\ryes\r'); await settle();
  expire();
  await (ctx.timers as FakeTimers).advance(1000);
  assert.match(stream.vt.screen(), /Transaction 7 is no longer waiting: it was not confirmed in time/);
  stream.type('q');
  assert.is(await done, 'reverted');
  assert.equal(calls.length, 1);
});

test('apply screen: r reverts at once through the transaction; Ctrl-C leaves the countdown running', async () => {
  const stream = new FakeStream();
  const ctx = ctxOn(stream);
  const { tx, calls } = fakeTx();
  const p = proposeChange(SAVED, (doc) => { doc['system'] = { hostname: 'fw-b' }; });
  let done = applyScreen(ctx, tx, 'Hostname', p);
  await settle();
  stream.type('\ryes\r'); await settle();
  stream.type('r'); await settle();
  assert.match(stream.vt.screen(), /Reverted: the confirmed config runs again\./);
  stream.type('q');
  assert.is(await done, 'reverted');
  assert.equal(calls.slice(1), ['abort by console']);
  done = applyScreen(ctx, tx, 'Hostname', p);
  await settle();
  stream.type('\ryes\r'); await settle();
  stream.type('\x03');
  assert.is(await done, 'left-pending');
  assert.equal(calls.slice(2).map((c) => c.split(':')[0]), ['apply by console']);
});

test('apply screen: the daemon not answering during the countdown is said on the prompt, not taken for a revert', async () => {
  const stream = new FakeStream();
  const ctx = ctxOn(stream);
  const { tx, calls } = fakeTx();
  let down = false;
  const flaky: ConfigTransaction = { ...tx, status: async () => (down ? { pending: null, error: 'no daemon at /run/stockade.sock' } : tx.status()) };
  const done = applyScreen(ctx, flaky, 'Hostname', proposeChange(SAVED, (doc) => { doc['system'] = { hostname: 'fw-b' }; }));
  await settle();
  stream.type('\ryes\r'); await settle();
  down = true;
  await (ctx.timers as FakeTimers).advance(1000);
  assert.match(stream.vt.screen().split("\n").pop()!, /^No answer from the daemon\. c: confirm, r: revert now, Ctrl-C: leave it:$/, stream.vt.screen());
  down = false;
  await (ctx.timers as FakeTimers).advance(1000);
  assert.match(stream.vt.screen(), /Reverts in 60 s\. c: confirm/);
  stream.type('c'); await settle();
  stream.type('q');
  assert.is(await done, 'confirmed');
  assert.equal(calls.slice(1), ['confirm by console']);
});

test.run();
