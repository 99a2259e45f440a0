// The validated config's `sync` section -> the sync driver's options (pure), as vrrp/from-config.ts
// does for VRRP.
import type { Config, Sync } from '../config/index.ts';
import { TCP_CONNTRACK_NAMES } from '../kernel/ctnetlink/index.ts';
import { PROTOCOL_NUMBERS } from './protocols.ts';
import type { SyncDriverOptions } from './shell/driver.ts';

/** Our own address on the sync link: local_address, else the interface's first static address. */
export function syncLocalAddress(config: Config, sync: Sync): string | undefined {
  if (sync.local_address !== undefined) return sync.local_address;
  const entry = config.addresses.find((a) => a.interface === sync.interface);
  return entry?.static[0]?.split('/')[0];
}

/**
 * The box's own addresses, which conntrack sync never replicates (its own connections, e.g. VRRP
 * adverts or a management session to a VIP, mean nothing to the peer): every static address
 * and every VRRP VIP, as hosts.
 */
export function ownAddresses(config: Config): string[] {
  const own = [
    ...config.addresses.flatMap((a) => a.static),
    ...(config.vrrp?.instances ?? []).flatMap((i) => i.vips),
  ].map((a) => a.split('/')[0]!);
  return [...new Set(own)];
}

/**
 * The LVS-NAT virtual services by address: their connections are synced although the VIP is an
 * own address (filter.ts), with the real server as the reply source (convert.ts).
 */
export function lvsNatDestinations(config: Config): Array<{ proto: number; address: string; port: number }> {
  return config.lvs.virtual_services.flatMap((vs) => (vs.method === 'nat' && vs.address !== undefined && vs.port !== undefined
    ? [{ proto: PROTOCOL_NUMBERS[vs.protocol]!, address: vs.address, port: vs.port }] : []));
}

/** The driver's options from a validated config (pure). */
export function syncDriverOptions(config: Config, sync: Sync): SyncDriverOptions {
  const local = syncLocalAddress(config, sync);
  if (local === undefined) throw new Error(`sync: ${sync.interface} has no static address`);
  const multicast = sync.transport === 'multicast';
  if (!multicast && sync.peer === undefined && !sync.stats_only) throw new Error('sync: no peer (transport udp)');
  const tcpStates = sync.tcp_states?.map((s) => TCP_CONNTRACK_NAMES.indexOf(s));
  const keepDestinations = lvsNatDestinations(config);
  return {
    local,
    device: sync.interface,
    peer: sync.peer ?? '',
    port: sync.port,
    ...(multicast ? { multicastGroup: sync.multicast_group } : {}),
    mode: sync.mode,
    filter: {
      ignoreAddresses: [...sync.ignore_addresses, ...ownAddresses(config)],
      ignoreProtocols: sync.ignore_protocols.map((p) => PROTOCOL_NUMBERS[p]!),
      ...(tcpStates !== undefined ? { tcpStates } : {}),
      ...(keepDestinations.length > 0 ? { keepDestinations } : {}),
    },
    ...(sync.authentication !== undefined
      ? { authKey: Buffer.from(sync.authentication.key, 'base64'), replayWindow: sync.authentication.replay_window }
      : {}),
    ackWindow: sync.ack_window,
    resendQueueSize: sync.resend_queue_size,
    cacheLimit: sync.hash_limit,
    ...(sync.commit_timeout_s !== undefined ? { commitTimeout: sync.commit_timeout_s } : {}),
    eventBuffer: sync.event_buffer_bytes,
    eventBufferMax: sync.event_buffer_max_bytes,
    startupResync: sync.startup_resync,
    externalCache: sync.external_cache,
    statsOnly: sync.stats_only,
  };
}
