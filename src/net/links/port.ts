// Ports (NICs, by label): never created or deleted; a same-named stacked link is a conflict.
import type { DesiredPort } from '../desired.ts';
import type { LinkKind } from './kind.ts';

/** Stacked kinds: never a port. */
const STACKED = new Set(['bond', 'bridge', 'vlan', 'macvlan', 'macvtap', 'ipvlan', 'team', 'vrf']);

export const port: LinkKind<DesiredPort> = {
  kind: 'port',
  identityMismatch: (_d, a) => (a.kind !== undefined && STACKED.has(a.kind) ? `the interface of that name is a ${a.kind}, not a NIC` : undefined),
  conflict: (d, _a, why) => `port ${d.name}: ${why}`,
  missing: (d) => `port ${d.name}: no such interface; it and what is configured on it are skipped`,
};
