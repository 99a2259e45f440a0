// "Console password": a new one typed twice, saved as its SHA-512 crypt hash through the
// config transaction (the plan shows the console part changing, never the hash's password).
import { askNewPassword } from '../login.ts';
import { proposeChange, setPasswordHash, type ConfigTransaction } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { notice, title, type ScreenContext } from './context.ts';

const NAME = 'Console password';

export async function passwordScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = ctx.host.savedConfig();
  if ('error' in saved) return notice(ctx, NAME, [saved.error]);
  const hash = await askNewPassword(ctx.term, (note) => [title(ctx, NAME), '', 'The password this console asks for from the next login on.', ...note]);
  await applyScreen(ctx, tx, NAME, proposeChange(saved.text, setPasswordHash(hash)));
}
