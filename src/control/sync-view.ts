// The sync part of the control socket's answers (`sync.status`, `sync.dump`) as plain JSON, and
// their human forms, which `stockade ctl sync` prints: statistics laid out like conntrackd -s,
// cache entries one a line like conntrack -L (and conntrackd -i / -e).
import { protocolName, type SyncEntry } from '../ctsync/index.ts';
import { IPS_ASSURED, IPS_SEEN_REPLY, TCP_CONNTRACK_NAMES, icmpReplyType } from '../kernel/ctnetlink/index.ts';

export interface SyncCacheCounters {
  active: number; created: number; updated: number; destroyed: number; expired: number; full: number;
}

export interface SyncStatusView {
  running: boolean;
  /** Why sync is not running (not configured, disabled, failed to start). */
  reason?: string;
  mode?: string;
  transport?: string;
  interface?: string;
  local?: string;
  peer?: string;
  port?: number;
  authenticated?: boolean;
  uptimeMs?: number;
  internal?: SyncCacheCounters;
  external?: SyncCacheCounters;
  events?: Record<string, number>;
  filtered?: Record<string, number>;
  bulkSends?: number;
  resyncRequests?: number;
  authDrops?: Record<string, number>;
  /** The mode's protocol counters (FTFW: sequence tracking, ACK/NACK, resends). */
  protocol?: Record<string, number>;
  /** Wire-level drops by reason (malformed, wrong version ...). */
  drops?: Record<string, number>;
  pending?: { tx: number; resend: number; entries: number };
  kernel?: { overruns: number; resyncs: number; ownEvents: number; bufferGrowths: number; eventBuffer: number; injected?: number; injectFailed?: number };
  transportCounters?: { foreign: number; sendErrors: number };
  lastCommit?: SyncCommitView | null;
  /** Every queue, cache and buffer that grows with input: size, bound, what the bound dropped. */
  bounds?: Array<{ name: string; size: number; limit: number; dropped: number }>;
  /** With VRRP: the failover integration (src/daemon/failover.ts). */
  failover?: SyncFailoverView;
}

/** What the failover integration counts (src/daemon/failover.ts keeps them). */
export interface FailoverStats {
  masterCommits: number;
  /** Commits that were still running when the timeout let the VIPs go ahead. */
  commitTimeouts: number;
  commitErrors: number;
  lastCommit: (SyncCommitView & { timedOut: boolean }) | null;
  resyncRequests: number;
  purgesScheduled: number;
  purges: number;
}

export interface SyncFailoverView extends FailoverStats {
  /** The VRRP sync group or instance whose mastership commits. */
  vrrpGroup: string;
  /** Start-up: preempting held until the peer's first bulk sync ('held'), or why it ended. */
  startup: 'held' | 'synced' | 'timeout' | 'not held';
}

export interface SyncCommitView {
  committed: number;
  failed: number;
  /** The first few kernel refusals, for the operator. */
  errors: string[];
  ms: number;
}

export interface SyncEntryView extends Omit<SyncEntry, 'labels'> {
  labels?: string;
  /** Seconds of timeout left now. */
  remainingS: number;
  /** Seconds since the entry entered the cache. */
  activeS: number;
}

export function entryView(e: SyncEntry, remainingS: number, activeS: number): SyncEntryView {
  const { labels, ...rest } = e;
  return { ...rest, ...(labels !== undefined ? { labels: labels.toString('hex') } : {}), remainingS: Math.max(0, Math.floor(remainingS)), activeS: Math.max(0, Math.floor(activeS)) };
}


/** One cache entry as a conntrack -L line (with conntrackd's [active since]). */
export function formatEntry(e: SyncEntryView): string {
  const parts = [`${protocolName(e.proto).padEnd(8)} ${e.proto}`, String(e.remainingS)];
  if (e.tcpState !== undefined) parts.push(TCP_CONNTRACK_NAMES[e.tcpState] ?? String(e.tcpState));
  const l4 = (sport: number | undefined, dport: number | undefined, reply: boolean): string[] => {
    if (e.icmpType !== undefined) {
      return [`type=${reply ? icmpReplyType(e.icmpType, e.proto) : e.icmpType}`, `code=${e.icmpCode ?? 0}`, `id=${e.icmpId ?? 0}`];
    }
    return sport !== undefined && dport !== undefined ? [`sport=${sport}`, `dport=${dport}`] : [];
  };
  parts.push(`src=${e.src}`, `dst=${e.dst}`, ...l4(e.sport, e.dport, false));
  if ((e.status & IPS_SEEN_REPLY) === 0) parts.push('[UNREPLIED]');
  // The reply tuple follows from NAT: replies come from the DNAT target to the SNAT address.
  parts.push(`src=${e.dnat ?? e.dst}`, `dst=${e.snat ?? e.src}`, ...l4(e.dpat ?? e.dport, e.spat ?? e.sport, true));
  if ((e.status & IPS_ASSURED) !== 0) parts.push('[ASSURED]');
  parts.push(`mark=${e.mark ?? 0}`);
  if (e.zone !== undefined && e.zone !== 0) parts.push(`zone=${e.zone}`);
  if (e.helper !== undefined) parts.push(`helper=${e.helper}`);
  parts.push(`[active since ${e.activeS}s]`);
  return parts.join(' ');
}

const nonZero = (c: Record<string, number> | undefined): string =>
  Object.entries(c ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';

const num = (n: number | undefined, w = 12): string => String(n ?? 0).padStart(w);

/** conntrackd -s, with Stockade's extra counters after. */
export function formatSyncStatus(s: SyncStatusView): string {
  if (!s.running) return `sync: not running (${s.reason ?? 'not configured'})\n`;
  const cache = (name: string, c: SyncCacheCounters | undefined): string =>
    `cache ${name}:\n`
    + `current active connections:${num(c?.active)}\n`
    + `connections created:       ${num(c?.created)}    failed:${num(c?.full, 8)}\n`
    + `connections updated:       ${num(c?.updated)}    failed:${num(0, 8)}\n`
    + `connections destroyed:     ${num(c?.destroyed)}    failed:${num(0, 8)}\n`
    + `connections expired:       ${num(c?.expired)}\n\n`;
  const p = s.protocol ?? {};
  let out = s.mode === 'stats'
    ? `sync: statistics only (conntrackd -S): nothing replicated\n\n`
    : `sync: ${s.mode} over ${s.transport} on ${s.interface}, ${s.local} -> ${s.peer || '(group)'} port ${s.port}${s.authenticated ? ', authenticated' : ''}\n\n`;
  out += cache('internal', s.internal) + cache('external', s.external);
  out += `traffic processed:\n${num(s.events?.['new'])} new ${num(s.events?.['update'])} update ${num(s.events?.['destroy'])} destroy (kernel events)\n\n`;
  out += `${s.transport} traffic (active device=${s.interface}):\n`
    + `${num(p['bytesSent'])} Bytes sent    ${num(p['datagramsReceived'])} Pckt recv\n`
    + `${num(p['datagramsSent'])} Pckt sent     ${num(p['messagesReceived'])} Msgs recv\n`
    + `${num(s.transportCounters?.sendErrors)} Error send    ${num(s.transportCounters?.foreign)} Foreign recv\n\n`;
  out += `message tracking:\n`
    + `${num(Object.values(s.drops ?? {}).reduce((a, b) => a + b, 0))} Malformed msgs${num(p['lost'])} Lost msgs\n\n`;
  out += `sequence tracking: acks sent ${p['acksSent'] ?? 0}, nacks sent ${p['nacksSent'] ?? 0}, retransmitted ${p['retransmitted'] ?? 0}, old ${p['old'] ?? 0}, peer restarts ${p['peerRestarts'] ?? 0}, resyncs asked after losses at start-up ${p['helloResyncs'] ?? 0}\n`;
  out += `pending: tx ${s.pending?.tx ?? 0}, resend queue ${s.pending?.resend ?? 0}\n`;
  out += `kernel: event buffer ${s.kernel?.eventBuffer ?? 0} bytes, overruns ${s.kernel?.overruns ?? 0}, resyncs ${s.kernel?.resyncs ?? 0}, own events ${s.kernel?.ownEvents ?? 0}\n`;
  out += `filtered: ${nonZero(s.filtered)}; drops: ${nonZero(s.drops)}; auth drops: ${nonZero(s.authDrops)}\n`;
  out += `bulk sends ${s.bulkSends ?? 0}, resync requests from the peer ${s.resyncRequests ?? 0}\n`;
  if (s.bounds) out += `bounds: ${s.bounds.map((b) => `${b.name} ${b.size}/${b.limit}${b.dropped > 0 ? ` (${b.dropped} dropped)` : ''}`).join(', ')}\n`;
  if (s.kernel?.injected || s.kernel?.injectFailed) out += `external cache off: ${s.kernel.injected ?? 0} peer entries written to the kernel, ${s.kernel.injectFailed ?? 0} refused\n`;
  if (s.lastCommit) out += `last commit: ${s.lastCommit.committed} committed, ${s.lastCommit.failed} failed in ${s.lastCommit.ms} ms\n`;
  const f = s.failover;
  if (f) {
    out += `failover (vrrp ${f.vrrpGroup}): start-up preempt hold ${f.startup}; master commits ${f.masterCommits}, timed out ${f.commitTimeouts}, failed ${f.commitErrors}`
      + `${f.lastCommit ? ` (last: ${f.lastCommit.committed} committed, ${f.lastCommit.failed} refused in ${f.lastCommit.ms} ms${f.lastCommit.timedOut ? ', after the VIPs' : ''})` : ''}`
      + `; resync requests ${f.resyncRequests}; purges ${f.purges}/${f.purgesScheduled} scheduled\n`;
  }
  return out;
}
