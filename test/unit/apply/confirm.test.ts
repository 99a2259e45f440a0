import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CommitConfirm } from '../../../src/apply/confirm.ts';

const at = (now: number) => ({ now, wallMs: Date.UTC(2026, 11, 6, 8, 0, 0) + now });

test('a zero window saves at once and leaves nothing pending', () => {
  const c = new CommitConfirm();
  const r = c.applied(at(0), 'ctl (uid 0)', 'vrrp: priority', 0);
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.actions.map((a) => a.type), ['persist']);
  assert.is(c.pending, undefined);
  assert.is(c.deadline(), undefined);
});

test('unconfirmed: nothing until the window closes, then one revert naming why', () => {
  const c = new CommitConfirm();
  assert.ok(c.applied(at(1000), 'console', 'net: address ext', 300).ok);
  assert.is(c.deadline(), 301_000);
  assert.equal(c.timer(at(300_999)), []);
  const [revert] = c.timer(at(301_000));
  assert.equal(revert?.type === 'revert' ? [revert.tx.who, revert.reason] : undefined, ['console', 'not confirmed within 300 s']);
  assert.is(c.pending, undefined);
  assert.equal(c.timer(at(400_000)), [], 'reverted once only');
});

test('confirmed inside the window: saved, no revert later', () => {
  const c = new CommitConfirm();
  c.applied(at(0), 'ssh admin', 'firewall', 60);
  const r = c.confirm(at(59_999));
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.actions.map((a) => a.type), ['persist']);
  assert.equal(c.timer(at(61_000)), []);
  assert.equal(c.confirm(at(62_000)), { ok: false, error: 'nothing to confirm: no transaction is waiting' });
});

test('a confirm that arrives as the window closes loses: the change reverts', () => {
  const c = new CommitConfirm();
  c.applied(at(0), 'ctl', 'x', 10);
  assert.equal(c.confirm(at(10_000)), { ok: false, error: 'transaction 1 is past its window and reverts' });
  assert.equal(c.timer(at(10_000)).map((a) => a.type), ['revert']);
});

test('one transaction at a time: a second one is refused naming the pending one', () => {
  const c = new CommitConfirm();
  c.applied(at(0), 'console', 'net', 300);
  assert.is(c.busy(at(100_500)), 'transaction 1 by console (started 2026-12-06T08:00:00.000Z) is waiting for confirmation, 200 s left: confirm it or let it revert first');
  const second = c.applied(at(100_500), 'ssh admin', 'vrrp', 300);
  assert.ok(!second.ok);
  c.timer(at(300_000));
  assert.is(c.busy(at(300_000)), undefined);
  const third = c.applied(at(300_001), 'ssh admin', 'vrrp', 300);
  assert.ok(third.ok && third.pending?.id === 2);
});

test('abort reverts at once and frees the box', () => {
  const c = new CommitConfirm();
  c.applied(at(0), 'console', 'net', 300);
  const r = c.abort('console');
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.actions.map((a) => a.type === 'revert' && a.reason), ['aborted by console']);
  assert.is(c.pending, undefined);
});

test.run();
