// Chain names for a segment's rules. iptables allows 28 characters, a segment name may have 32:
// the name is hashed (FNV-1a, 32 bits) so that a chain's name stays the same when other
// segments or groups come and go, and a change rewrites only its own chains.
export function nameHash(name: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The segment's FORWARD chain: traffic to its range, dispatched to the groups' chains. */
export const forwardChain = (segment: string): string => `STOCKADE-SF-${nameHash(segment)}`;
/** One group's chain: what its rules let in. */
export const groupChain = (segment: string, id: number): string => `STOCKADE-SG-${nameHash(segment)}-${id}`;
/** managed_novlan: what may come in on the shared interface (each host's fixed address from its MAC). */
export const spoofChain = (segment: string): string => `STOCKADE-SA-${nameHash(segment)}`;
/** DNAT (public -> private) for pool block `k`, jumped to from nat PREROUTING and OUTPUT. */
export const dnatChain = (segment: string, k: number): string => `STOCKADE-SD-${nameHash(segment)}-${k}`;
/** SNAT (private -> public) for pool block `k`. */
export const snatChain = (segment: string, k: number): string => `STOCKADE-SS-${nameHash(segment)}-${k}`;
