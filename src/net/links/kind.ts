// What a link kind contributes to the plan: how its identity is told apart (a changed identity
// means delete and create again), how it is made, which of its options change in place, and
// how an existing link of it is made again (the undo of a delete). One file per kind beside this
// one, listed in kinds.ts; plan-links.ts classifies and emits, knowing no kind.
import type { Link, LinkInfo, NewLinkRequest } from '../../kernel/rtnetlink/index.ts';
import type { Exec } from '../action.ts';
import type { DesiredLink } from '../desired.ts';

export interface LinksByIndex {
  get(index: number): Link | undefined;
}

/** Where a new link of the kind is made: masters before members join, stacked ones on their parent after. */
export type CreateStage = 'masters' | 'stacked';

export interface CreateContext {
  /** Whether the link of that name will be open when this one is made (a VLAN opened on a closed parent is refused). */
  parentOpen(name: string): boolean;
  /** False for a link skipped because a port it needs is missing. */
  usable(name: string): boolean;
}

export interface Creation {
  /** What is printed ("mode active-backup, miimon 100 ms", "id 10 on eth0"). */
  detail: string;
  /** Made up (else "link-settings" brings it up). */
  up: boolean;
  /** The request, resolved at run time (parents and primaries by name). */
  request(x: Exec): Promise<NewLinkRequest>;
}

export interface OptionChange {
  /** "miimon 100 ms -> 200 ms", ... (empty: nothing changes). */
  words: string[];
  /** The kernel takes these only while the link is down: it is bounced. */
  needsDown: boolean;
  forward(x: Exec): Promise<LinkInfo>;
  backward: LinkInfo;
}

export interface OptionContext {
  /** The index of a usable link now (undefined when it is missing or not there yet). */
  indexOf(name: string): number | undefined;
  byIndex: LinksByIndex;
}

export interface LinkKind<D extends DesiredLink = DesiredLink> {
  readonly kind: D['kind'];
  /** Links this one cannot be without (a VLAN's parent): missing with them. */
  needs?(d: D): string[];
  /** Why an existing link of this name is not `d` (so it cannot just be adjusted), or undefined. */
  identityMismatch(d: D, a: Link, byIndex: LinksByIndex): string | undefined;
  /** The problem printed when a link Stockade does not own has the name and another identity. */
  conflict(d: D, a: Link, why: string): string;
  /** The warning when the link cannot be had: a port not there (lacking undefined), or a link it needs missing. */
  missing?(d: D, lacking: string | undefined): string;
  /** Absent for ports: never created or deleted. */
  create?: { stage: CreateStage; make(d: D, ctx: CreateContext): Creation };
  /** Options changed in place on a link that stays. */
  options?(d: D, a: Link, ctx: OptionContext): OptionChange;
}

/** How the kernel link `a` of a kind is made again: its kind data and its parent's name. */
export interface Recreate {
  readonly kind: string;
  recreate(a: Link, byIndex: LinksByIndex): { info: LinkInfo; parentName?: string };
}

export function label(d: DesiredLink): string {
  return `${d.kind} ${d.name}`;
}

/** The usual conflict: a same-named link Stockade did not make. */
export function foreignLink(d: DesiredLink, why: string): string {
  return `${label(d)}: an interface named ${d.name} exists that Stockade did not create, and ${why}; rename or delete it`;
}

/** Why `a` is not of d's kind, or undefined when it is. */
export function otherKind(d: DesiredLink, a: Link): string | undefined {
  return a.kind !== d.kind ? `it is ${a.kind === undefined ? 'a NIC' : `a ${a.kind}`}` : undefined;
}

/** The name, MTU and MAC a create sets as configured. */
export function baseRequest(d: DesiredLink): { name: string; mtu?: number; address?: string } {
  return { name: d.name, ...(d.mtu !== undefined ? { mtu: d.mtu } : {}), ...(d.mac !== undefined ? { address: d.mac } : {}) };
}

export function parentName(a: Link, byIndex: LinksByIndex): string | undefined {
  return a.parent !== undefined ? byIndex.get(a.parent)?.name : undefined;
}
