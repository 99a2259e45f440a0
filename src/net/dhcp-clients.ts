// Keeping one DHCP client (busybox udhcpc, src/kernel/udhcpc.ts) per interface the config gives
// `"dhcp": true`: `net apply` (and boot) starts the missing ones after the reconcile, and before
// it stops those of interfaces that are no longer DHCP and takes their leases off (first, so that
// a static address replacing a lease in the same subnet is not deleted with it as a secondary).
import { AF_INET, RTPROT_STOCKADE_DHCP, type RtnlApi } from '../kernel/rtnetlink/index.ts';
import { runningUdhcpc, startUdhcpc, stopUdhcpc, udhcpcPidfileInterfaces } from '../kernel/index.ts';
import { clearDhcp } from './dhcp-event.ts';

/** The DHCP clients as processes; udhcpcClients in production, a fake in tests. */
export interface DhcpClientApi {
  /** PID of the client running for the interface, if any. */
  running(ifname: string): number | undefined;
  /** Interfaces that have (or had) a client: their pidfiles. */
  known(): string[];
  /** Starts one; returns its PID. */
  start(ifname: string): number;
  /** Stops it; returns the PID it had, if it was running. */
  stop(ifname: string): Promise<number | undefined>;
}

export const udhcpcClients: DhcpClientApi = {
  running: (ifname) => runningUdhcpc(ifname),
  known: () => udhcpcPidfileInterfaces(),
  start: (ifname) => startUdhcpc(ifname),
  stop: (ifname) => stopUdhcpc(ifname),
};

/**
 * Stops the clients of interfaces that are not DHCP in the config, and removes the DHCP-marked
 * addresses and routes of those interfaces (also where no client runs any more). One line per thing done.
 */
export async function stopStaleDhcpClients(dhcp: readonly string[], kernel: RtnlApi, clients: DhcpClientApi): Promise<string[]> {
  const keep = new Set(dhcp);
  const done: string[] = [];
  for (const ifname of clients.known()) {
    if (keep.has(ifname)) continue;
    const pid = await clients.stop(ifname);
    if (pid !== undefined) done.push(`stopped the DHCP client on ${ifname} (pid ${pid}): no longer DHCP in the config`);
  }
  const marked = new Set<number>();
  for (const a of await kernel.addresses(AF_INET)) if (a.protocol === RTPROT_STOCKADE_DHCP) marked.add(a.index);
  for (const r of await kernel.routes(AF_INET, { protocol: RTPROT_STOCKADE_DHCP })) if (r.oif !== undefined) marked.add(r.oif);
  if (marked.size === 0) return done;
  for (const l of await kernel.links()) {
    if (!marked.has(l.index) || keep.has(l.name)) continue;
    done.push(...(await clearDhcp(kernel, l.name, l.index)).map((d) => `${d} (a DHCP lease; no longer DHCP in the config)`));
  }
  return done;
}

/** Starts a client for each DHCP interface that has none running. */
export async function startDhcpClients(dhcp: readonly string[], kernel: RtnlApi, clients: DhcpClientApi): Promise<string[]> {
  const done: string[] = [];
  for (const ifname of dhcp) {
    if (clients.running(ifname) !== undefined) continue;
    if ((await kernel.link(ifname)) === undefined) {
      done.push(`no DHCP client on ${ifname}: no such interface`);
      continue;
    }
    const pid = clients.start(ifname);
    done.push(`started the DHCP client on ${ifname} (udhcpc, pid ${pid})`);
  }
  return done;
}
