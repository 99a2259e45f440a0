// Bridge options (IFLA_BR_*) and a member's port state (IFLA_BRPORT_*).
import type { AttributeEncoder } from '../../netlink/attributes.ts';
import {
  IFLA_BR_AGEING_TIME, IFLA_BR_FORWARD_DELAY, IFLA_BR_HELLO_TIME, IFLA_BR_MAX_AGE, IFLA_BR_NF_CALL_IPTABLES, IFLA_BR_PRIORITY,
  IFLA_BR_STP_STATE, IFLA_BR_VLAN_DEFAULT_PVID, IFLA_BR_VLAN_FILTERING, IFLA_BR_VLAN_PROTOCOL, IFLA_BRPORT_COST,
  IFLA_BRPORT_PRIORITY, IFLA_BRPORT_STATE,
} from '../constants.ts';
import { decodeFields, fieldSpec } from './fields.ts';
import type { LinkKindCodec } from './kind.ts';

export interface BridgeOptions {
  /** Times in clock_t: 1/100 s (BR_CLOCK_T_PER_S). */
  forwardDelayCs?: number;
  helloTimeCs?: number;
  maxAgeCs?: number;
  ageingTimeCs?: number;
  /** 0 off, 1 kernel STP, 2 user STP. */
  stpState?: number;
  priority?: number;
  vlanFiltering?: boolean;
  /** Ethertype (ETH_P_8021Q). */
  vlanProtocol?: number;
  vlanDefaultPvid?: number;
  nfCallIptables?: boolean;
}

export interface BridgePortInfo {
  /** BR_STATE_*. */
  state?: number;
  priority?: number;
  cost?: number;
}

function encodeBridge(e: AttributeEncoder, o: BridgeOptions): void {
  if (o.forwardDelayCs !== undefined) e.u32(IFLA_BR_FORWARD_DELAY, o.forwardDelayCs);
  if (o.helloTimeCs !== undefined) e.u32(IFLA_BR_HELLO_TIME, o.helloTimeCs);
  if (o.maxAgeCs !== undefined) e.u32(IFLA_BR_MAX_AGE, o.maxAgeCs);
  if (o.ageingTimeCs !== undefined) e.u32(IFLA_BR_AGEING_TIME, o.ageingTimeCs);
  if (o.stpState !== undefined) e.u32(IFLA_BR_STP_STATE, o.stpState);
  if (o.priority !== undefined) e.u16(IFLA_BR_PRIORITY, o.priority);
  if (o.vlanFiltering !== undefined) e.u8(IFLA_BR_VLAN_FILTERING, o.vlanFiltering ? 1 : 0);
  if (o.vlanProtocol !== undefined) e.be16(IFLA_BR_VLAN_PROTOCOL, o.vlanProtocol);
  if (o.vlanDefaultPvid !== undefined) e.u16(IFLA_BR_VLAN_DEFAULT_PVID, o.vlanDefaultPvid);
  if (o.nfCallIptables !== undefined) e.u8(IFLA_BR_NF_CALL_IPTABLES, o.nfCallIptables ? 1 : 0);
}

const BRIDGE_SPEC = fieldSpec([
  [IFLA_BR_FORWARD_DELAY, 'forwardDelayCs', 'u32'], [IFLA_BR_HELLO_TIME, 'helloTimeCs', 'u32'], [IFLA_BR_MAX_AGE, 'maxAgeCs', 'u32'],
  [IFLA_BR_AGEING_TIME, 'ageingTimeCs', 'u32'], [IFLA_BR_STP_STATE, 'stpState', 'u32'], [IFLA_BR_PRIORITY, 'priority', 'u16'],
  [IFLA_BR_VLAN_FILTERING, 'vlanFiltering', 'bool'], [IFLA_BR_VLAN_PROTOCOL, 'vlanProtocol', 'be16'],
  [IFLA_BR_VLAN_DEFAULT_PVID, 'vlanDefaultPvid', 'u16'], [IFLA_BR_NF_CALL_IPTABLES, 'nfCallIptables', 'bool'],
]);
const BRIDGE_PORT_SPEC = fieldSpec([[IFLA_BRPORT_STATE, 'state', 'u8'], [IFLA_BRPORT_PRIORITY, 'priority', 'u16'], [IFLA_BRPORT_COST, 'cost', 'u32']]);

export const bridgeCodec: LinkKindCodec = {
  kinds: ['bridge'],
  encode(data, info) {
    if (info.kind === 'bridge' && info.bridge) encodeBridge(data, info.bridge);
  },
  decode(link, p, start, end) {
    link.bridge = decodeFields<BridgeOptions>(p, start, end, BRIDGE_SPEC);
  },
  decodeMember(link, p, start, end) {
    link.bridgePort = decodeFields<BridgePortInfo>(p, start, end, BRIDGE_PORT_SPEC);
  },
};
