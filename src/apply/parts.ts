// The parts a config transaction changes, which config sections each owns, and what a change
// means on the running box. This table is the transaction's contract: `config plan` prints it
// and the daemon's live apply must do what it says (an instance planned "in place" keeps its
// state and its VIPs; "restarts" goes through INIT).
import { VRRP_RESTART_FIELDS, VRRP_RESTART_MEANS } from '../vrrp/index.ts';

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
 * VRRP: the instance fields that restart it are src/vrrp's one table (restart-fields.ts), which the
 * engine's live apply follows too. Sync: caches are kept unless where or how the peer is reached
 * changes, or the bound of a running queue or buffer (they are sized at start); the filter, the
 * commit timeout and the failover settings change in place (src/daemon/sync-apply.ts).
 */
export const EFFECT_RULES: Readonly<Partial<Record<PartName, EffectRule>>> = {
  vrrp: {
    section: 'vrrp',
    list: 'instances',
    restartOn: Object.keys(VRRP_RESTART_FIELDS),
    restartMeans: VRRP_RESTART_MEANS,
  },
  sync: {
    section: 'sync',
    restartOn: [
      'enabled', 'mode', 'interface', 'transport', 'peer', 'local_address', 'multicast_group', 'port', 'checksum', 'external_cache', 'authentication',
      'stats_only', 'ack_window', 'resend_queue_size', 'hash_limit', 'event_buffer_bytes', 'event_buffer_max_bytes',
    ],
    restartMeans: 'its caches are dropped and fetched again from the peer',
  },
};

/**
 * Parts whose settings nothing in the daemon holds: they are read from the saved config where
 * they are used (the console process at each login, `upgrade install` and the trial when they
 * run), so a change needs no live applier and takes effect when the transaction is confirmed.
 */
export const READ_WHEN_USED: ReadonlySet<PartName> = new Set<PartName>(['console', 'upgrade']);

/**
 * Changes the running box does not take: the transaction saves them and boot applies them, so
 * they take effect at the next reboot (`config plan` says so). `fields`: only a change to these
 * fields of an item of `list`; absent: any change in the section.
 */
export interface NextBootRule {
  readonly section: string;
  readonly list?: string;
  readonly fields?: readonly string[];
  /** Why, one clause. */
  readonly why: string;
}

export const NEXT_BOOT_RULES: readonly NextBootRule[] = [
  { section: 'interfaces', list: 'ports', fields: ['nic_mac'], why: 'ports are named at boot; a running link is not renamed' },
  { section: 'modules', why: 'modules are loaded at boot' },
];

export function ruleFor(part: PartName, section: string, list: string | undefined): EffectRule | undefined {
  const rule = EFFECT_RULES[part];
  return rule !== undefined && rule.section === section && rule.list === list ? rule : undefined;
}
