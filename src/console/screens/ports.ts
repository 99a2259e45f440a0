// "Assign ports": each link with its state and MAC, redrawn every second, so that a person can
// plug cables one by one and watch which port comes up; then, with `a`, give a label (a port of
// the config) to a NIC by its hardware MAC (interfaces.ports[].nic_mac), through the config
// transaction. Ports are named at boot, so the labels move at the next boot: the running links
// are not renamed (a rename takes a link down, and every part holds interfaces by name).
import { portAssignments, setPortNic } from '../edits.ts';
import type { PortView } from '../host.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { notice, savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'Assign ports';
const TICK_MS = 1000;
const LISTED = 14;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function rows(ports: readonly PortView[] | string, assigned: ReadonlyMap<string, string | undefined>): string[] {
  if (typeof ports === 'string') return [`  (cannot read the links: ${ports})`];
  const row = (p: PortView): string => {
    const by = !p.nic ? '' : assigned.has(p.name) ? (assigned.get(p.name) !== undefined ? 'config' : 'board') : 'no label';
    return `  ${p.name.padEnd(15)} ${p.state.padEnd(11)} ${(p.hwMac ?? p.mac ?? '-').padEnd(17)}  ${by.padEnd(8)}  ${p.addresses.join(' ') || '-'}`;
  };
  const more = ports.length > LISTED ? [`  (and ${ports.length - LISTED} more)`] : [];
  return [...ports.slice(0, LISTED).map(row), ...more];
}

export async function portsScreen(ctx: ScreenContext, tx?: ConfigTransaction): Promise<void> {
  for (;;) {
    const ports = await ctx.host.ports();
    const saved = ctx.host.savedConfig();
    let assigned = new Map<string, string | undefined>();
    try {
      if (!('error' in saved)) assigned = new Map(portAssignments(JSON.parse(saved.text) as Record<string, unknown>).map((p) => [p.label, p.nicMac]));
    } catch {
      // Unreadable: the assign step says why; the watch still shows the kernel.
    }
    ctx.term.screen([title(ctx, NAME), '', '  port            link        NIC MAC            by        addresses', ...rows(ports, assigned), '',
      'Plug a cable and watch its port come up (redrawn every second).',
      ...(tx ? ['a: give a label to a NIC (the labels move at the next boot).'] : [])],
    tx ? 'a: assign, any other key: back to the menu. ' : 'Any key: back to the menu. ');
    const k = await ctx.term.keyWithin(TICK_MS);
    if (k === undefined || k.type === 'redraw') continue;
    if (tx && k.type === 'char' && k.char.toLowerCase() === 'a') {
      await assign(ctx, tx, ports);
      continue;
    }
    return;
  }
}

async function assign(ctx: ScreenContext, tx: ConfigTransaction, ports: readonly PortView[] | string): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const labels = portAssignments(saved.doc);
  if (labels.length === 0) {
    await notice(ctx, NAME, ['The config names no port (interfaces.ports): nothing to assign.']);
    return;
  }
  const nics = typeof ports === 'string' ? [] : ports.filter((p) => p.nic && p.hwMac !== undefined);
  const nicRows = nics.slice(0, LISTED).map((p) => `  ${p.name.padEnd(15)} ${p.state.padEnd(11)} ${p.hwMac}`);
  const head = [title(ctx, NAME), '', 'NICs now (name, link, hardware MAC):', ...(nicRows.length ? nicRows : ['  (none read from the kernel)']), ''];
  const label = await askField<string | null>(ctx, [...head, `Ports in the config: ${labels.map((l) => l.label).join(', ')}`, ''],
    'Port (Enter: back): ', (t): Checked<string | null> => {
      if (t === '') return { ok: true, value: null };
      return labels.some((l) => l.label === t) ? { ok: true, value: t } : { ok: false, errors: [`No port '${t}' in the config: one of ${labels.map((l) => l.label).join(', ')}.`] };
    }, 15);
  if (label === null) return;
  const current = nics.find((p) => p.name === label)?.hwMac;
  const proposal = await askField<Proposal>(ctx, [...head,
    `${label}: ${current ? `NIC ${current} now` : 'no NIC now'}${labels.find((l) => l.label === label)?.nicMac ? ' (config)' : ' (board file)'}`, '',
    'Type the MAC of the NIC to carry this label, or board for the board', 'file\'s mapping. A label another NIC has now trades places with it.', ''],
  'NIC MAC: ', (t): Checked<Proposal> => {
    const v = t.toLowerCase();
    if (v === 'board') {
      const p = proposeChange(saved.text, setPortNic(label, null));
      return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
    }
    if (!MAC.test(v)) return { ok: false, errors: [`${t}: a MAC address like 52:54:00:12:34:01, or board.`] };
    // The NIC that has this MAC holds another label now: that label takes this one's NIC.
    const holder = nics.find((p) => p.hwMac === v && p.name !== label && labels.some((l) => l.label === p.name));
    const swap = holder !== undefined && current !== undefined ? { label: holder.name, mac: current } : undefined;
    const p = proposeChange(saved.text, setPortNic(label, v, swap));
    return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
  }, 24);
  const outcome = await applyScreen(ctx, tx, NAME, proposal);
  if (outcome === 'confirmed' || outcome === 'saved') {
    await notice(ctx, NAME, ['Saved. Ports are named at boot: the labels move to their NICs at the next', 'boot (Reboot in the menu). Until then the running links keep their names.']);
  }
}
