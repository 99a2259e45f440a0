// Planning the links (phase "links"): which bonds, VLANs and bridges to create, recreate or
// delete, which members join or leave which master, which kind options change. MTU, MAC, alias
// and admin state come after, in "link-settings" (plan-link-settings.ts).
//
// Rules (netifd's, see DESIGN.md): compare desired with actual; adopt a matching link that is
// already there (mark it with the alias); change options in place where the kernel allows it;
// recreate only a link Stockade owns whose identity changed (kind, VLAN id or parent);
// refuse, before touching anything, to take over a same-named link of another identity that
// Stockade does not own; delete only owned links; never touch links the config does not name.
//
// First classify: one named change per link (as netifd's device change type), then emit the
// actions in the order the kernel needs. What differs by kind is in links/<kind>.ts.
import { isAdminUp, type Link } from '../kernel/rtnetlink/index.ts';
import type { Action } from './action.ts';
import type { DesiredBond, DesiredNetwork } from './desired.ts';
import { remodes } from './links/bond.ts';
import type { CreateContext, CreateStage } from './links/kind.ts';
import { kindOf, kindRank } from './links/kinds.ts';
import { changeOptions, createAction, deleteAction, membershipAction } from './links/operations.ts';
import { ownsLink } from './ownership.ts';

/**
 * What happens to one link:
 * - missing: configured, but a port it is or needs is not there: skipped, with a warning;
 * - conflict: configured, and a link Stockade does not own has its name and another identity;
 * - fresh: configured and made (again, when `replaces` is an owned link of another identity);
 * - changed: configured and there with its identity: adjusted in place (perhaps not at all);
 * - gone: owned by Stockade and deleted (not configured, or its parent goes).
 */
export type LinkChange =
  | { readonly type: 'missing'; readonly warning: string }
  | { readonly type: 'conflict'; readonly problem: string }
  | { readonly type: 'fresh'; readonly replaces?: Link; readonly why?: string }
  | { readonly type: 'changed'; readonly link: Link }
  | { readonly type: 'gone'; readonly link: Link; readonly why: string };

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

/** One change per link name: the configured links in config order, then owned links that go. */
export function classifyLinks(d: DesiredNetwork, links: readonly Link[]): Map<string, LinkChange> {
  const byName = new Map(links.map((l) => [l.name, l]));
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const changes = new Map<string, LinkChange>();
  const isMissing = (name: string): boolean => changes.get(name)?.type === 'missing';

  for (const dl of d.links) {
    const kind = kindOf(dl);
    const a = byName.get(dl.name);
    const lacking = kind.needs?.(dl).find(isMissing);
    if (lacking !== undefined) {
      changes.set(dl.name, { type: 'missing', warning: kind.missing!(dl, lacking) });
    } else if (a === undefined) {
      changes.set(dl.name, kind.create ? { type: 'fresh' } : { type: 'missing', warning: kind.missing!(dl, undefined) });
    } else {
      const why = kind.identityMismatch(dl, a, byIndex);
      if (why === undefined) changes.set(dl.name, { type: 'changed', link: a });
      else if (kind.create && ownsLink(a)) changes.set(dl.name, { type: 'fresh', replaces: a, why });
      else changes.set(dl.name, { type: 'conflict', problem: kind.conflict(dl, a, why) });
    }
  }
  for (const a of links) {
    if (ownsLink(a) && !changes.has(a.name)) changes.set(a.name, { type: 'gone', link: a, why: 'made by Stockade and no longer in the config' });
  }
  // A VLAN (or macvlan) goes with its parent: if the parent goes, so does it (and is made again
  // when configured).
  const goes = (name: string): boolean => {
    const c = changes.get(name);
    return c?.type === 'gone' || (c?.type === 'fresh' && c.replaces !== undefined);
  };
  for (let again = true; again;) {
    again = false;
    for (const a of links) {
      if (goes(a.name) || a.parent === undefined || a.kind === 'veth') continue;
      const parent = byIndex.get(a.parent);
      if (parent === undefined || !goes(parent.name)) continue;
      const c = changes.get(a.name);
      // (A configured link in conflict stays so: the apply stops before anything anyway.)
      if (c?.type === 'conflict') continue;
      if (c !== undefined && c.type !== 'gone') {
        changes.set(a.name, { type: 'fresh', replaces: a, why: 'its parent is made again' });
        again = true;
      } else if (ownsLink(a)) {
        changes.set(a.name, { type: 'gone', link: a, why: 'made by Stockade and no longer in the config' });
        again = true;
      }
    }
  }
  return changes;
}

/** Plans phase "links" from the current kernel links. */
export function planLinks(d: DesiredNetwork, links: readonly Link[]): LinkPlan {
  const changes = classifyLinks(d, links);
  const byName = new Map(links.map((l) => [l.name, l]));
  const byIndex = new Map(links.map((l) => [l.index, l]));
  const desired = new Map(d.links.map((l) => [l.name, l]));
  const named = (type: LinkChange['type']): Set<string> => new Set([...changes].filter(([, c]) => c.type === type).map(([n]) => n));
  const missing = named('missing');
  const fresh = named('fresh');
  const gone = new Set([...changes].filter(([, c]) => c.type === 'gone' || (c.type === 'fresh' && c.replaces !== undefined)).map(([n]) => n));
  const warnings: string[] = [];
  const conflicts: string[] = [];
  for (const c of changes.values()) {
    if (c.type === 'missing') warnings.push(c.warning);
    else if (c.type === 'conflict') conflicts.push(c.problem);
  }

  const actions: Action[] = [];
  const existing = (name: string): Link | undefined => (gone.has(name) ? undefined : byName.get(name));
  // Bonds whose mode changes: the kernel takes a new mode only without members.
  const remode = new Set(d.links.filter((dl): dl is DesiredBond => dl.kind === 'bond' && !fresh.has(dl.name) && remodes(dl, byName.get(dl.name))).map((dl) => dl.name));
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
    const c = changes.get(a.name)!;
    actions.push(deleteAction(a, byIndex, c.type === 'fresh' ? `made again: ${c.why}` : (c as { why: string }).why));
  }

  const createdUp = new Set<string>();
  const ctx: CreateContext = {
    usable,
    // A VLAN opened on a closed parent is refused (ENETDOWN): up at once only when the parent is
    // open by then and stays so; else it comes up in "link-settings", after its parent.
    parentOpen(name) {
      const want = desired.get(name);
      if (want === undefined || !want.up) return false;
      if (fresh.has(name)) return createdUp.has(name);
      const a = existing(name);
      return a !== undefined && isAdminUp(a.flags);
    },
  };
  // The new links of a stage, kind by kind (kinds.ts's order), each kind in config order.
  const create = (stage: CreateStage): void => {
    const made = d.links.filter((dl) => fresh.has(dl.name) && kindOf(dl).create?.stage === stage);
    for (const dl of made.sort((p, q) => kindRank(p.kind) - kindRank(q.kind))) {
      const c = kindOf(dl).create!.make(dl, ctx);
      if (c.up) createdUp.add(dl.name);
      actions.push(createAction(dl, stage, gone.has(dl.name) ? 'made again (see the delete above)' : 'in the config, not in the kernel', c));
    }
  };

  // 3. New bonds and bridges, created with their options and up (when wanted up), as `ip` would
  // do it: their members join an open master and the VLANs made on them next come up with its
  // carrier at once (brought up later, with it, 64 VLANs took half again as long under TCG).
  create('masters');

  // 4. Options of bonds and bridges that stay, before members join (a new mode needs the bond
  // without them; a primary not yet a member is kept by name until it joins).
  for (const dl of d.links) {
    const kind = kindOf(dl);
    const a = existing(dl.name);
    if (kind.options === undefined || fresh.has(dl.name) || a === undefined) continue;
    const ch = kind.options(dl, a, { byIndex, indexOf: (n) => (usable(n) ? byName.get(n)?.index : undefined) });
    if (ch.words.length === 0) continue;
    actions.push({
      phase: 'links', verb: 'change', object: `${dl.kind} ${dl.name}`, detail: ch.words.join(', '),
      why: ch.needsDown ? 'the config says so (the kernel needs the bond down for this: it is bounced)' : 'the config says so',
      async run(x) {
        await changeOptions(x, dl.name, await ch.forward(x), ch.needsDown);
        return async (y) => changeOptions(y, dl.name, ch.backward, ch.needsDown);
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

  // 6. New VLANs (their parents exist by now).
  create('stacked');

  // 7. Members joining their bridge (ports, bonds and VLANs).
  joins('bridge');

  return { actions, warnings, conflicts, fresh, gone, missing, createdUp };
}
