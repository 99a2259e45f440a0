// Planning the links: which bonds, VLANs and bridges to create, recreate or delete, which
// members join or leave which master, which kind options change (phase "links"), and then MTU,
// MAC, alias and admin state (phase "link-settings", planned from the state "links" left).
//
// Rules (netifd's, see DESIGN.md): compare desired with actual; adopt a matching link that is
// already there (mark it with the alias); change options in place where the kernel allows it;
// recreate only a link Stockade owns whose identity changed (kind, VLAN id or parent, bond mode);
// refuse, before touching anything, to take over a same-named link of another identity that
// Stockade does not own; delete only owned links; never touch links the config does not name.
import { ETH_P_8021Q, IFF_UP, type BondOptions, type BridgeOptions, type ChangeLinkRequest, type Link, type LinkInfo, type NewLinkRequest } from '../kernel/rtnetlink/index.ts';
import type { Action, Exec, Undo } from './action.ts';
import type { DesiredBond, DesiredBridge, DesiredLink, DesiredNetwork, DesiredVlan } from './desired.ts';
import { ownsLink } from './ownership.ts';
import { BOND_MODES, LACP_RATES, LACP_RATE_MODES, PRIMARY_MODES, wordFor, XMIT_HASH_MODES, XMIT_HASH_POLICIES } from './words.ts';

/** Stacked kinds: never a port. */
const STACKED = new Set(['bond', 'bridge', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'team', 'vrf']);

export interface LinkPlan {
  actions: Action[];
  warnings: string[];
  /** Problems that stop the apply before anything is changed. */
  conflicts: string[];
  /** Desired links that will be new (created or recreated): nothing is on them yet. */
  fresh: Set<string>;
  /** Existing links that will be gone (deleted, or recreated). */
  gone: Set<string>;
  /** Desired links skipped because a port they need is missing. */
  missing: Set<string>;
  /** Fresh links created up (the others that are wanted up come up in "link-settings"). */
  createdUp: Set<string>;
}

function label(d: DesiredLink): string {
  return `${d.kind} ${d.name}`;
}

function kindOfLink(l: Link): string {
  return l.kind ?? 'port';
}

/** Why an existing link is not the desired one (so it cannot just be adjusted), or undefined. */
function identityMismatch(d: DesiredLink, a: Link, byIndex: Map<number, Link>): string | undefined {
  if (d.kind === 'port') return undefined;
  if (a.kind !== d.kind) return `it is ${a.kind === undefined ? 'a NIC' : `a ${a.kind}`}`;
  if (d.kind === 'vlan') {
    const parent = a.parent !== undefined ? byIndex.get(a.parent)?.name : undefined;
    if (a.vlan?.id !== d.id || parent !== d.parent) return `it is VLAN ${a.vlan?.id ?? '?'} on ${parent ?? '?'}`;
    if (a.vlan.protocol !== undefined && a.vlan.protocol !== ETH_P_8021Q) return 'it is an 802.1ad VLAN';
  }
  // A bond's mode is not its identity: it changes in place (its members leave for it).
  return undefined;
}

function bondCreateOptions(d: DesiredBond, primaryIndex: number | undefined): BondOptions {
  return {
    mode: BOND_MODES[d.mode],
    miimonMs: d.miimonMs,
    updelayMs: d.updelayMs,
    downdelayMs: d.downdelayMs,
    minLinks: d.minLinks,
    ...(d.lacpRate !== undefined ? { lacpRate: LACP_RATES[d.lacpRate] } : {}),
    ...(d.xmitHashPolicy !== undefined ? { xmitHashPolicy: XMIT_HASH_POLICIES[d.xmitHashPolicy] } : {}),
    ...(primaryIndex !== undefined ? { primary: primaryIndex } : {}),
  };
}

function bridgeOptions(d: DesiredBridge): BridgeOptions {
  return {
    forwardDelayCs: d.forwardDelayCs,
    helloTimeCs: d.helloTimeCs,
    maxAgeCs: d.maxAgeCs,
    ageingTimeCs: d.ageingTimeCs,
    stpState: d.stp ? 1 : 0,
    priority: d.priority,
    // Only sent when wanted: kernels without CONFIG_BRIDGE_VLAN_FILTERING refuse the attribute.
    ...(d.vlanFiltering ? { vlanFiltering: true } : {}),
  };
}

function describeBond(d: DesiredBond): string {
  const parts = [`mode ${d.mode}`, `miimon ${d.miimonMs} ms`];
  if (d.updelayMs) parts.push(`updelay ${d.updelayMs} ms`);
  if (d.downdelayMs) parts.push(`downdelay ${d.downdelayMs} ms`);
  if (d.lacpRate !== undefined) parts.push(`lacp_rate ${d.lacpRate}`);
  if (d.xmitHashPolicy !== undefined) parts.push(`xmit_hash_policy ${d.xmitHashPolicy}`);
  if (d.minLinks) parts.push(`min_links ${d.minLinks}`);
  if (d.primary !== undefined) parts.push(`primary ${d.primary}`);
  return parts.join(', ');
}

function describeBridge(d: DesiredBridge): string {
  const parts = [`stp ${d.stp ? 'on' : 'off'}`];
  if (d.stp) parts.push(`priority ${d.priority}`, `forward_delay ${d.forwardDelayCs / 100} s`);
  if (d.vlanFiltering) parts.push('vlan_filtering');
  return parts.join(', ');
}

/** Everything needed to create the link `a` again (the undo of a delete). */
function recreateRequest(a: Link, byIndex: Map<number, Link>): { req: Omit<NewLinkRequest, 'parent'>; parentName?: string } {
  let info: LinkInfo;
  let parentName: string | undefined;
  switch (a.kind) {
    case 'bond': {
      const b = a.bond ?? {};
      const mode = b.mode ?? 0;
      const word = wordFor(BOND_MODES, mode) as DesiredBond['mode'];
      info = {
        kind: 'bond',
        bond: {
          mode,
          ...(b.miimonMs !== undefined ? { miimonMs: b.miimonMs } : {}),
          ...(b.updelayMs !== undefined ? { updelayMs: b.updelayMs } : {}),
          ...(b.downdelayMs !== undefined ? { downdelayMs: b.downdelayMs } : {}),
          ...(b.minLinks !== undefined ? { minLinks: b.minLinks } : {}),
          ...(b.lacpRate !== undefined && LACP_RATE_MODES.includes(word) ? { lacpRate: b.lacpRate } : {}),
          ...(b.xmitHashPolicy !== undefined && XMIT_HASH_MODES.includes(word) ? { xmitHashPolicy: b.xmitHashPolicy } : {}),
        },
      };
      break;
    }
    case 'bridge': {
      const { vlanFiltering, ...rest } = a.bridge ?? {};
      info = { kind: 'bridge', bridge: { ...rest, ...(vlanFiltering ? { vlanFiltering } : {}) } };
      break;
    }
    case 'vlan':
      info = { kind: 'vlan', vlan: { id: a.vlan?.id ?? 0, ...(a.vlan?.protocol !== undefined ? { protocol: a.vlan.protocol } : {}) } };
      parentName = a.parent !== undefined ? byIndex.get(a.parent)?.name : undefined;
      break;
    case 'macvlan':
      info = { kind: 'macvlan', ...(a.macvlan ? { macvlan: a.macvlan } : {}) };
      parentName = a.parent !== undefined ? byIndex.get(a.parent)?.name : undefined;
      break;
    default:
      info = { kind: (a.kind ?? 'dummy') as 'dummy' };
      break;
  }
  return {
    req: {
      name: a.name,
      info,
      ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
      ...(a.address !== undefined ? { address: a.address } : {}),
      up: (a.flags & IFF_UP) !== 0,
      ...(a.alias !== undefined ? { alias: a.alias } : {}),
    },
    ...(parentName !== undefined ? { parentName } : {}),
  };
}

/**
 * Creates a link with its alias (the kernel client sends both in one round trip) and, for a
 * master that members join next, asks its index in that round trip too.
 */
async function createLink(x: Exec, req: NewLinkRequest, wantIndex = false): Promise<void> {
  const index = await x.kernel.createLink(req, wantIndex ? { index: true } : {});
  // Only its own entry: the other links are as they were.
  x.made(req.name, index);
}

/**
 * Creates a link (resolving its parent by name at run time) with its ownership mark, and up
 * when `up` (a create makes the link as configured, so its detail does not repeat that); undo
 * deletes it by name. Then "link-settings" has nothing left to do for it.
 */
function createAction(d: DesiredLink, why: string, detail: string, up: boolean, build: (x: Exec) => Promise<NewLinkRequest>): Action {
  return {
    // Creations of one step are independent: bonds and bridges need nothing, VLANs their parent.
    phase: 'links', group: d.kind === 'vlan' ? 'create-vlan' : 'create-master', verb: 'create', object: label(d), detail, why,
    async run(x) {
      // Bonds and bridges: their members join, and VLANs are made on them, by index next.
      await createLink(x, { ...(await build(x)), up, ...('alias' in d ? { alias: d.alias } : {}) }, d.kind !== 'vlan');
      return deleteByName(d.name);
    },
  };
}

function deleteByName(name: string): Undo {
  return async (x) => {
    const l = await x.find(name);
    if (l !== undefined) await x.kernel.deleteLink(l.index);
    x.invalidate();
  };
}

/**
 * Sets (or clears, with master undefined) a link's master; a bond wants its member down first.
 * masterKind: the master's kind when known (then only its index is needed, which a master just
 * made has without a lookup).
 */
async function setMaster(x: Exec, name: string, master: string | undefined, masterKind?: string): Promise<void> {
  const l = await x.link(name);
  if (master === undefined) {
    await x.kernel.changeLink({ index: l.index, master: 0 });
    x.invalidate();
  } else {
    const kind = masterKind ?? (await x.link(master)).kind;
    // One message: the kernel changes the flags before the master (do_setlink), and the bond
    // opens its member again.
    const down = kind === 'bond' && (l.flags & IFF_UP) !== 0;
    await x.kernel.changeLink({ index: l.index, master: await x.index(master), ...(down ? { up: false } : {}) });
    // The member and its master changed (a bond takes its first member's MAC); nothing else did.
    x.forget(name, master);
  }
}

function membershipAction(d: DesiredLink, from: string | undefined, to: string | undefined, why: string, group?: string, toKind?: string): Action {
  const verb = to === undefined ? `leave ${from}` : from === undefined ? `join ${to}` : `move from ${from} to ${to}`;
  return {
    phase: 'links', verb: 'change', object: label(d), detail: verb, why, ...(group !== undefined ? { group } : {}),
    async run(x) {
      const before = await x.link(d.name);
      const wasUp = (before.flags & IFF_UP) !== 0;
      await setMaster(x, d.name, to, toKind);
      return async (y) => {
        const l = await y.find(d.name);
        if (l === undefined) return;
        // `from` may have been deleted meanwhile: then its own undo recreates it first.
        if (from === undefined || (await y.find(from)) !== undefined) await setMaster(y, d.name, from);
        await y.kernel.changeLink({ index: (await y.link(d.name)).index, up: wasUp });
        y.invalidate();
      };
    },
  };
}

interface OptionChange<T> { set: T; old: T; words: string[]; needsDown: boolean }

function bondChanges(d: DesiredBond, a: Link, byIndex: Map<number, Link>, indexOf: (n: string) => number | undefined): OptionChange<BondOptions> {
  const cur = a.bond ?? {};
  const set: BondOptions = {};
  const old: BondOptions = {};
  const words: string[] = [];
  let needsDown = false;
  if (cur.mode !== BOND_MODES[d.mode]) {
    // Only while the bond is down and has no members (they leave and rejoin around this).
    set.mode = BOND_MODES[d.mode];
    if (cur.mode !== undefined) old.mode = cur.mode;
    words.push(`mode ${wordFor(BOND_MODES, cur.mode)} -> ${d.mode}`);
    needsDown = true;
  }
  const num = (key: 'miimonMs' | 'updelayMs' | 'downdelayMs' | 'minLinks', want: number, word: string, unit = ''): void => {
    if (cur[key] === want) return;
    set[key] = want;
    if (cur[key] !== undefined) old[key] = cur[key];
    words.push(`${word} ${cur[key] ?? 'unset'}${unit} -> ${want}${unit}`);
  };
  num('miimonMs', d.miimonMs, 'miimon', ' ms');
  num('updelayMs', d.updelayMs, 'updelay', ' ms');
  num('downdelayMs', d.downdelayMs, 'downdelay', ' ms');
  num('minLinks', d.minLinks, 'min_links');
  if (d.lacpRate !== undefined && cur.lacpRate !== LACP_RATES[d.lacpRate]) {
    set.lacpRate = LACP_RATES[d.lacpRate];
    if (cur.lacpRate !== undefined) old.lacpRate = cur.lacpRate;
    words.push(`lacp_rate ${wordFor(LACP_RATES, cur.lacpRate)} -> ${d.lacpRate}`);
    // The kernel takes a new LACP rate only while the bond is down.
    needsDown = true;
  }
  if (d.xmitHashPolicy !== undefined && cur.xmitHashPolicy !== XMIT_HASH_POLICIES[d.xmitHashPolicy]) {
    set.xmitHashPolicy = XMIT_HASH_POLICIES[d.xmitHashPolicy];
    if (cur.xmitHashPolicy !== undefined) old.xmitHashPolicy = cur.xmitHashPolicy;
    words.push(`xmit_hash_policy ${wordFor(XMIT_HASH_POLICIES, cur.xmitHashPolicy)} -> ${d.xmitHashPolicy}`);
  }
  if (PRIMARY_MODES.includes(d.mode)) {
    const curName = cur.primary !== undefined && cur.primary !== 0 ? byIndex.get(cur.primary)?.name : undefined;
    if (curName !== d.primary) {
      const idx = d.primary !== undefined ? indexOf(d.primary) : 0;
      if (idx !== undefined) {
        set.primary = idx;
        old.primary = cur.primary ?? 0;
        words.push(`primary ${curName ?? 'none'} -> ${d.primary ?? 'none'}`);
      }
    }
  }
  return { set, old, words, needsDown };
}

function bridgeChanges(d: DesiredBridge, a: Link): OptionChange<BridgeOptions> {
  const cur = a.bridge ?? {};
  const want = bridgeOptions(d);
  const set: BridgeOptions = {};
  const old: BridgeOptions = {};
  const words: string[] = [];
  const cs = (key: 'forwardDelayCs' | 'helloTimeCs' | 'maxAgeCs' | 'ageingTimeCs', word: string): void => {
    if (cur[key] === want[key]) return;
    set[key] = want[key]!;
    if (cur[key] !== undefined) old[key] = cur[key];
    words.push(`${word} ${cur[key] === undefined ? 'unset' : `${cur[key] / 100} s`} -> ${want[key]! / 100} s`);
  };
  cs('forwardDelayCs', 'forward_delay');
  cs('helloTimeCs', 'hello_time');
  cs('maxAgeCs', 'max_age');
  cs('ageingTimeCs', 'ageing_time');
  if ((cur.stpState ?? 0) !== 0 !== d.stp) {
    set.stpState = d.stp ? 1 : 0;
    old.stpState = cur.stpState ?? 0;
    words.push(`stp ${d.stp ? 'off -> on' : 'on -> off'}`);
  }
  if (cur.priority !== d.priority) {
    set.priority = d.priority;
    if (cur.priority !== undefined) old.priority = cur.priority;
    words.push(`priority ${cur.priority ?? 'unset'} -> ${d.priority}`);
  }
  if ((cur.vlanFiltering ?? false) !== d.vlanFiltering) {
    set.vlanFiltering = d.vlanFiltering;
    old.vlanFiltering = cur.vlanFiltering ?? false;
    words.push(`vlan_filtering ${d.vlanFiltering ? 'off -> on' : 'on -> off'}`);
  }
  return { set, old, words, needsDown: false };
}

async function changeOptions(x: Exec, name: string, info: LinkInfo, needsDown: boolean): Promise<void> {
  const l = await x.link(name);
  const up = (l.flags & IFF_UP) !== 0;
  if (needsDown && up) await x.kernel.changeLink({ index: l.index, up: false });
  // Up again in the same message: the kernel applies the kind's options (changelink) before
  // the flags; refused options leave it down, as a separate "up" not sent would.
  await x.kernel.changeLink({ index: l.index, info, ...(needsDown && up ? { up: true } : {}) });
  x.invalidate();
}

/** Plans phase "links" from the current kernel links. */
export function planLinks(d: DesiredNetwork, links: readonly Link[]): LinkPlan {
  const byName = new Map(links.map((l) => [l.name, l]));
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const desired = new Map(d.links.map((l) => [l.name, l]));
  const warnings: string[] = [];
  const conflicts: string[] = [];
  const missing = new Set<string>();
  const fresh = new Set<string>();
  const gone = new Set<string>();

  for (const dl of d.links) {
    const a = byName.get(dl.name);
    if (dl.kind === 'port') {
      if (a === undefined) {
        missing.add(dl.name);
        warnings.push(`port ${dl.name}: no such interface; it and what is configured on it are skipped`);
      } else if (a.kind !== undefined && STACKED.has(a.kind)) {
        conflicts.push(`port ${dl.name}: the interface of that name is a ${a.kind}, not a NIC`);
      }
      continue;
    }
    if (dl.kind === 'vlan' && missing.has(dl.parent)) {
      missing.add(dl.name);
      warnings.push(`vlan ${dl.name}: its parent ${dl.parent} is missing; skipped`);
      continue;
    }
    if (a === undefined) {
      fresh.add(dl.name);
      continue;
    }
    const why = identityMismatch(dl, a, byIndex);
    if (why === undefined) continue;
    if (ownsLink(a)) {
      fresh.add(dl.name);
      gone.add(dl.name);
    } else {
      conflicts.push(`${label(dl)}: an interface named ${dl.name} exists that Stockade did not create, and ${why}; rename or delete it`);
    }
  }
  for (const a of links) if (ownsLink(a) && !desired.has(a.name)) gone.add(a.name);
  // A VLAN (or macvlan) goes with its parent: if the parent goes, so does it.
  for (let changed = true; changed;) {
    changed = false;
    for (const a of links) {
      if (gone.has(a.name) || a.parent === undefined || a.kind === 'veth') continue;
      const parent = byIndex.get(a.parent);
      if (parent === undefined || !gone.has(parent.name)) continue;
      const dl = desired.get(a.name);
      if (dl !== undefined) {
        gone.add(a.name);
        fresh.add(a.name);
        changed = true;
      } else if (ownsLink(a)) {
        gone.add(a.name);
        changed = true;
      }
    }
  }

  const actions: Action[] = [];
  const existing = (name: string): Link | undefined => (gone.has(name) ? undefined : byName.get(name));
  // Bonds whose mode changes: the kernel takes a new mode only without members.
  const remode = new Set(d.links.filter((dl): dl is DesiredBond => dl.kind === 'bond' && !fresh.has(dl.name))
    .filter((dl) => { const a = byName.get(dl.name); return a?.bond?.mode !== undefined && a.bond.mode !== BOND_MODES[dl.mode]; })
    .map((dl) => dl.name));
  const masterName = (l: Link): string | undefined => (l.master !== undefined && l.master !== 0 ? byIndex.get(l.master)?.name : undefined);
  const usable = (name: string): boolean => !missing.has(name);

  // 1. Members that must leave their current master (explicitly, so a rollback can rejoin them).
  for (const dl of d.links) {
    const a = existing(dl.name);
    if (a === undefined) continue;
    const cur = masterName(a);
    const want = dl.master !== undefined && usable(dl.master) ? dl.master : undefined;
    if (cur !== undefined && (cur !== want || gone.has(cur) || remode.has(cur))) {
      const why = remode.has(cur) && cur === want ? `${cur} changes mode, which the kernel allows only without members` : want === undefined ? 'the config gives it no master' : `it belongs in ${want}`;
      actions.push(membershipAction(dl, cur, undefined, why));
    }
  }

  // 2. Owned links that are not wanted (or must be made again): VLANs first, then masters.
  const doomed = links.filter((l) => gone.has(l.name));
  doomed.sort((p, q) => Number(p.kind === 'bond' || p.kind === 'bridge') - Number(q.kind === 'bond' || q.kind === 'bridge'));
  for (const a of doomed) {
    const again = desired.get(a.name);
    const snapshot = recreateRequest(a, byIndex);
    actions.push({
      phase: 'links', verb: 'delete', object: `${kindOfLink(a)} ${a.name}`,
      why: again !== undefined ? `made again: ${identityMismatch(again, a, byIndex) ?? 'its parent is made again'}` : 'made by Stockade and no longer in the config',
      async run(x) {
        const l = await x.link(a.name);
        await x.kernel.deleteLink(l.index);
        x.invalidate();
        return async (y) => {
          const parent = snapshot.parentName !== undefined ? await y.find(snapshot.parentName) : undefined;
          await createLink(y, { ...snapshot.req, ...(parent !== undefined ? { parent: parent.index } : {}) });
        };
      },
    });
  }

  const created = (kind: DesiredLink['kind']): DesiredLink[] => d.links.filter((l) => l.kind === kind && fresh.has(l.name));
  const createdUp = new Set<string>();

  // 3. New bonds and bridges, created with their options and up (when wanted up), as `ip` would
  // do it: their members join an open master and the VLANs made on them next come up with its
  // carrier at once (brought up later, with it, 64 VLANs took half again as long under TCG).
  for (const dl of [...created('bond'), ...created('bridge')] as Array<DesiredBond | DesiredBridge>) {
    const why = gone.has(dl.name) ? 'made again (see the delete above)' : 'in the config, not in the kernel';
    if (dl.up) createdUp.add(dl.name);
    const common = { name: dl.name, ...(dl.mtu !== undefined ? { mtu: dl.mtu } : {}), ...(dl.mac !== undefined ? { address: dl.mac } : {}) };
    if (dl.kind === 'bond') {
      actions.push(createAction(dl, why, describeBond(dl), dl.up, async (x) => {
        const primary = dl.primary !== undefined && usable(dl.primary) ? (await x.find(dl.primary))?.index : undefined;
        return { ...common, info: { kind: 'bond', bond: bondCreateOptions(dl, primary) } };
      }));
    } else {
      actions.push(createAction(dl, why, describeBridge(dl), dl.up, async () => ({ ...common, info: { kind: 'bridge', bridge: bridgeOptions(dl) } })));
    }
  }

  // 4. Options of bonds and bridges that stay, before members join (a new mode needs the bond
  // without them; a primary not yet a member is kept by name until it joins).
  for (const dl of d.links) {
    if ((dl.kind !== 'bond' && dl.kind !== 'bridge') || fresh.has(dl.name)) continue;
    const a = existing(dl.name);
    if (a === undefined) continue;
    let words: string[];
    let needsDown: boolean;
    let forward: (x: Exec) => Promise<LinkInfo>;
    let backward: LinkInfo;
    if (dl.kind === 'bond') {
      const ch = bondChanges(dl, a, byIndex, (n) => (usable(n) ? byName.get(n)?.index : undefined));
      ({ words, needsDown } = ch);
      // The primary by name at run time.
      forward = async (x) => ({ kind: 'bond', bond: { ...ch.set, ...(ch.set.primary !== undefined && dl.primary !== undefined ? { primary: await x.index(dl.primary) } : {}) } });
      backward = { kind: 'bond', bond: ch.old };
    } else {
      const ch = bridgeChanges(dl, a);
      ({ words, needsDown } = ch);
      forward = async () => ({ kind: 'bridge', bridge: ch.set });
      backward = { kind: 'bridge', bridge: ch.old };
    }
    if (words.length === 0) continue;
    actions.push({
      phase: 'links', verb: 'change', object: label(dl), detail: words.join(', '),
      why: needsDown ? 'the config says so (the kernel needs the bond down for this: it is bounced)' : 'the config says so',
      async run(x) {
        await changeOptions(x, dl.name, await forward(x), needsDown);
        return async (y) => changeOptions(y, dl.name, backward, needsDown);
      },
    });
  }

  // 5. Members joining their bond. Joins to different masters go together (one round trip
  // for all); those to one master one after the other, in the config's order (a bond's first
  // member gives it its MAC and, in active-backup without a primary, is the active one).
  const joins = (masterKind: 'bond' | 'bridge'): void => {
    const rounds: Action[][] = [];
    const count = new Map<string, number>();
    for (const dl of d.links) {
      if (dl.master === undefined || !usable(dl.name) || !usable(dl.master)) continue;
      const m = desired.get(dl.master);
      if (m?.kind !== masterKind) continue;
      const a = existing(dl.name);
      const cur = a !== undefined ? masterName(a) : undefined;
      if (a !== undefined && cur === dl.master && !gone.has(dl.master) && !remode.has(dl.master)) continue;
      const round = count.get(dl.master) ?? 0;
      count.set(dl.master, round + 1);
      (rounds[round] ??= []).push(membershipAction(dl, undefined, dl.master, `a member of ${masterKind} ${dl.master} in the config`, `join-${masterKind}-${round}`, masterKind));
    }
    for (const r of rounds) actions.push(...r);
  };
  joins('bond');

  // 6. New VLANs (their parents exist by now), up at once when wanted up and their parent is
  // open by then and stays so (a VLAN opened on a closed parent is refused: ENETDOWN); else they
  // come up in "link-settings", after their parent.
  const parentOpen = (name: string): boolean => {
    const want = desired.get(name);
    if (want === undefined || !want.up) return false;
    if (fresh.has(name)) return createdUp.has(name);
    const a = existing(name);
    return a !== undefined && (a.flags & IFF_UP) !== 0;
  };
  for (const dl of created('vlan') as DesiredVlan[]) {
    const why = gone.has(dl.name) ? 'made again (see the delete above)' : 'in the config, not in the kernel';
    const up = dl.up && parentOpen(dl.parent);
    if (up) createdUp.add(dl.name);
    actions.push(createAction(dl, why, `id ${dl.id} on ${dl.parent}`, up, async (x) => ({
      name: dl.name, parent: await x.index(dl.parent),
      info: { kind: 'vlan', vlan: { id: dl.id } },
      ...(dl.mtu !== undefined ? { mtu: dl.mtu } : {}),
      ...(dl.mac !== undefined ? { address: dl.mac } : {}),
    })));
  }

  // 7. Members joining their bridge (ports, bonds and VLANs).
  joins('bridge');

  return { actions, warnings, conflicts, fresh, gone, missing, createdUp };
}

/** What "link-settings" compares with for a link that does not exist yet (plan only). */
export function predictedLink(dl: DesiredLink, up: boolean): Link {
  return {
    index: 0,
    name: dl.name,
    // Made with their ownership mark, and up when planLinks says so.
    flags: up ? IFF_UP : 0,
    type: 1,
    mtu: dl.mtu,
    address: dl.mac,
    kind: dl.kind === 'port' ? undefined : dl.kind,
    ...(dl.kind !== 'port' ? { alias: dl.alias } : {}),
  } as Link;
}

/**
 * Plans phase "link-settings": MTU, MAC, the ownership alias and the admin state of every
 * configured link, as one change per link. `links` is the state after phase "links" (the
 * kernel's in an apply; predicted for a plan).
 */
export function planLinkSettings(d: DesiredNetwork, links: readonly Link[], skip: ReadonlySet<string>, fresh: ReadonlySet<string> = new Set()): Action[] {
  const byName = new Map(links.map((l) => [l.name, l]));
  const actions: Action[] = [];
  for (const dl of d.links) {
    if (skip.has(dl.name)) continue;
    const a = byName.get(dl.name);
    if (a === undefined) continue;
    const req: ChangeLinkRequest = { index: a.index };
    const undo: ChangeLinkRequest = { index: a.index };
    const words: string[] = [];
    let verb: 'change' | 'adopt' = 'change';
    if (dl.mtu !== undefined && a.mtu !== dl.mtu) {
      req.mtu = dl.mtu;
      if (a.mtu !== undefined) undo.mtu = a.mtu;
      words.push(`mtu ${a.mtu ?? 'unset'} -> ${dl.mtu}`);
    }
    const mac = dl.mac ?? (dl.kind === 'port' && dl.restorePermanentMac ? a.permAddress : undefined);
    if (mac !== undefined && a.address !== mac) {
      req.address = mac;
      if (a.address !== undefined) undo.address = a.address;
      words.push(`mac ${a.address ?? 'unset'} -> ${mac}${dl.mac === undefined ? ' (its own)' : ''}`);
    }
    if (dl.kind !== 'port' && a.alias !== dl.alias) {
      req.alias = dl.alias;
      undo.alias = a.alias ?? '';
      if (fresh.has(dl.name)) {
        words.push(`alias "${dl.alias}"`);
      } else {
        if (!ownsLink(a)) verb = 'adopt';
        words.push(ownsLink(a) ? `alias -> "${dl.alias}"` : `mark as Stockade's (alias "${dl.alias}")`);
      }
    }
    const up = (a.flags & IFF_UP) !== 0;
    if (up !== dl.up) {
      req.up = dl.up;
      undo.up = up;
      words.push(dl.up ? 'up' : 'down');
    }
    if (words.length === 0) continue;
    const only = words.length === 1 && verb === 'adopt';
    actions.push({
      // Sent together, in this order (ports, bonds, VLANs, bridges: a parent's MTU before its VLANs').
      phase: 'link-settings', group: 'link-settings', verb: only ? 'adopt' : 'change', object: label(dl), detail: words.join(', '),
      why: verb === 'adopt' ? 'already there and as configured: adopted' : 'the config says so',
      async run(x) {
        const cur = await x.link(dl.name);
        // A lower MTU makes the kernel lower the MTU of the VLANs on the link too: remember
        // theirs, so that an undo puts them back as well.
        const lowered = req.mtu !== undefined && cur.mtu !== undefined && req.mtu < cur.mtu
          ? (await x.kernel.links()).filter((l) => l.parent === cur.index && (l.kind === 'vlan' || l.kind === 'macvlan') && (l.mtu ?? 0) > req.mtu!)
            .map((l) => ({ name: l.name, mtu: l.mtu! }))
          : [];
        await changeWithMacFallback(x, { ...req, index: cur.index }, (cur.flags & IFF_UP) !== 0);
        x.invalidate();
        return async (y) => {
          const l = await y.find(dl.name);
          if (l === undefined) return;
          await changeWithMacFallback(y, { ...undo, index: l.index }, (l.flags & IFF_UP) !== 0);
          y.invalidate();
          for (const v of lowered) {
            const vl = await y.find(v.name);
            if (vl !== undefined && vl.mtu !== v.mtu) await y.kernel.changeLink({ index: vl.index, mtu: v.mtu });
          }
          y.invalidate();
        };
      },
    });
  }
  return actions;
}

/** Some NICs refuse a MAC change while up (EBUSY): then down, change, and the wanted state. */
async function changeWithMacFallback(x: Exec, req: ChangeLinkRequest, isUp: boolean): Promise<void> {
  try {
    await x.kernel.changeLink(req);
  } catch (e) {
    if (req.address === undefined || !isUp || (e as { code?: string }).code !== 'EBUSY') throw e;
    await x.kernel.changeLink({ index: req.index, up: false });
    await x.kernel.changeLink({ ...req, up: req.up ?? true });
  }
}
