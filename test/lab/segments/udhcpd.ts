// udhcpd runs detached from the daemon that started it (it outlives a kill -9, to be adopted):
// the segments' lab tests kill the ones started with their own run directory, by pidfile, on
// every exit path.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function killUdhcpds(run: string): void {
  const dir = join(run, 'stockade', 'dhcpd');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pid'));
  } catch {
    return;
  }
  for (const n of names) {
    try {
      const pid = Number(readFileSync(join(dir, n), 'utf8').trim());
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // Only a udhcpd started with this run directory's config.
      if (argv.includes('udhcpd') && argv.includes(dir)) process.kill(pid, 'SIGKILL');
    } catch { /* gone */ }
  }
}

/** A udhcpc script that puts the leased address (and the router as default route) on the interface. */
export const UDHCPC_SCRIPT = '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" && { [ -z "$router" ] || ip route replace default via "$router"; } ;; esac\nexit 0\n';
