// The kernel steps the link actions run, each with its undo: create, delete (made again as it
// was), join or leave a master, change a kind's options.
import { isAdminUp, type Link, type LinkInfo, type NewLinkRequest } from '../../kernel/rtnetlink/index.ts';
import type { Action, Exec, Undo } from '../action.ts';
import type { DesiredLink } from '../desired.ts';
import { label, type Creation, type CreateStage, type LinksByIndex } from './kind.ts';
import { recreateInfo } from './kinds.ts';

/**
 * Creates a link with its alias (the kernel client sends both in one round trip) and, for a
 * master that members join next, asks its index in that round trip too.
 */
async function createLink(x: Exec, req: NewLinkRequest, wantIndex = false): Promise<void> {
  const index = await x.kernel.createLink(req, wantIndex ? { index: true } : {});
  // Only its own entry: the other links are as they were.
  x.made(req.name, index);
}

function deleteByName(name: string): Undo {
  return async (x) => {
    const l = await x.find(name);
    if (l !== undefined) await x.kernel.deleteLink(l.index);
    x.invalidate();
  };
}

/**
 * Creates a link (resolving its parent by name at run time) with its ownership mark, and up
 * when the creation says so (a create makes the link as configured, so its detail does not
 * repeat that); undo deletes it by name. Then "link-settings" has nothing left to do for it.
 */
export function createAction(d: DesiredLink, stage: CreateStage, why: string, c: Creation): Action {
  return {
    // Creations of one step are independent: masters need nothing, stacked links their parent.
    phase: 'links', group: stage === 'stacked' ? 'create-vlan' : 'create-master', verb: 'create', object: label(d), detail: c.detail, why,
    async run(x) {
      // Masters: their members join, and VLANs are made on them, by index next.
      await createLink(x, { ...(await c.request(x)), up: c.up, ...('alias' in d ? { alias: d.alias } : {}) }, stage === 'masters');
      return deleteByName(d.name);
    },
  };
}

/** Deletes the link `a`; undo makes it again as it was (its parent by name, which its own undo made first). */
export function deleteAction(a: Link, byIndex: LinksByIndex, why: string): Action {
  const { info, parentName } = recreateInfo(a, byIndex);
  const req: Omit<NewLinkRequest, 'parent'> = {
    name: a.name,
    info,
    ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
    ...(a.address !== undefined ? { address: a.address } : {}),
    up: isAdminUp(a.flags),
    ...(a.alias !== undefined ? { alias: a.alias } : {}),
  };
  return {
    phase: 'links', verb: 'delete', object: `${a.kind ?? 'port'} ${a.name}`, why,
    async run(x) {
      const l = await x.link(a.name);
      await x.kernel.deleteLink(l.index);
      x.invalidate();
      return async (y) => {
        const parent = parentName !== undefined ? await y.find(parentName) : undefined;
        await createLink(y, { ...req, ...(parent !== undefined ? { parent: parent.index } : {}) });
      };
    },
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
    const down = kind === 'bond' && isAdminUp(l.flags);
    await x.kernel.changeLink({ index: l.index, master: await x.index(master), ...(down ? { up: false } : {}) });
    // The member and its master changed (a bond takes its first member's MAC); nothing else did.
    x.forget(name, master);
  }
}

export function membershipAction(d: DesiredLink, from: string | undefined, to: string | undefined, why: string, group?: string, toKind?: string): Action {
  const verb = to === undefined ? `leave ${from}` : from === undefined ? `join ${to}` : `move from ${from} to ${to}`;
  return {
    phase: 'links', verb: 'change', object: label(d), detail: verb, why, ...(group !== undefined ? { group } : {}),
    async run(x) {
      const wasUp = isAdminUp((await x.link(d.name)).flags);
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

export async function changeOptions(x: Exec, name: string, info: LinkInfo, needsDown: boolean): Promise<void> {
  const l = await x.link(name);
  const up = isAdminUp(l.flags);
  if (needsDown && up) await x.kernel.changeLink({ index: l.index, up: false });
  // Up again in the same message: the kernel applies the kind's options (changelink) before
  // the flags; refused options leave it down, as a separate "up" not sent would.
  await x.kernel.changeLink({ index: l.index, info, ...(needsDown && up ? { up: true } : {}) });
  x.invalidate();
}
