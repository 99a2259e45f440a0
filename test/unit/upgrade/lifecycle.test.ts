// The slots' life across reboots, with GRUB's choice modelled on grub.cfg (scripts/image/grub.ts:
// the first slot in ORDER that is OK with tries left boots and loses one; none: every OK slot gets
// 3 again) and the box's own writes from lifecycle.ts applied as the CLI applies them, step by
// step, so a power cut can be put between any two steps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  EMPTY_STATE, NO_VERDICT, applyGrubEnvChange, failTrial, markGood, rollback, rollbackRefusal, settleAtBoot, tryOnceVars,
  type GrubEnv, type Plan, type SlotName, type UpgradeState,
} from '../../../src/upgrade/index.ts';

interface Box {
  env: GrubEnv;
  state: UpgradeState;
}

const INITIAL: GrubEnv = { ORDER: 'A B', A_OK: '1', B_OK: '1', A_TRIES: '3', B_TRIES: '3' };

/** grub.cfg's choice; it writes the tries back (save_env) before booting. */
function grubBoots(box: Box): SlotName {
  const pick = (): SlotName | undefined => {
    for (const s of (box.env.ORDER ?? '').split(' ') as SlotName[]) {
      const tries = Number(box.env[`${s}_TRIES`]);
      if (box.env[`${s}_OK`] === '1' && tries >= 1 && tries <= 3) {
        box.env = { ...box.env, [`${s}_TRIES`]: String(tries - 1) };
        return s;
      }
    }
    return undefined;
  };
  let slot = pick();
  if (!slot) {
    for (const s of ['A', 'B'] as const) if (box.env[`${s}_OK`] === '1') box.env = { ...box.env, [`${s}_TRIES`]: '3' };
    slot = pick();
  }
  return slot ?? 'A';
}

/** Writes a plan's steps in order; `upTo` steps only (a power cut after them). */
function apply(box: Box, plan: Plan, upTo = Infinity): void {
  plan.steps.slice(0, upTo).forEach((step) => {
    if (step.kind === 'env') box.env = applyGrubEnvChange(box.env, step.change);
    else box.state = step.state;
  });
}

/** A boot to the end of `stockade boot` (which settles the slots). */
function boot(box: Box, now = '2026-12-06T08:00:00.000Z'): SlotName {
  const slot = grubBoots(box);
  apply(box, settleAtBoot(box.env, slot, box.state, now));
  return slot;
}

const RECORD = { version: '0.2.0', build: 'next', build_date: '2026-12-06', security_epoch: 2, sha256: 'ab'.repeat(32), size: 1000, installed_at: '2026-12-06T07:00:00.000Z' };

/** A box on A with B just installed (recorded, then the switch). */
function installedB(): Box {
  const box: Box = { env: { ...INITIAL }, state: { epoch_floor: 1, slots: { B: RECORD } } };
  box.env = applyGrubEnvChange(box.env, tryOnceVars('B', 'A'));
  return box;
}

test('a good slot keeps booting however often it reboots (the old counter switched after three)', () => {
  const box: Box = { env: { ...INITIAL }, state: EMPTY_STATE };
  for (let i = 0; i < 10; i++) assert.is(boot(box), 'A', `boot ${i + 1}`);
  assert.is(box.env.A_TRIES, '3');
  // What happened before: nothing gave the tries back, and the fourth boot went to B.
  const old: Box = { env: { ...INITIAL }, state: EMPTY_STATE };
  assert.equal([1, 2, 3, 4].map(() => grubBoots(old)), ['A', 'A', 'A', 'B']);
});

test('after an upgrade marked good, four reboots stay on the new slot and its version', () => {
  const box = installedB();
  assert.is(boot(box), 'B');
  assert.is(box.env.TRIAL, 'B', 'on trial: its tries are not given back');
  assert.is(box.env.B_TRIES, '0');
  apply(box, markGood(box.env, 'B', box.state, '2026-12-06T08:01:00.000Z'));
  assert.is(box.state.epoch_floor, 2, 'the floor rises at mark-good');
  assert.is(box.state.slots.B!.activated_at, '2026-12-06T08:01:00.000Z');
  for (let i = 0; i < 4; i++) assert.is(boot(box), 'B', `reboot ${i + 1}`);
  assert.is(box.state.slots.B!.version, '0.2.0');
  assert.is(box.env.TRIAL, undefined);
});

test('a trial that fails its health: the slot says why, reboots, and A records it and runs on', () => {
  const box = installedB();
  assert.is(boot(box), 'B');
  apply(box, failTrial('B', box.state, 'health did not hold within 60 s: vrrp: not settled', '2026-12-06T08:02:00.000Z'));
  assert.is(box.state.epoch_floor, 1, 'no floor raised by a failed trial');
  assert.is(boot(box, '2026-12-06T08:03:00.000Z'), 'A');
  assert.equal(box.state.last_failure, { slot: 'B', version: '0.2.0', reason: 'health did not hold within 60 s: vrrp: not settled', at: '2026-12-06T08:02:00.000Z' });
  assert.is(box.state.slots.B!.failure, 'health did not hold within 60 s: vrrp: not settled');
  assert.equal(box.env, { ORDER: 'A B', A_OK: '1', B_OK: '0', A_TRIES: '3', B_TRIES: '0' });
  for (let i = 0; i < 4; i++) assert.is(boot(box), 'A');
  assert.match(rollbackRefusal(box.env, 'A', box.state)!, /slot B is marked bad \(health did not hold/);
});

test('power cuts: at every point of a trial, the next boot runs a good slot and the state says what happened', () => {
  // Cut during the trial boot, before any verdict: A, with a reason of its own.
  const silent = installedB();
  assert.is(boot(silent), 'B');
  assert.is(boot(silent), 'A');
  assert.is(silent.state.last_failure!.reason, NO_VERDICT);
  // Cut between the failure's two writes (state written, environment not): the reason is kept.
  const half = installedB();
  boot(half);
  apply(half, failTrial('B', half.state, 'daemon: not running', '2026-12-06T08:02:00.000Z'), 1);
  assert.is(boot(half), 'A');
  assert.is(half.state.last_failure!.reason, 'daemon: not running');
  assert.is(half.env.B_OK, '0');
  // Cut while A records it (state written, environment not): done again, same result.
  const again = installedB();
  boot(again);
  const slot = grubBoots(again);
  assert.is(slot, 'A');
  apply(again, settleAtBoot(again.env, 'A', again.state, '2026-12-06T08:05:00.000Z'), 1);
  assert.is(boot(again), 'A');
  assert.is(again.env.TRIAL, undefined);
  assert.is(again.state.last_failure!.reason, NO_VERDICT);
  // Cut inside mark-good, after its environment write: B is kept and the next boot finishes the state.
  const marking = installedB();
  boot(marking);
  apply(marking, markGood(marking.env, 'B', marking.state, '2026-12-06T08:01:00.000Z'), 1);
  assert.is(marking.state.epoch_floor, 1);
  assert.is(boot(marking, '2026-12-06T08:06:00.000Z'), 'B');
  assert.is(marking.state.epoch_floor, 2);
  assert.is(marking.state.slots.B!.activated_at, '2026-12-06T08:06:00.000Z');
  // Cut before the switch (slot written and recorded, environment not switched): A, and B is not tried.
  const unswitched: Box = { env: { ...INITIAL, B_OK: '0' }, state: { epoch_floor: 1, slots: { B: RECORD } } };
  for (let i = 0; i < 3; i++) assert.is(boot(unswitched), 'A');
  assert.is(unswitched.state.epoch_floor, 1);
});

test('rollback: to the other slot only when it is good; a running trial is given up', () => {
  const box = installedB();
  assert.match(rollbackRefusal(box.env, 'A', box.state)!, /slot B is on its trial/);
  boot(box);
  apply(box, markGood(box.env, 'B', box.state, '2026-12-06T08:01:00.000Z'));
  // A holds epoch 0 (as flashed), below the floor 2 that B's mark-good raised.
  assert.match(rollbackRefusal(box.env, 'B', box.state)!, /slot A holds security epoch 0, below this box's floor 2/);
  const low: Box = { env: box.env, state: { ...box.state, epoch_floor: 0 } };
  assert.is(rollbackRefusal(low.env, 'B', low.state), undefined);
  apply(low, rollback(low.env, 'B', low.state, '2026-12-06T08:07:00.000Z'));
  for (let i = 0; i < 4; i++) assert.is(boot(low), 'A');
  // On trial: rollback gives the trial up, recorded as such.
  const trial = installedB();
  boot(trial);
  trial.state = { ...trial.state, epoch_floor: 0 };
  apply(trial, rollback(trial.env, 'B', trial.state, '2026-12-06T08:08:00.000Z'));
  assert.is(boot(trial), 'A');
  assert.is(trial.env.B_OK, '0');
  assert.is(trial.state.last_failure!.reason, 'given up by `upgrade rollback`');
});

test.run();
