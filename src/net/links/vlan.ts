// 802.1Q VLANs: their id and parent are their identity (a change makes them again); made on
// their parent once it exists, up at once only when the parent is open by then.
import { ETH_P_8021Q, type Link, type LinkInfo } from '../../kernel/rtnetlink/index.ts';
import type { DesiredVlan } from '../desired.ts';
import { baseRequest, foreignLink, otherKind, parentName, type LinkKind, type LinksByIndex, type Recreate } from './kind.ts';

export const vlan: LinkKind<DesiredVlan> = {
  kind: 'vlan',
  needs: (d) => [d.parent],
  identityMismatch(d, a, byIndex) {
    const kind = otherKind(d, a);
    if (kind !== undefined) return kind;
    const parent = parentName(a, byIndex);
    if (a.vlan?.id !== d.id || parent !== d.parent) return `it is VLAN ${a.vlan?.id ?? '?'} on ${parent ?? '?'}`;
    if (a.vlan.protocol !== undefined && a.vlan.protocol !== ETH_P_8021Q) return 'it is an 802.1ad VLAN';
    return undefined;
  },
  conflict: (d, _a, why) => foreignLink(d, why),
  missing: (d, lacking) => `vlan ${d.name}: its parent ${lacking ?? d.parent} is missing; skipped`,
  create: {
    stage: 'stacked',
    make: (d, ctx) => ({
      detail: `id ${d.id} on ${d.parent}`,
      up: d.up && ctx.parentOpen(d.parent),
      request: async (x) => ({
        ...baseRequest(d), parent: await x.index(d.parent),
        info: { kind: 'vlan', vlan: { id: d.id } },
      }),
    }),
  },
};

export const vlanAgain: Recreate = {
  kind: 'vlan',
  recreate(a: Link, byIndex: LinksByIndex): { info: LinkInfo; parentName?: string } {
    const parent = parentName(a, byIndex);
    return {
      info: { kind: 'vlan', vlan: { id: a.vlan?.id ?? 0, ...(a.vlan?.protocol !== undefined ? { protocol: a.vlan.protocol } : {}) } },
      ...(parent !== undefined ? { parentName: parent } : {}),
    };
  },
};
