// Config words <-> the kernel's numbers for bond, bridge, route and rule settings.
import {
  BOND_LACP_RATE_FAST, BOND_LACP_RATE_SLOW, BOND_MODE_8023AD, BOND_MODE_ACTIVEBACKUP, BOND_MODE_ALB, BOND_MODE_BROADCAST,
  BOND_MODE_ROUNDROBIN, BOND_MODE_TLB, BOND_MODE_XOR, BOND_XMIT_POLICY_ENCAP23, BOND_XMIT_POLICY_ENCAP34, BOND_XMIT_POLICY_LAYER2,
  BOND_XMIT_POLICY_LAYER23, BOND_XMIT_POLICY_LAYER34, FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_TO_TBL, FR_ACT_UNREACHABLE,
  RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE,
} from '../kernel/rtnetlink/index.ts';

export type BondMode = 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb';

export const BOND_MODES: Record<BondMode, number> = {
  'balance-rr': BOND_MODE_ROUNDROBIN,
  'active-backup': BOND_MODE_ACTIVEBACKUP,
  'balance-xor': BOND_MODE_XOR,
  broadcast: BOND_MODE_BROADCAST,
  '802.3ad': BOND_MODE_8023AD,
  'balance-tlb': BOND_MODE_TLB,
  'balance-alb': BOND_MODE_ALB,
};

export type XmitHashPolicy = 'layer2' | 'layer2+3' | 'layer3+4' | 'encap2+3' | 'encap3+4';

export const XMIT_HASH_POLICIES: Record<XmitHashPolicy, number> = {
  layer2: BOND_XMIT_POLICY_LAYER2,
  'layer2+3': BOND_XMIT_POLICY_LAYER23,
  'layer3+4': BOND_XMIT_POLICY_LAYER34,
  'encap2+3': BOND_XMIT_POLICY_ENCAP23,
  'encap3+4': BOND_XMIT_POLICY_ENCAP34,
};

export const LACP_RATES: Record<'slow' | 'fast', number> = { slow: BOND_LACP_RATE_SLOW, fast: BOND_LACP_RATE_FAST };

/** Modes in which the kernel takes each option (it refuses it in the others). */
export const LACP_RATE_MODES: readonly BondMode[] = ['802.3ad'];
export const XMIT_HASH_MODES: readonly BondMode[] = ['balance-xor', '802.3ad', 'balance-tlb'];
export const PRIMARY_MODES: readonly BondMode[] = ['active-backup', 'balance-tlb', 'balance-alb'];

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export const ROUTE_TYPES: Record<RouteType, number> = {
  unicast: RTN_UNICAST,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
};

export type RuleAction = 'lookup' | 'blackhole' | 'unreachable' | 'prohibit';

export const RULE_ACTIONS: Record<RuleAction, number> = {
  lookup: FR_ACT_TO_TBL,
  blackhole: FR_ACT_BLACKHOLE,
  unreachable: FR_ACT_UNREACHABLE,
  prohibit: FR_ACT_PROHIBIT,
};

/** The word for a kernel number, for printing what the kernel has. */
export function wordFor<K extends string>(table: Record<K, number>, value: number | undefined): string {
  if (value === undefined) return 'unset';
  const hit = (Object.entries(table) as Array<[K, number]>).find(([, v]) => v === value);
  return hit ? hit[0] : String(value);
}
