// A link's MAC address and state from sysfs (/sys/class/net/<name>/), for boot's summary: a few
// small reads, no netlink socket or addon needed. Under `ip netns exec` /sys shows the
// namespace's links.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { linkState, type LinkState as FlagsState } from './rtnetlink/link-state.ts';

export type LinkState = FlagsState | 'missing';

export interface LinkStatus {
  readonly name: string;
  readonly state: LinkState;
  readonly mac?: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function linkStatus(name: string, sysNetDir = '/sys/class/net'): LinkStatus {
  const dir = join(sysNetDir, name);
  const flags = read(join(dir, 'flags'));
  if (flags === undefined || name.includes('/') || name === '.' || name === '..') return { name, state: 'missing' };
  const mac = read(join(dir, 'address'));
  const base = { name, ...(mac ? { mac } : {}) };
  // sysfs flags have no IFF_LOWER_UP; carrier reads 1 or 0 on an up link (EINVAL on a down one).
  return { ...base, state: linkState(Number.parseInt(flags, 16), () => read(join(dir, 'carrier')) === '1') };
}
