// Planning phase "link-settings": MTU, MAC, the ownership alias and the admin state of every
// configured link, planned from the state phase "links" left (the kernel's in an apply;
// predicted for a plan).
import { IFF_UP, isAdminUp, type ChangeLinkRequest, type Link } from '../kernel/rtnetlink/index.ts';
import type { Action, Exec } from './action.ts';
import type { DesiredLink, DesiredNetwork } from './desired.ts';
import { label } from './links/kind.ts';
import { ownsLink } from './ownership.ts';

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
    const up = isAdminUp(a.flags);
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
        await changeWithMacFallback(x, { ...req, index: cur.index }, isAdminUp(cur.flags));
        x.invalidate();
        return async (y) => {
          const l = await y.find(dl.name);
          if (l === undefined) return;
          await changeWithMacFallback(y, { ...undo, index: l.index }, isAdminUp(l.flags));
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
