// The LVS part of a config transaction: the services, checks and sync of the new config through
// the running LVS part (lvs.ts applyConfig: only what differs is written to IPVS, a kernel refusal
// leaves the old config running and refuses the transaction). It follows vrrp: the VIPs decide
// where ha_suspend services check, and lvs.sync follows a VRRP unit by default.
import type { PartApplier } from '../apply/index.ts';
import type { LvsHandle } from './lvs.ts';

export function lvsApplier(lvs: LvsHandle): PartApplier {
  return {
    part: 'lvs',
    follows: ['vrrp'],
    apply: (previous, next) => lvs.applyConfig(previous, next),
  };
}
