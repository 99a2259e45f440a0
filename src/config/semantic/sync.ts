// Conntrack sync: a usable link with a fixed address, a peer on that link (udp) or a real
// multicast group, and the VRRP group or instance that decides which box commits.
import { Checker, pointer } from './context.ts';
import { formatIpv4, isMulticast, parseIpv4 } from '../../common/index.ts';
import { didYouMean } from '../suggest.ts';

export function checkSync(c: Checker): void {
  const sync = c.config.sync;
  if (sync === undefined) return;
  const at = (key: string): string => pointer('sync', key);

  const iface = c.ref(at('interface'), sync.interface);
  const statics = c.subnets(sync.interface);
  if (iface && statics.length === 0) {
    c.fail(at('interface'), 'an interface with a static address (the sync link needs a fixed address)', `add a static address for ${sync.interface} under addresses`);
  }
  if (sync.local_address !== undefined && iface && statics.length > 0) {
    const local = parseIpv4(sync.local_address);
    if (!statics.some((s) => s.prefix.address === local)) {
      c.fail(at('local_address'), `a static address of ${sync.interface} (${statics.map((s) => formatIpv4(s.prefix.address)).join(', ')})`);
    }
  }

  if (sync.transport === 'udp') {
    if (sync.peer === undefined) {
      // Statistics only (conntrackd -S) talks to no peer.
      if (!sync.stats_only) c.fail(at('peer'), "the peer's address on the sync link (required for transport udp)");
    } else if (iface) {
      c.neighbour(at('peer'), sync.peer, 'the sync peer', { interface: sync.interface, onLink: true });
    }
  } else {
    const group = parseIpv4(sync.multicast_group);
    if (group !== undefined && !isMulticast(group)) {
      c.fail(at('multicast_group'), 'a multicast address (224.0.0.0/4), like 225.0.0.50');
    }
    if (sync.peer !== undefined) c.fail(at('peer'), 'no peer with transport multicast', 'set "transport": "udp" to sync with one peer');
  }

  const groups = c.config.vrrp.sync_groups.map((g) => g.name);
  const instances = c.config.vrrp.instances.map((x) => x.name);
  const names = [...groups, ...instances];
  if (sync.vrrp_group !== undefined) {
    if (!names.includes(sync.vrrp_group)) {
      c.fail(
        at('vrrp_group'),
        'the name of a VRRP sync group or instance',
        didYouMean(sync.vrrp_group, names) ?? (names.length ? `defined: ${names.join(', ')}` : 'no VRRP instances are defined'),
      );
    }
  } else if (instances.length > 0 && !sync.stats_only) {
    c.fail(
      at('vrrp_group'),
      'the VRRP sync group or instance whose master commits the synced connections (required with VRRP)',
      names.length ? `one of: ${names.join(', ')}` : undefined,
    );
  }
  sync.ignore_addresses.forEach((text, i) => c.network(pointer('sync', 'ignore_addresses', i), text));

  // Lists are sets (the validator is standalone and has no uniqueItems).
  const firstRepeat = (xs: readonly string[]): number => xs.findIndex((x, i) => xs.indexOf(x) !== i);
  const p = firstRepeat(sync.ignore_protocols);
  if (p >= 0) c.fail(pointer('sync', 'ignore_protocols', p), 'each protocol once', `${sync.ignore_protocols[p]} is listed twice`);
  if (sync.tcp_states !== undefined) {
    const t = firstRepeat(sync.tcp_states);
    if (t >= 0) c.fail(pointer('sync', 'tcp_states', t), 'each state once', `${sync.tcp_states[t]} is listed twice`);
  }
  if (sync.event_buffer_max_bytes < sync.event_buffer_bytes) {
    c.fail(at('event_buffer_max_bytes'), `at least event_buffer_bytes (${sync.event_buffer_bytes})`);
  }
  if (sync.authentication !== undefined) {
    const key = Buffer.from(sync.authentication.key, 'base64');
    if (key.length < 32) {
      c.fail(pointer('sync', 'authentication', 'key'), 'a base64 key of at least 32 bytes', `it decodes to ${key.length} bytes; make one with: openssl rand -base64 32`);
    }
  }
}
