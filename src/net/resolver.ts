// The box's resolv.conf (/run/resolv.conf; the image's /etc/resolv.conf links there), from the
// config (system.nameservers with system.domain and system.search_domains) or a DHCP lease. Configured name servers win over a DHCP lease's: the file says it is the
// config's on its first line, and `net dhcp-event` leaves such a file alone (leaseResolvAction).
// Without configured name servers the file is the DHCP client's; a file of the config's left
// from before is removed, so that the next lease writes its own. Pure: the file's text in, what
// to write out (net/index.ts reads and writes it).
import type { Config } from '../config/index.ts';
import type { Lease } from './dhcp-event.ts';

/** The first line of a resolv.conf written from the config. */
export const CONFIG_RESOLV_MARK = '# stockade: system.nameservers from the config (DHCP leases do not replace them)';

/** The resolv.conf text for the config, or undefined when it names no name server. */
export function configResolvConf(config: Config): string | undefined {
  const s = config.system;
  if (s.nameservers.length === 0) return undefined;
  const search = s.search_domains.length > 0 ? s.search_domains : s.domain !== undefined ? [s.domain] : [];
  return [
    CONFIG_RESOLV_MARK,
    ...(s.domain !== undefined ? [`domain ${s.domain}`] : []),
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...s.nameservers.map((n) => `nameserver ${n}`),
  ].join('\n') + '\n';
}

/** Whether a resolv.conf's text is the config's (a DHCP lease must not replace it). */
export const isConfigResolvConf = (text: string | undefined): boolean => text !== undefined && text.startsWith(`${CONFIG_RESOLV_MARK}\n`);

/** The resolv.conf text for a lease's name servers (undefined: none offered, leave the file). */
export function resolvConf(lease: Lease): string | undefined {
  if (lease.dns.length === 0) return undefined;
  return `${lease.domain !== undefined ? `search ${lease.domain}\n` : ''}${lease.dns.map((d) => `nameserver ${d}\n`).join('')}`;
}

/** What to do with the file: write this text, remove it (the config's, no longer wanted), or leave it (`kept`: the config's, over a lease). */
export type ResolvAction = { readonly kind: 'write'; readonly text: string } | { readonly kind: 'remove' } | { readonly kind: 'none'; readonly kept?: true };

export function resolvAction(config: Config, current: string | undefined): ResolvAction {
  const want = configResolvConf(config);
  if (want !== undefined) return want === current ? { kind: 'none' } : { kind: 'write', text: want };
  return isConfigResolvConf(current) ? { kind: 'remove' } : { kind: 'none' };
}

/** A lease's name servers over the file, unless it is the config's (those win). */
export function leaseResolvAction(lease: Lease, current: string | undefined): ResolvAction {
  const text = resolvConf(lease);
  if (text === undefined) return { kind: 'none' };
  return isConfigResolvConf(current) ? { kind: 'none', kept: true } : { kind: 'write', text };
}
