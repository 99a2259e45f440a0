// What the SSH server runs with, from the config (pure): whether it runs at all, the addresses
// and port dropbear listens on, the authorized_keys text and dropbear's argv. Keys only: dropbear
// refuses passwords (-s), and no forwarding is offered (-j -k): the box is managed, not a jump host.
import type { Config } from '../config/index.ts';

/** dropbear listens on at most this many -p addresses (its MAX_LISTEN_ADDR). */
const MAX_LISTEN = 10;
/** dropbear -I: seconds without traffic before a session is closed. */
const IDLE_S = 1800;

export interface SshPlan {
  readonly enabled: boolean;
  /** Why SSH is off (when it is). */
  readonly why: string;
  readonly port: number;
  /** dropbear's -p values: ADDRESS:PORT, or PORT alone for every address. */
  readonly listen: readonly string[];
  /** Why it listens on every address rather than the management interfaces' own. */
  readonly listenNote?: string;
  /** The authorized_keys file: one key a line. */
  readonly authorizedKeys: string;
  readonly hostKeyFile: string;
  /** dropbear's arguments (the program not included). */
  readonly argv: readonly string[];
}

/** The authorized_keys text for these keys: one a line. */
export const authorizedKeysText = (keys: readonly string[]): string => keys.map((k) => `${k}\n`).join('');

export function sshEnabled(config: Config): boolean {
  return config.management.interfaces.length > 0 && config.management.ssh_authorized_keys.length > 0;
}

export function sshPlan(config: Config, hostKeyFile: string): SshPlan {
  const m = config.management;
  const port = m.ssh_port;
  const authorizedKeys = authorizedKeysText(m.ssh_authorized_keys);
  if (!sshEnabled(config)) {
    const why = m.interfaces.length === 0 ? 'no management interface (management.interfaces)' : 'no key in management.ssh_authorized_keys';
    return { enabled: false, why, port, listen: [], authorizedKeys, hostKeyFile, argv: [] };
  }
  const listen: string[] = [];
  let listenNote: string | undefined;
  for (const ifname of m.interfaces) {
    const entry = config.addresses.find((a) => a.interface === ifname);
    if (!entry || entry.static.length === 0 || entry.dhcp) {
      listenNote = `${ifname} has ${entry?.dhcp ? 'a DHCP address' : 'no static address'}`;
      break;
    }
    for (const cidr of entry.static) listen.push(`${cidr.split('/')[0]}:${port}`);
  }
  if (listenNote === undefined && listen.length > MAX_LISTEN) listenNote = `more than ${MAX_LISTEN} management addresses`;
  // Every address then; the firewall's system rules still let SSH in on the management interfaces only.
  const where = listenNote === undefined ? listen : [String(port)];
  // -I: a session with no traffic for IDLE_S ends, so forgotten sessions (each a console
  // process) do not pile up; the menu's own idle logout only goes back to its login prompt.
  const argv = ['-F', '-E', '-s', '-g', '-j', '-k', '-m', '-I', String(IDLE_S), '-r', hostKeyFile, ...where.flatMap((p) => ['-p', p])];
  return { enabled: true, why: '', port, listen: where, ...(listenNote !== undefined ? { listenNote } : {}), authorizedKeys, hostKeyFile, argv };
}

/** Where dropbear listens for `config` (its -p values: the port and the management addresses). */
export function sshListen(config: Config): readonly string[] {
  return sshPlan(config, '').listen;
}
