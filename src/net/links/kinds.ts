// The link kinds the config has (by DesiredLink kind), and those a delete can undo (by kernel kind).
import type { Link, LinkInfo } from '../../kernel/rtnetlink/index.ts';
import type { DesiredLink } from '../desired.ts';
import { bond, bondAgain } from './bond.ts';
import { bridge, bridgeAgain } from './bridge.ts';
import type { LinkKind, LinksByIndex, Recreate } from './kind.ts';
import { macvlanAgain } from './macvlan.ts';
import { port } from './port.ts';
import { vlan, vlanAgain } from './vlan.ts';

const KINDS: { readonly [K in DesiredLink['kind']]: LinkKind<Extract<DesiredLink, { kind: K }>> } = { port, bond, bridge, vlan };

const RANK = new Map(Object.keys(KINDS).map((k, i) => [k, i]));

/** Where a kind comes among the others when links of several are made in one step. */
export function kindRank(kind: DesiredLink['kind']): number {
  return RANK.get(kind)!;
}

export function kindOf<D extends DesiredLink>(d: D): LinkKind<D> {
  return KINDS[d.kind] as unknown as LinkKind<D>;
}

const AGAIN = new Map<string, Recreate>([bondAgain, bridgeAgain, vlanAgain, macvlanAgain].map((r) => [r.kind, r]));

/** The kind data (and parent) that make the kernel link `a` again; a kind without options otherwise. */
export function recreateInfo(a: Link, byIndex: LinksByIndex): { info: LinkInfo; parentName?: string } {
  const again = a.kind !== undefined ? AGAIN.get(a.kind) : undefined;
  return again?.recreate(a, byIndex) ?? { info: { kind: (a.kind ?? 'dummy') as 'dummy' } };
}
