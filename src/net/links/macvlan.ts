// macvlans are not configured here, but one Stockade made goes with its parent: made again as
// it was when a delete is undone.
import type { Link, LinkInfo } from '../../kernel/rtnetlink/index.ts';
import { parentName, type LinksByIndex, type Recreate } from './kind.ts';

export const macvlanAgain: Recreate = {
  kind: 'macvlan',
  recreate(a: Link, byIndex: LinksByIndex): { info: LinkInfo; parentName?: string } {
    const parent = parentName(a, byIndex);
    return { info: { kind: 'macvlan', ...(a.macvlan ? { macvlan: a.macvlan } : {}) }, ...(parent !== undefined ? { parentName: parent } : {}) };
  },
};
