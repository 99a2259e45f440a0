// A change made in the menu: the plan (paged), "apply?", then the daemon's transaction, and while
// its commit-confirm window is open, a countdown redrawn every second on the prompt line (CR
// only: a dumb terminal) with one key to keep it and one to revert it now. Leaving it (Ctrl-C,
// the line going away, the console killed) lets the daemon revert the change by itself, which is
// the point: a change that cut the operator off undoes itself.
import { page } from '../pager.ts';
import { fit } from '../text.ts';
import type { ConfigTransaction, PendingView, Proposal } from '../transaction.ts';
import { title, type ScreenContext } from './context.ts';

export type ApplyOutcome = 'confirmed' | 'saved' | 'reverted' | 'left-pending' | 'not-applied' | 'refused';

/** How often the countdown is redrawn (and the daemon asked whether it still waits). */
const TICK_MS = 1000;

export async function applyScreen(ctx: ScreenContext, tx: ConfigTransaction, name: string, proposal: Proposal): Promise<ApplyOutcome> {
  if (!proposal.ok) {
    await page(ctx.term, title(ctx, `${name}: refused, nothing applied`), proposal.errors);
    return 'refused';
  }
  if (!proposal.changed) {
    await page(ctx.term, title(ctx, name), ['No change: the config already says this.']);
    return 'not-applied';
  }
  // The plan is laid out for 80 columns; the console writes 79 at most (cut lines end in '>').
  await page(ctx.term, title(ctx, `${name}: the plan`), proposal.plan.replace(/\n$/, '').split('\n').map((l) => fit(l)));
  ctx.term.screen([title(ctx, name), '', 'Apply this change now? The box runs it at once and reverts it by itself', 'unless you confirm it in time.'], 'Type yes to apply: ');
  if ((await ctx.term.readLine({ max: 8 })).trim() !== 'yes') return 'not-applied';
  ctx.term.screen([title(ctx, name), '', 'Applying...'], '');
  const applied = await tx.apply(proposal.text, ctx.who);
  if (!applied.ok) {
    await page(ctx.term, title(ctx, `${name}: refused, nothing applied`), applied.error.split('\n'));
    return 'refused';
  }
  if (applied.pending === undefined) {
    await page(ctx.term, title(ctx, name), [applied.message]);
    return 'saved';
  }
  return countdown(ctx, tx, name, applied.message, applied.pending);
}

/** The commit-confirm window of `pending`, until it is confirmed, reverted or left. */
export async function countdown(ctx: ScreenContext, tx: ConfigTransaction, name: string, message: string, pending: PendingView): Promise<ApplyOutcome> {
  const id = pending.id;
  const promptOf = (p: PendingView): string => `Reverts in ${p.secondsLeft} s. c: confirm, r: revert now, Ctrl-C: leave it: `;
  const draw = (p: PendingView, note: string): void => ctx.term.screen([
    title(ctx, name), '', message, ...(note ? ['', note] : []), '',
    `Transaction ${p.id} runs now. Unless you confirm it in time, the box goes back`,
    'to the confirmed config by itself, even if this console goes away.',
    '', '  c  confirm: keep this config and save it',
    '  r  revert now: go back to the confirmed config',
    '  Ctrl-C  back to the menu; the countdown goes on',
  ], promptOf(p));
  draw(pending, '');
  /** The daemon's silence is logged once, not every second. */
  let quiet = false;
  for (;;) {
    const k = await ctx.term.keyWithin(TICK_MS);
    const c = k?.type === 'char' ? k.char.toLowerCase() : '';
    if (k?.type === 'interrupt') return 'left-pending';
    if (k?.type === 'redraw') { draw(pending, ''); continue; }
    if (c === 'c' || c === 'r') {
      ctx.term.write('\n');
      const r = c === 'c' ? await tx.confirm(ctx.who) : await tx.abort(ctx.who);
      if (r.ok) {
        await page(ctx.term, title(ctx, name), [r.message]);
        return c === 'c' ? 'confirmed' : 'reverted';
      }
      draw(pending, `${c === 'c' ? 'Not confirmed' : 'Not reverted'}: ${r.error}`);
      continue;
    }
    if (k !== undefined) continue; // another key: nothing to do
    const st = await tx.status();
    if (st.error !== undefined) {
      // Not an answer about the transaction: the daemon reverts it by itself if it runs at all.
      ctx.term.prompt(`No answer from the daemon. c: confirm, r: revert now, Ctrl-C: leave it: `);
      if (!quiet) ctx.log(`console: transaction ${id}: the daemon did not answer: ${st.error}`);
      quiet = true;
      continue;
    }
    if (st.pending === null || st.pending.id !== id) {
      await page(ctx.term, title(ctx, name), [
        `Transaction ${id} is no longer waiting: it was not confirmed in time and the`,
        'box went back to the confirmed config (or it was confirmed or reverted',
        'elsewhere). See Config history and the log.',
      ]);
      return 'reverted';
    }
    pending = st.pending;
    quiet = false;
    ctx.term.prompt(promptOf(pending));
  }
}
