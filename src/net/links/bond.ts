// Bonds: made with their options; a new mode or LACP rate needs the bond down (and, for the
// mode, without members: plan-links makes them leave and join again).
import type { BondOptions, Link, LinkInfo } from '../../kernel/rtnetlink/index.ts';
import type { DesiredBond } from '../desired.ts';
import { BOND_MODES, LACP_RATES, LACP_RATE_MODES, PRIMARY_MODES, wordFor, XMIT_HASH_MODES, XMIT_HASH_POLICIES } from '../words.ts';
import { baseRequest, foreignLink, otherKind, type LinkKind, type LinksByIndex, type OptionContext, type OptionChange, type Recreate } from './kind.ts';

function createOptions(d: DesiredBond, primaryIndex: number | undefined): BondOptions {
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

function describe(d: DesiredBond): string {
  const parts = [`mode ${d.mode}`, `miimon ${d.miimonMs} ms`];
  if (d.updelayMs) parts.push(`updelay ${d.updelayMs} ms`);
  if (d.downdelayMs) parts.push(`downdelay ${d.downdelayMs} ms`);
  if (d.lacpRate !== undefined) parts.push(`lacp_rate ${d.lacpRate}`);
  if (d.xmitHashPolicy !== undefined) parts.push(`xmit_hash_policy ${d.xmitHashPolicy}`);
  if (d.minLinks) parts.push(`min_links ${d.minLinks}`);
  if (d.primary !== undefined) parts.push(`primary ${d.primary}`);
  return parts.join(', ');
}

/** Whether the bond `a` must change mode for `d` (the kernel allows it only without members). */
export function remodes(d: DesiredBond, a: Link | undefined): boolean {
  return a?.bond?.mode !== undefined && a.bond.mode !== BOND_MODES[d.mode];
}

function options(d: DesiredBond, a: Link, ctx: OptionContext): OptionChange {
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
    const curName = cur.primary !== undefined && cur.primary !== 0 ? ctx.byIndex.get(cur.primary)?.name : undefined;
    if (curName !== d.primary) {
      const idx = d.primary !== undefined ? ctx.indexOf(d.primary) : 0;
      if (idx !== undefined) {
        set.primary = idx;
        old.primary = cur.primary ?? 0;
        words.push(`primary ${curName ?? 'none'} -> ${d.primary ?? 'none'}`);
      }
    }
  }
  return {
    words, needsDown,
    // The primary by name at run time (a primary not yet a member is kept by name until it joins).
    forward: async (x) => ({ kind: 'bond', bond: { ...set, ...(set.primary !== undefined && d.primary !== undefined ? { primary: await x.index(d.primary) } : {}) } }),
    backward: { kind: 'bond', bond: old },
  };
}

export const bond: LinkKind<DesiredBond> = {
  kind: 'bond',
  // A bond's mode is not its identity: it changes in place (its members leave for it).
  identityMismatch: otherKind,
  conflict: (d, _a, why) => foreignLink(d, why),
  create: {
    stage: 'masters',
    make: (d, ctx) => ({
      detail: describe(d),
      up: d.up,
      async request(x) {
        const primary = d.primary !== undefined && ctx.usable(d.primary) ? (await x.find(d.primary))?.index : undefined;
        return {
          ...baseRequest(d),
          info: { kind: 'bond', bond: createOptions(d, primary) },
        };
      },
    }),
  },
  options,
};

export const bondAgain: Recreate = {
  kind: 'bond',
  recreate(a: Link, _byIndex: LinksByIndex): { info: LinkInfo } {
    const b = a.bond ?? {};
    const mode = b.mode ?? 0;
    const word = wordFor(BOND_MODES, mode) as DesiredBond['mode'];
    return {
      info: {
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
      },
    };
  },
};
