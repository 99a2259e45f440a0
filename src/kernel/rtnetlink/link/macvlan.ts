// macvlan (and macvtap) options (IFLA_MACVLAN_*).
import { IFLA_MACVLAN_FLAGS, IFLA_MACVLAN_MODE } from '../constants.ts';
import { decodeFields, fieldSpec } from './fields.ts';
import type { LinkKindCodec } from './kind.ts';

export interface MacvlanOptions {
  /** MACVLAN_MODE_*. */
  mode?: number;
  flags?: number;
}

const MACVLAN_SPEC = fieldSpec([[IFLA_MACVLAN_MODE, 'mode', 'u32'], [IFLA_MACVLAN_FLAGS, 'flags', 'u16']]);

export const macvlanCodec: LinkKindCodec = {
  kinds: ['macvlan', 'macvtap'],
  encode(data, info) {
    if (info.kind !== 'macvlan' || !info.macvlan) return;
    if (info.macvlan.mode !== undefined) data.u32(IFLA_MACVLAN_MODE, info.macvlan.mode);
    if (info.macvlan.flags !== undefined) data.u16(IFLA_MACVLAN_FLAGS, info.macvlan.flags);
  },
  decode(link, p, start, end) {
    link.macvlan = decodeFields<MacvlanOptions>(p, start, end, MACVLAN_SPEC);
  },
};
