// "HA pair": make this box one of a VRRP pair from the console, or change the pair it is in:
// the port the VIPs live on, the VIPs, VRID, priority, preempt, the advert key, the conntrack
// sync link and the peer's address on it, and whether the LAN's hosts go out through another
// port. Each field is checked by the config loader as it is typed (with the fields before it),
// then one transaction with its countdown. The addresses themselves (the VIP's subnet, the sync
// link's) are the "Interface address" screen's: this one says so when the loader misses them.
import { haPairOf, interfaceNames, lanOutOf, setHaPair, setLanGateway, type HaPair } from '../edits.ts';
import { proposeChange, type ConfigTransaction, type Proposal } from '../transaction.ts';
import { applyScreen } from './apply.ts';
import { askField, type Checked } from './field.ts';
import { savedConfigDoc, title, type ScreenContext } from './context.ts';

const NAME = 'HA pair';
/** What a box with no instance starts from: the usual gateway pair on lan, synced over sync. */
const FRESH = { interface: 'lan', vrid: 51, priority: 100, preempt: true, syncInterface: 'sync' };

type Draft = { -readonly [K in keyof HaPair]: HaPair[K] };

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export async function haPairScreen(ctx: ScreenContext, tx: ConfigTransaction): Promise<void> {
  const saved = await savedConfigDoc(ctx, NAME);
  if (saved === undefined) return;
  const doc = saved.doc;
  const ports = interfaceNames(doc);
  const had = haPairOf(doc);
  const name = had?.name ?? 'ha';
  const d: Draft = had ?? { interface: FRESH.interface, vips: [], vrid: FRESH.vrid, priority: FRESH.priority, preempt: FRESH.preempt, secret: null, sync: null };
  let out = lanOutOf(doc) ?? null;
  const edit = (x: Draft, o: string | null) => (doc2: Record<string, unknown>): void => {
    setHaPair(name, x)(doc2);
    setLanGateway(x.interface, o)(doc2);
  };
  const check = (x: Draft, o: string | null = out): Checked<Proposal> => {
    const p = proposeChange(saved.text, edit(x, o));
    return p.ok ? { ok: true, value: p } : { ok: false, errors: p.errors };
  };
  const summary = (): string[] => [
    title(ctx, NAME), '',
    had ? `VRRP instance ${name} (the config's first):` : 'No VRRP instance yet: this makes one.',
    `  on ${d.interface}, VIPs ${d.vips.join(' ') || '(none yet)'}, VRID ${d.vrid}, priority ${d.priority}, preempt ${yesNo(d.preempt)}`,
    `  advert key: ${d.secret === null ? 'none' : 'set'}; sync: ${d.sync === null ? 'none' : `${d.sync.interface} to peer ${d.sync.peer}`}`,
    '',
  ];
  const portField = (t: string, keep: string): Checked<string> => {
    const v = t === '' ? keep : t;
    return ports.includes(v) ? { ok: true, value: v } : { ok: false, errors: [`No port '${v}' in the config: one of ${ports.join(', ') || '(none)'}.`] };
  };
  const numberField = (t: string, keep: number, set: (n: number) => Draft): Checked<number> => {
    if (t === '') return { ok: true, value: keep };
    if (!/^-?[0-9]{1,6}$/.test(t)) return { ok: false, errors: [`'${t}' is not a number.`] };
    const r = check(set(Number(t)));
    return r.ok ? { ok: true, value: Number(t) } : r;
  };

  d.interface = await askField(ctx, [...summary(), 'The port the virtual IPs live on (the hosts\' gateway side), like lan.', 'Ctrl-C: back to the menu, nothing changed.'], `VIP port (Enter: ${d.interface}): `, (t) => portField(t, d.interface), 15);
  d.vips = await askField<readonly string[]>(ctx, [...summary(), `Virtual IPs on ${d.interface}, spaces between, the same on both boxes. Each in a`, `subnet ${d.interface} has (set its address first: Interface address).`], `VIPs${d.vips.length > 0 ? ' (Enter: keep)' : ''}: `, (t) => {
    if (t === '' && d.vips.length > 0) return { ok: true, value: d.vips };
    if (t === '') return { ok: false, errors: ['Type at least one VIP, like 192.0.2.1.'] };
    const vips = t.split(/\s+/);
    const r = check({ ...d, vips });
    return r.ok ? { ok: true, value: vips } : r;
  }, 72);
  d.vrid = await askField(ctx, [...summary(), 'Virtual router id 1-255: the same on both boxes, unique on the link.'], `VRID (Enter: ${d.vrid}): `, (t) => numberField(t, d.vrid, (n) => ({ ...d, vrid: n })), 6);
  d.priority = await askField(ctx, [...summary(), 'Priority 1-254: the higher box of the pair is the usual master (say 200', 'there and 100 on the other).'], `Priority (Enter: ${d.priority}): `, (t) => numberField(t, d.priority, (n) => ({ ...d, priority: n })), 6);
  d.preempt = await askField(ctx, [...summary(), 'Preempt: take over from a lower-priority master (yes or no).'], `Preempt (Enter: ${yesNo(d.preempt)}): `, (t): Checked<boolean> => {
    const v = t.toLowerCase();
    if (v === '') return { ok: true, value: d.preempt };
    return v === 'yes' || v === 'no' ? { ok: true, value: v === 'yes' } : { ok: false, errors: ['Type yes or no.'] };
  }, 3);
  d.secret = await askField<string | null>(ctx, [...summary(), 'Advert key: 32 to 128 hex digits, the same on both boxes (adverts are', 'then signed; the peer must be a Stockade box). none: unsigned adverts.'], `Advert key (Enter: ${d.secret === null ? 'none' : 'keep'}): `, (t) => {
    if (t === '') return { ok: true, value: d.secret };
    const secret = t.toLowerCase() === 'none' ? null : t;
    const r = check({ ...d, secret });
    return r.ok ? { ok: true, value: secret } : r;
  }, 130, { secret: true });
  const syncPort = await askField<string | null>(ctx, [...summary(), 'Conntrack sync link: the port to the peer (a dedicated cable), none for', 'no sync (connections then break on failover).'], `Sync port (Enter: ${d.sync?.interface ?? FRESH.syncInterface}): `, (t) => {
    if (t.toLowerCase() === 'none') return { ok: true, value: null };
    return portField(t, d.sync?.interface ?? FRESH.syncInterface);
  }, 15);
  if (syncPort === null) d.sync = null;
  else {
    const keep = d.sync?.peer;
    d.sync = {
      interface: syncPort,
      peer: await askField<string>(ctx, [...summary(), `The peer's address on ${syncPort} (this box's own is set on Interface address).`], `Peer sync address${keep ? ' (Enter: keep)' : ''}: `, (t) => {
        const peer = t === '' && keep !== undefined ? keep : t;
        if (peer === '') return { ok: false, errors: ['Type the peer\'s address, like 203.0.113.2.'] };
        const r = check({ ...d, sync: { interface: syncPort, peer } });
        return r.ok ? { ok: true, value: peer } : r;
      }, 15),
    };
  }
  const proposal = await askField<Proposal>(ctx, [...summary(), `Hosts on ${d.interface} may ping the box. Forward them out through which port`, '(like wan; none: no forwarding)?'], `Out port (Enter: ${out ?? 'none'}): `, (t) => {
    const o = t === '' ? out : t.toLowerCase() === 'none' ? null : t;
    if (o !== null && !ports.includes(o)) return { ok: false, errors: [`No port '${o}' in the config: one of ${ports.join(', ')}.`] };
    const r = check(d, o);
    if (r.ok) out = o;
    return r;
  }, 15);
  await applyScreen(ctx, tx, NAME, proposal);
}
