// Which config fields of a VRRP instance restart it on a config apply, and only here: the engine's
// needsRestart() compares what each becomes in the engine's configuration, and `config plan`
// (src/apply/parts.ts) lists the same keys as "restarts". The protocol lets priority, VIPs, timers,
// preemption, tracking and notify change on a running instance (RFC 9568 6.4.1: a new priority is
// simply advertised); its identity on the wire and to its peer does not.
import type { AuthKeys } from './auth.ts';
import type { EngineInstanceConfig } from './engine.ts';

/** What the field becomes in the engine (compared as JSON), or 'shell': the I/O shell restarts it. */
export type RestartProbe = ((c: EngineInstanceConfig) => unknown) | 'shell';

const authOf = (a: AuthKeys | undefined): unknown => a && {
  active: a.activeKeyId, skew: a.maxClockSkewMs ?? null, keys: [...a.keys].map(([id, secret]) => [id, Buffer.from(secret).toString('hex')]),
};

export const VRRP_RESTART_FIELDS: Readonly<Record<string, RestartProbe>> = {
  interface: (c) => c.interface,
  vrid: (c) => c.vrid,
  version: (c) => c.version,
  checksum: (c) => c.receive.checksum,
  unicast_peers: (c) => c.receive.unicastPeers,
  password: (c) => (c.receive.v2Password ? [...c.receive.v2Password] : null),
  authentication: (c) => authOf(c.auth),
  // A pair (or one unicast peer, or accelerated failover) takes over at once on priority 0.
  pair: (c) => c.pairOnly,
  // The virtual MAC interface is made and deleted by the shell (run.ts).
  use_vmac: 'shell',
  vmac_interface: 'shell',
};

/** What a restart means for the operator, one line (`config plan` prints it). */
export const VRRP_RESTART_MEANS = 'goes through INIT: a MASTER gives up its VIPs until it is elected again';

/** An instance's identity on the wire or to its peer changed: it must restart. */
export function needsRestart(a: EngineInstanceConfig, b: EngineInstanceConfig): boolean {
  return Object.values(VRRP_RESTART_FIELDS).some((probe) => probe !== 'shell' && JSON.stringify(probe(a)) !== JSON.stringify(probe(b)));
}
