// A logged-in console session with a config transaction whose commit-confirm window runs on the
// fake clock, over the fake 80x24 terminal: what the screens that change the config are driven by.
import type { ConfigTransaction, ConsoleHost, PendingView } from '../../../src/console/index.ts';
import { runConsole } from '../../../src/console/index.ts';
import { CRYPT_VECTORS } from './crypt-vectors.ts';
import { FakeStream, FakeTimers, fakeHost, settle } from './harness.ts';
import { menuKey } from './menu-key.ts';

export const HASH = CRYPT_VECTORS[0]!.hash; // "password"
export const WINDOW_S = 60;

/** A transaction whose window runs on the fake clock, as the daemon's does on its own. */
export function fakeTx(timers: FakeTimers) {
  const calls: string[] = [];
  const texts: string[] = [];
  let pending: (PendingView & { deadline: number }) | null = null;
  let next = 1;
  const view = (): PendingView | null => {
    if (pending && timers.now() >= pending.deadline) pending = null; // reverted by itself
    return pending && { id: pending.id, who: pending.who, summary: pending.summary, secondsLeft: Math.ceil((pending.deadline - timers.now()) / 1000) };
  };
  const tx: ConfigTransaction = {
    async apply(text, who) {
      calls.push(`apply by ${who}`);
      texts.push(text);
      pending = { id: next++, who, summary: 'change', secondsLeft: WINDOW_S, deadline: timers.now() + WINDOW_S * 1000 };
      return { ok: true, message: 'Applied (net, firewall).', pending: view()! };
    },
    async confirm(who) {
      if (view() === null) return { ok: false, error: 'no transaction is waiting' };
      calls.push(`confirm by ${who}`);
      pending = null;
      return { ok: true, message: 'Confirmed: saved as revision 4.' };
    },
    async abort(who) {
      calls.push(`abort by ${who}`);
      pending = null;
      return { ok: true, message: 'Reverted: the confirmed config runs again.' };
    },
    async status() { return { pending: view() }; },
  };
  return { tx, calls, texts };
}

/** Logged in on the main menu; `saved` is the config the screens read. */
export async function session(saved: string, over: Omit<Partial<ConsoleHost>, 'settings'> = {}) {
  const stream = new FakeStream();
  const timers = new FakeTimers();
  const t = fakeTx(timers);
  const host = fakeHost({ settings: { passwordHash: HASH }, savedConfig: () => ({ path: '/data/config.json', text: saved }), ...over });
  const done = runConsole(stream, { host, timers, log: () => undefined, transaction: t.tx });
  await settle();
  const type = async (text: string): Promise<void> => { stream.type(text); await settle(); };
  await type('password\r');
  /** Opens the main menu's item `label` (by the number the menu on screen gives it). */
  const pick = (label: string): Promise<void> => type(`${menuKey(stream.vt.screen(), label)}\r`);
  return { stream, timers, ...t, type, pick, done, screen: () => stream.vt.screen() };
}

