// "Name and DNS": the box's host name and the name servers it asks (system.hostname,
// system.nameservers), each checked by the config loader as it is typed, then one transaction.
// Both take effect at once (the net part sets the name and writes resolv.conf).
import { nameAndDnsOf, setNameAndDns } from '../edits.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'Name and DNS';

export async function nameDnsScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const now = nameAndDnsOf(saved.doc);
  const servers = (list: readonly string[]): string => list.join(' ') || 'none (a DHCP lease\'s, if any)';
  const head = (name: string, list: readonly string[]): string[] => [title(ctx, NAME), '', `Host name:    ${name}`, `Name servers: ${servers(list)}`, ''];
  const shownName = now.hostname ?? 'stockade (the default)';

  const hostname = await askField<string | undefined>(ctx, [...head(shownName, now.nameservers), 'Letters, digits and -, up to 63 characters, like fw1.'], 'Host name (Enter: keep): ', (t): Checked<string | undefined> => {
    if (t === '') return { ok: true, value: undefined };
    const p = proposeChange(saved.text, setNameAndDns(t, now.nameservers));
    return p.ok ? { ok: true, value: t } : { ok: false, errors: p.errors };
  }, 63);
  const proposal = await askField<Proposal>(ctx, [...head(hostname ?? shownName, now.nameservers), 'Up to 3 IPv4 addresses, spaces between; none to use a DHCP lease\'s.', 'The config\'s name servers win over a lease\'s.'], 'Name servers (Enter: keep): ', (t): Checked<Proposal> => {
    const list = t === '' ? now.nameservers : t.toLowerCase() === 'none' ? [] : t.split(/\s+/);
    const p = proposeChange(saved.text, setNameAndDns(hostname, list));
    return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
  }, 72);
  await applyScreen(ctx, tx, NAME, proposal);
}
