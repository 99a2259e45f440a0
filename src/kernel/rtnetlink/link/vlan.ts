// 802.1Q VLAN options (IFLA_VLAN_*).
import { indexAttributes, wantedTypes, type AttributeEncoder } from '../../netlink/attributes.ts';
import { IFLA_VLAN_FLAGS, IFLA_VLAN_ID, IFLA_VLAN_PROTOCOL } from '../constants.ts';
import { decodeFields, fieldSpec } from './fields.ts';
import type { LinkKindCodec } from './kind.ts';

export interface VlanOptions {
  id: number;
  /** Ethertype; ETH_P_8021Q when absent. */
  protocol?: number;
  flags?: { flags: number; mask: number };
}

function encodeVlan(e: AttributeEncoder, o: VlanOptions): void {
  e.u16(IFLA_VLAN_ID, o.id);
  if (o.protocol !== undefined) e.be16(IFLA_VLAN_PROTOCOL, o.protocol);
  if (o.flags !== undefined) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(o.flags.flags >>> 0, 0);
    b.writeUInt32LE(o.flags.mask >>> 0, 4);
    e.bytes(IFLA_VLAN_FLAGS, b);
  }
}

const VLAN_SPEC = fieldSpec([[IFLA_VLAN_ID, 'id', 'u16'], [IFLA_VLAN_PROTOCOL, 'protocol', 'be16']]);
const FLAGS_TYPES = wantedTypes([IFLA_VLAN_FLAGS]);
const flagsAt = new Int32Array(2 * FLAGS_TYPES.length);

function decodeVlan(p: Buffer, start: number, end: number): VlanOptions {
  const o: VlanOptions = { id: 0, ...decodeFields<Partial<VlanOptions>>(p, start, end, VLAN_SPEC) };
  // (IFLA_VLAN_FLAGS is not in VLAN_SPEC: a struct of two u32, read only when whole.)
  indexAttributes(p, start, end, FLAGS_TYPES, flagsAt);
  const s = flagsAt[2 * IFLA_VLAN_FLAGS]!;
  if (s >= 0 && flagsAt[2 * IFLA_VLAN_FLAGS + 1]! - s >= 8) o.flags = { flags: p.readUInt32LE(s), mask: p.readUInt32LE(s + 4) };
  return o;
}

export const vlanCodec: LinkKindCodec = {
  kinds: ['vlan'],
  encode(data, info) {
    if (info.kind === 'vlan') encodeVlan(data, info.vlan);
  },
  decode(link, p, start, end) {
    link.vlan = decodeVlan(p, start, end);
  },
};
