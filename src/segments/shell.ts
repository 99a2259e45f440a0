// The segments part on the running box: puts the config's segment addresses on their
// interfaces and runs one udhcpd per served interface, each time as the minimal change from
// what runs (an unchanged server keeps running; a changed one is restarted with its leases).
// The firewall side is not here: the firewall part compiles segmentFirewall() into its ruleset
// and restores only the chains that differ.
import type { Config } from '../config/index.ts';
import {
  flushUdhcpdLeases, readUdhcpdLeases, udhcpdLeaseMtime, runningUdhcpd, startUdhcpd, stopUdhcpd, syncSegmentAddresses, udhcpdConfText, udhcpdInterfaces, udhcpdPaths,
} from '../kernel/index.ts';
import { segmentAddresses } from './addresses.ts';
import { dhcpServers, udhcpdConfig } from './dhcp.ts';
import { parseLeases } from './leases.ts';
import { segmentsView, type SegmentsView } from './view.ts';

type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface SegmentsService {
  /** Makes the box match `next`; resolves to what puts `previous` back. */
  apply(previous: Config, next: Config): Promise<() => Promise<void>>;
  /** Asks each DHCP server to write its leases first (udhcpd writes them only every auto_time otherwise). */
  view(): Promise<SegmentsView>;
  /** Stops the DHCP servers (a daemon stopping on purpose; after kill -9 they run on and are adopted). */
  stop(): Promise<void>;
}

export interface SegmentsOptions {
  /** Run directory (tests: their own); default /run. */
  readonly runDir?: string;
}

export interface ReconcileResult {
  readonly addresses: { added: number; removed: number };
  readonly started: string[];
  readonly restarted: string[];
  readonly stopped: string[];
  readonly kept: string[];
}

export async function reconcileSegments(config: Config, runDir?: string): Promise<ReconcileResult> {
  const changes = await syncSegmentAddresses(segmentAddresses(config).map((a) => ({ interface: a.interface, cidr: a.cidr })));
  const wanted = new Map(dhcpServers(config).map((s) => [s.interface, s]));
  const started: string[] = [];
  const restarted: string[] = [];
  const stopped: string[] = [];
  const kept: string[] = [];
  for (const ifname of udhcpdInterfaces(runDir)) {
    if (wanted.has(ifname)) continue;
    await stopUdhcpd(ifname, runDir);
    stopped.push(ifname);
  }
  for (const [ifname, server] of wanted) {
    const paths = udhcpdPaths(ifname, runDir);
    const text = udhcpdConfig(server, { leaseFile: paths.leaseFile, pidFile: paths.pidFile });
    const pid = runningUdhcpd(ifname, runDir);
    if (pid !== undefined && udhcpdConfText(ifname, runDir) === text) {
      kept.push(ifname);
      continue;
    }
    if (pid !== undefined) {
      await stopUdhcpd(ifname, runDir);
      restarted.push(ifname);
    } else started.push(ifname);
    startUdhcpd(ifname, text, runDir);
  }
  return { addresses: { added: changes.added.length, removed: changes.removed.length }, started, restarted, stopped, kept };
}

function summary(r: ReconcileResult): string {
  const parts = [
    r.addresses.added || r.addresses.removed ? `addresses +${r.addresses.added} -${r.addresses.removed}` : '',
    r.started.length ? `dhcp started on ${r.started.join(', ')}` : '',
    r.restarted.length ? `dhcp restarted on ${r.restarted.join(', ')}` : '',
    r.stopped.length ? `dhcp stopped on ${r.stopped.join(', ')}` : '',
  ].filter(Boolean);
  return parts.join('; ') || 'no change';
}

export async function startSegments(config: Config, log: LogFn, opts: SegmentsOptions = {}): Promise<SegmentsService> {
  let running = config;
  let error: string | null = null;
  if (config.segments.length > 0 || udhcpdInterfaces(opts.runDir).length > 0) {
    try {
      log('info', `segments: applied (${summary(await reconcileSegments(config, opts.runDir))})`);
    } catch (e) {
      error = (e as Error).message;
      log('error', `segments: not applied: ${error}`);
    }
  }
  return {
    async apply(previous, next) {
      try {
        const r = await reconcileSegments(next, opts.runDir);
        running = next;
        error = null;
        log('info', `segments: applied by a config transaction (${summary(r)})`);
      } catch (e) {
        // Whatever was changed before the failure goes back.
        await reconcileSegments(previous, opts.runDir).catch(() => undefined);
        throw new Error(`segments: ${(e as Error).message}`);
      }
      return async () => {
        await reconcileSegments(previous, opts.runDir);
        running = previous;
      };
    },
    async view() {
      const servers = dhcpServers(running);
      // Each server asked to write its leases; waited for (up to a second) until its file is newer.
      const asked = servers.map((s) => ({ ifname: s.interface, before: udhcpdLeaseMtime(s.interface, opts.runDir) })).filter((x) => flushUdhcpdLeases(x.ifname, opts.runDir));
      for (let waited = 0; waited < 1000 && asked.some((x) => udhcpdLeaseMtime(x.ifname, opts.runDir) === x.before); waited += 20) await new Promise((r) => setTimeout(r, 20));
      const dhcp = new Map<string, { pid: number | null; leases: ReturnType<typeof parseLeases> }>();
      for (const s of servers) {
        const file = readUdhcpdLeases(s.interface, opts.runDir);
        dhcp.set(s.interface, { pid: runningUdhcpd(s.interface, opts.runDir) ?? null, leases: file ? parseLeases(file) : [] });
      }
      return segmentsView(running, dhcp, Math.floor(Date.now() / 1000), error);
    },
    async stop() {
      for (const ifname of udhcpdInterfaces(opts.runDir)) await stopUdhcpd(ifname, opts.runDir);
    },
  };
}
