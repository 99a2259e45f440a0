// The box's DNS resolver settings: system.nameservers (with system.domain and
// system.search_domains) written to resolv.conf (/run/resolv.conf; the image's /etc/resolv.conf
// links there). Configured name servers win over a DHCP lease's: the file says it is the
// config's on its first line, and `net dhcp-event` leaves such a file alone (dhcp-event.ts).
// Without configured name servers the file is the DHCP client's; a file of the config's left
// from before is removed, so that the next lease writes its own.
import type { Config } from '../config/index.ts';

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

/** What to do with the file: write this text, remove it (the config's, no longer wanted), or leave it. */
export type ResolvAction = { readonly kind: 'write'; readonly text: string } | { readonly kind: 'remove' } | { readonly kind: 'none' };

export function resolvAction(config: Config, current: string | undefined): ResolvAction {
  const want = configResolvConf(config);
  if (want !== undefined) return want === current ? { kind: 'none' } : { kind: 'write', text: want };
  return isConfigResolvConf(current) ? { kind: 'remove' } : { kind: 'none' };
}
