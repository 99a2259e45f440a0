// The LVS part of a config transaction: the services, checks and sync of the new config through
// the running LVS part (lvs.ts applyConfig: only what differs is written to IPVS, a kernel refusal
// leaves the old config running and refuses the transaction). It does not follow vrrp: a VRRP
// change alone keeps the checks' view of which VIPs VRRP carries (ha_suspend) and the followed
// sync unit until the next lvs change or restart.
import type { PartApplier } from '../apply/index.ts';
import type { LvsHandle } from './lvs.ts';

export function lvsApplier(lvs: LvsHandle): PartApplier {
  return {
    part: 'lvs',
    apply: (previous, next) => lvs.applyConfig(previous, next),
  };
}
