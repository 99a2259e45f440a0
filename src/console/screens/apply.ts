// A change made in the menu: the plan (paged), "apply?", then the transaction, and while its
// commit-confirm window is open, the seconds left and "type confirm". Not typing it lets the
// daemon revert the change by itself, which is the point: a change that cut the operator off
// undoes itself. No menu item reaches this yet (the daemon's transaction is not built), but the
// set-password path and the unit tests do.
import { page } from '../pager.ts';
import type { ConfigTransaction, Proposal } from '../transaction.ts';
import { title, type ScreenContext } from './context.ts';

export type ApplyOutcome = 'confirmed' | 'saved' | 'left-pending' | 'not-applied' | 'refused';

export async function applyScreen(ctx: ScreenContext, tx: ConfigTransaction, name: string, proposal: Proposal): Promise<ApplyOutcome> {
  if (!proposal.ok) {
    await page(ctx.term, title(ctx, `${name}: refused, nothing applied`), proposal.errors);
    return 'refused';
  }
  if (!proposal.changed) {
    await page(ctx.term, title(ctx, name), ['No change: the config already says this.']);
    return 'not-applied';
  }
  await page(ctx.term, title(ctx, `${name}: the plan`), proposal.plan);
  ctx.term.screen([title(ctx, name), '', 'Apply this change now? The box runs it at once and reverts it by itself', 'unless you confirm it in time.'], 'Type yes to apply: ');
  if ((await ctx.term.readLine({ max: 8 })).trim() !== 'yes') return 'not-applied';
  const applied = await tx.apply(proposal.text, ctx.who);
  if (!applied.ok) {
    await page(ctx.term, title(ctx, `${name}: refused, nothing applied`), [applied.error]);
    return 'refused';
  }
  if (applied.pending === undefined) {
    await page(ctx.term, title(ctx, name), [applied.message]);
    return 'saved';
  }
  let note = applied.message;
  for (;;) {
    const st = await tx.status();
    const p = st.pending;
    if (p === null || p.id !== applied.pending.id) {
      await page(ctx.term, title(ctx, name), [`Transaction ${applied.pending.id} is no longer pending (it reverted or was confirmed elsewhere).`]);
      return 'left-pending';
    }
    ctx.term.screen([title(ctx, name), '', note, '', `Transaction ${p.id} runs now and reverts in ${p.secondsLeft} s unless confirmed.`,
      'Type confirm to keep it, Enter to see the time left, Ctrl-C to leave it to revert.'], 'confirm? ');
    const typed = (await ctx.term.readLine({ max: 16 })).trim();
    if (typed !== 'confirm') { note = ''; continue; }
    const c = await tx.confirm(ctx.who);
    if (c.ok) {
      await page(ctx.term, title(ctx, name), [c.message]);
      return 'confirmed';
    }
    note = `Not confirmed: ${c.error}`;
  }
}
