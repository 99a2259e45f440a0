// Bond options (IFLA_BOND_*) and a member's bond state (IFLA_BOND_SLAVE_*).
import type { AttributeEncoder } from '../../netlink/attributes.ts';
import {
  IFLA_BOND_ACTIVE_SLAVE, IFLA_BOND_AD_LACP_RATE, IFLA_BOND_AD_SELECT, IFLA_BOND_ARP_INTERVAL, IFLA_BOND_DOWNDELAY,
  IFLA_BOND_FAIL_OVER_MAC, IFLA_BOND_MIIMON, IFLA_BOND_MIN_LINKS, IFLA_BOND_MODE, IFLA_BOND_PRIMARY, IFLA_BOND_PRIMARY_RESELECT,
  IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, IFLA_BOND_SLAVE_MII_STATUS, IFLA_BOND_SLAVE_PERM_HWADDR, IFLA_BOND_SLAVE_QUEUE_ID,
  IFLA_BOND_SLAVE_STATE, IFLA_BOND_UPDELAY, IFLA_BOND_USE_CARRIER, IFLA_BOND_XMIT_HASH_POLICY,
} from '../constants.ts';
import { decodeFields, fieldSpec } from './fields.ts';
import type { LinkKindCodec } from './kind.ts';

export interface BondOptions {
  /** BOND_MODE_*. */
  mode?: number;
  /** ifindex of the active member (active-backup). */
  activeSlave?: number;
  miimonMs?: number;
  updelayMs?: number;
  downdelayMs?: number;
  useCarrier?: boolean;
  arpIntervalMs?: number;
  /** ifindex of the primary member; 0 for none. */
  primary?: number;
  primaryReselect?: number;
  failOverMac?: number;
  /** BOND_XMIT_POLICY_*. */
  xmitHashPolicy?: number;
  minLinks?: number;
  /** BOND_LACP_RATE_*. */
  lacpRate?: number;
  adSelect?: number;
}

export interface BondSlaveInfo {
  /** BOND_STATE_ACTIVE or BOND_STATE_BACKUP. */
  state?: number;
  /** BOND_LINK_*. */
  miiStatus?: number;
  linkFailureCount?: number;
  permHwaddr?: string;
  queueId?: number;
}

function encodeBond(e: AttributeEncoder, o: BondOptions): void {
  if (o.mode !== undefined) e.u8(IFLA_BOND_MODE, o.mode);
  if (o.activeSlave !== undefined) e.u32(IFLA_BOND_ACTIVE_SLAVE, o.activeSlave);
  if (o.miimonMs !== undefined) e.u32(IFLA_BOND_MIIMON, o.miimonMs);
  if (o.updelayMs !== undefined) e.u32(IFLA_BOND_UPDELAY, o.updelayMs);
  if (o.downdelayMs !== undefined) e.u32(IFLA_BOND_DOWNDELAY, o.downdelayMs);
  if (o.useCarrier !== undefined) e.u8(IFLA_BOND_USE_CARRIER, o.useCarrier ? 1 : 0);
  if (o.arpIntervalMs !== undefined) e.u32(IFLA_BOND_ARP_INTERVAL, o.arpIntervalMs);
  if (o.primary !== undefined) e.u32(IFLA_BOND_PRIMARY, o.primary);
  if (o.primaryReselect !== undefined) e.u8(IFLA_BOND_PRIMARY_RESELECT, o.primaryReselect);
  if (o.failOverMac !== undefined) e.u8(IFLA_BOND_FAIL_OVER_MAC, o.failOverMac);
  if (o.xmitHashPolicy !== undefined) e.u8(IFLA_BOND_XMIT_HASH_POLICY, o.xmitHashPolicy);
  if (o.minLinks !== undefined) e.u32(IFLA_BOND_MIN_LINKS, o.minLinks);
  if (o.lacpRate !== undefined) e.u8(IFLA_BOND_AD_LACP_RATE, o.lacpRate);
  if (o.adSelect !== undefined) e.u8(IFLA_BOND_AD_SELECT, o.adSelect);
}

const BOND_SPEC = fieldSpec([
  [IFLA_BOND_MODE, 'mode', 'u8'], [IFLA_BOND_ACTIVE_SLAVE, 'activeSlave', 'u32'], [IFLA_BOND_MIIMON, 'miimonMs', 'u32'],
  [IFLA_BOND_UPDELAY, 'updelayMs', 'u32'], [IFLA_BOND_DOWNDELAY, 'downdelayMs', 'u32'], [IFLA_BOND_USE_CARRIER, 'useCarrier', 'bool'],
  [IFLA_BOND_ARP_INTERVAL, 'arpIntervalMs', 'u32'], [IFLA_BOND_PRIMARY, 'primary', 'u32'], [IFLA_BOND_PRIMARY_RESELECT, 'primaryReselect', 'u8'],
  [IFLA_BOND_FAIL_OVER_MAC, 'failOverMac', 'u8'], [IFLA_BOND_XMIT_HASH_POLICY, 'xmitHashPolicy', 'u8'], [IFLA_BOND_MIN_LINKS, 'minLinks', 'u32'],
  [IFLA_BOND_AD_LACP_RATE, 'lacpRate', 'u8'], [IFLA_BOND_AD_SELECT, 'adSelect', 'u8'],
]);
const BOND_SLAVE_SPEC = fieldSpec([
  [IFLA_BOND_SLAVE_STATE, 'state', 'u8'], [IFLA_BOND_SLAVE_MII_STATUS, 'miiStatus', 'u8'],
  [IFLA_BOND_SLAVE_LINK_FAILURE_COUNT, 'linkFailureCount', 'u32'], [IFLA_BOND_SLAVE_PERM_HWADDR, 'permHwaddr', 'mac'],
  [IFLA_BOND_SLAVE_QUEUE_ID, 'queueId', 'u16'],
]);

export const bondCodec: LinkKindCodec = {
  kinds: ['bond'],
  encode(data, info) {
    if (info.kind === 'bond' && info.bond) encodeBond(data, info.bond);
  },
  decode(link, p, start, end) {
    link.bond = decodeFields<BondOptions>(p, start, end, BOND_SPEC);
  },
  decodeMember(link, p, start, end) {
    link.bondSlave = decodeFields<BondSlaveInfo>(p, start, end, BOND_SLAVE_SPEC);
  },
};
