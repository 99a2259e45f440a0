// IP protocol names as the config and conntrack's listings spell them, and their numbers.
import { IPPROTO_DCCP, IPPROTO_ICMP, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE } from './wire/constants.ts';

/** Not in the sync wire constants (GRE carries no ports there). */
export const IPPROTO_GRE = 47;

export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: IPPROTO_ICMP, tcp: IPPROTO_TCP, udp: IPPROTO_UDP, dccp: IPPROTO_DCCP, sctp: IPPROTO_SCTP, udplite: IPPROTO_UDPLITE, gre: IPPROTO_GRE,
};

export function protocolName(n: number): string {
  return Object.entries(PROTOCOL_NUMBERS).find(([, v]) => v === n)?.[0] ?? 'unknown';
}
