// A link's MAC address and state from sysfs (/sys/class/net/<name>/), for boot's summary: a few
// small reads, no netlink socket or addon needed. Under `ip netns exec` /sys shows the
// namespace's links.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IFF_UP } from './rtnetlink/constants.ts';

export type LinkState = 'up' | 'down' | 'no-carrier' | 'missing';

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
  if ((Number.parseInt(flags, 16) & IFF_UP) === 0) return { ...base, state: 'down' };
  // carrier reads 1 or 0 on an up link (EINVAL on a down one).
  return { ...base, state: read(join(dir, 'carrier')) === '1' ? 'up' : 'no-carrier' };
}
