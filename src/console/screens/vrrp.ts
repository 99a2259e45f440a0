// "VRRP quick settings": one instance's priority, VIPs and preempt, the settings a pair is tuned
// by; each checked by the config loader as it is typed, then one transaction.
import { setVrrpQuick, vrrpInstances, type VrrpQuick } from '../edits.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { notice, savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'VRRP quick settings';
const LISTED = 12;

export async function vrrpScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const doc = saved.doc;
  const all = vrrpInstances(doc);
  if (all.length === 0) return notice(ctx, NAME, ['The config has no VRRP instance. Add one with stockade config apply.']);
  const row = (i: (typeof all)[number]): string =>
    `  ${i.name.padEnd(16)} ${i.interface.padEnd(10)} prio ${String(i.priority ?? 100).padEnd(4)}preempt ${(i.preempt ?? true) ? 'yes' : 'no '}  ${i.vips.join(' ')}`;
  const head = [title(ctx, NAME), '', 'Instances:', ...all.slice(0, LISTED).map(row), ...(all.length > LISTED ? [`  (and ${all.length - LISTED} more)`] : []), ''];
  const names = all.map((i) => i.name);
  const name = await askField<string | null>(ctx, head, 'Instance (Enter: back to the menu): ', (t): Checked<string | null> => {
    if (t === '') return { ok: true, value: null };
    return names.includes(t) ? { ok: true, value: t } : { ok: false, errors: [`No instance '${t}': one of ${names.join(', ')}.`] };
  }, 32);
  if (name === null) return;
  const inst = all.find((i) => i.name === name)!;
  const quick: { -readonly [K in keyof VrrpQuick]: VrrpQuick[K] } = {};
  const check = (next: VrrpQuick): Checked<Proposal> => {
    const p = proposeChange(saved.text, setVrrpQuick(name, { ...quick, ...next }));
    return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
  };
  const lines = (): string[] => [...head.slice(0, 2), row({ ...inst, ...quick, vips: [...(quick.vips ?? inst.vips)] }), ''];

  await askField<unknown>(ctx, [...lines(), 'Priority 1-254: the higher one of the pair is master (255: owns the VIPs).'], `Priority (Enter: keep ${inst.priority ?? 100}): `, (t) => {
    if (t === '') return { ok: true, value: undefined };
    if (!/^-?[0-9]{1,6}$/.test(t)) return { ok: false, errors: [`'${t}' is not a number.`] };
    const r = check({ priority: Number(t) });
    if (r.ok) quick.priority = Number(t);
    return r;
  }, 6);
  await askField<unknown>(ctx, [...lines(), 'Virtual IPs, spaces between (a prefix is optional: the subnet\'s is used).'], 'VIPs (Enter: keep): ', (t) => {
    if (t === '') return { ok: true, value: undefined };
    const vips = t.split(/\s+/);
    const r = check({ vips });
    if (r.ok) quick.vips = vips;
    return r;
  }, 72);
  const proposal = await askField(ctx, [...lines(), 'Preempt: take over from a lower-priority master (yes or no).'], `Preempt (Enter: keep ${(inst.preempt ?? true) ? 'yes' : 'no'}): `, (t) => {
    const v = t.toLowerCase();
    if (v !== '' && v !== 'yes' && v !== 'no') return { ok: false, errors: ['Type yes or no.'] };
    const r = check(v === '' ? {} : { preempt: v === 'yes' });
    if (r.ok && v !== '') quick.preempt = v === 'yes';
    return r;
  }, 3);
  await applyScreen(ctx, tx, NAME, proposal);
}
