// "Interface address": one interface's addresses (static CIDRs and/or DHCP) and the default
// gateway, each field checked by the config loader as it is typed, then applied as one
// transaction with its commit-confirm countdown.
import { addressOf, defaultGatewayOf, interfaceNames, setAddress, setDefaultGateway, type AddressSetting } from '../edits.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'Interface address';
/** Interfaces listed on the screen (the rest are still accepted by name). */
const LISTED = 10;

const describe = (a: AddressSetting): string => [...a.static, ...(a.dhcp ? ['DHCP'] : [])].join(' ') || 'no address';

/** "192.0.2.1/24 dhcp", "dhcp", "none": what the operator typed, as a setting (or why not). */
export function parseAddressInput(typed: string): AddressSetting | string {
  const words = typed.split(/\s+/).filter(Boolean);
  if (words.length === 1 && words[0]!.toLowerCase() === 'none') return { static: [], dhcp: false };
  const dhcp = words.some((w) => w.toLowerCase() === 'dhcp');
  const cidrs = words.filter((w) => w.toLowerCase() !== 'dhcp');
  const bare = cidrs.find((w) => !w.includes('/'));
  if (bare !== undefined) return `${bare}: give the prefix length too, like ${bare}/24`;
  return { static: cidrs, dhcp };
}

export async function addressScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const doc = saved.doc;
  const names = interfaceNames(doc);
  const gateway = defaultGatewayOf(doc);
  const head = [
    title(ctx, NAME), '', 'Interfaces in the config and their addresses:',
    ...names.slice(0, LISTED).map((n) => `  ${n.padEnd(16)} ${describe(addressOf(doc, n))}`),
    ...(names.length > LISTED ? [`  (and ${names.length - LISTED} more)`] : []),
    ...(names.length === 0 ? ['  none: the config names no interface'] : []),
    `Default gateway: ${gateway ?? 'none'}`, '',
  ];

  const ifname = await askField<string | null>(ctx, head, 'Interface (Enter: back to the menu): ', (t): Checked<string | null> => {
    if (t === '') return { ok: true, value: null };
    return names.includes(t) ? { ok: true, value: t } : { ok: false, errors: [`No interface '${t}' in the config: one of ${names.join(', ') || '(none)'}.`] };
  }, 15);
  if (ifname === null) return;

  const current = addressOf(doc, ifname);
  const addrHead = [...head.slice(0, 2), `${ifname}: ${describe(current)}`, '',
    'Type the addresses with their prefix, like 192.0.2.1/24 (several: spaces', 'between), dhcp to ask a DHCP server (alone or with addresses), none', 'for no address.', ''];
  const setting = await askField<AddressSetting>(ctx, addrHead, 'Addresses (Enter: keep): ', (t) => {
    const s = t === '' ? current : parseAddressInput(t);
    if (typeof s === 'string') return { ok: false, errors: [s] };
    const p = proposeChange(saved.text, setAddress(ifname, s));
    return p.ok ? { ok: true, value: s } : { ok: false, errors: p.errors };
  }, 72);

  const gwHead = [...head.slice(0, 2), `${ifname}: ${describe(setting)}`, `Default gateway: ${gateway ?? 'none'}`, '',
    'Type the default gateway (an address on a connected subnet), or none for', 'no static default route.', ''];
  const proposal = await askField<Proposal>(ctx, gwHead, 'Default gateway (Enter: keep): ', (t) => {
    // Enter leaves the routes as they are (a default route without a gateway included).
    const g = t === '' ? undefined : t.toLowerCase() === 'none' ? null : t;
    const p = proposeChange(saved.text, (d) => { setAddress(ifname, setting)(d); if (g !== undefined) setDefaultGateway(g)(d); });
    return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
  }, 15);
  await applyScreen(ctx, tx, NAME, proposal);
}
