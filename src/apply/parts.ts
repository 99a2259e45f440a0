// The parts a config transaction changes, which config sections each owns, and what a change
// means on the running box. This table is the transaction's contract: `config plan` prints it
// and the daemon's live apply must do what it says (an instance planned "in place" keeps its
// state and its VIPs; "restarts" goes through INIT).
export const PART_NAMES = ['net', 'firewall', 'segments', 'lvs', 'vrrp', 'sync', 'console', 'upgrade', 'management'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** Top-level config sections per part; `version` and `$schema` belong to none. */
export const PART_SECTIONS: Readonly<Record<PartName, readonly string[]>> = {
  net: ['system', 'interfaces', 'addresses', 'routes', 'routing_rules', 'sysctls', 'modules'],
  firewall: ['firewall'],
  segments: ['segments'],
  lvs: ['lvs'],
  vrrp: ['vrrp'],
  sync: ['sync'],
  console: ['console'],
  upgrade: ['upgrade'],
  management: ['management'],
};

export type Effect = 'in place' | 'restarts';

export interface EffectRule {
  readonly section: string;
  /** The named list whose items the rule is for (e.g. `instances`); absent: the whole section. */
  readonly list?: string;
  /** Fields whose change restarts the item; a change to any other field is applied in place. */
  readonly restartOn: readonly string[];
  /** What a restart means for the operator, one line. */
  readonly restartMeans: string;
}

/**
 * VRRP: the protocol lets priority, VIPs, timers, preemption, tracking and notify change on a
 * running instance (RFC 9568 6.4.1: a new priority is simply advertised); its identity on the wire
 * (interface, VRID, version, vMAC, checksum convention, authentication, unicast peers) does not.
 * Sync: caches are kept unless where or how the peer is reached changes.
 */
export const EFFECT_RULES: Readonly<Partial<Record<PartName, EffectRule>>> = {
  vrrp: {
    section: 'vrrp',
    list: 'instances',
    restartOn: ['interface', 'vrid', 'version', 'use_vmac', 'vmac_interface', 'checksum', 'unicast_peers', 'password', 'authentication', 'pair'],
    restartMeans: 'goes through INIT: a MASTER gives up its VIPs until it is elected again',
  },
  sync: {
    section: 'sync',
    restartOn: ['enabled', 'mode', 'interface', 'transport', 'peer', 'local_address', 'multicast_group', 'port', 'checksum', 'external_cache', 'authentication'],
    restartMeans: 'its caches are dropped and fetched again from the peer',
  },
};

export function ruleFor(part: PartName, section: string, list: string | undefined): EffectRule | undefined {
  const rule = EFFECT_RULES[part];
  return rule !== undefined && rule.section === section && rule.list === list ? rule : undefined;
}
