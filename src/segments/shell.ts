// The segments part on the running box: puts the config's segment addresses on their
// interfaces and runs one udhcpd per served interface, each time as the minimal change from
// what runs (an unchanged server keeps running; a changed one is restarted with its leases).
// The firewall side is not here: the firewall part compiles segmentFirewall() into its ruleset
// and restores only the chains that differ.
import type { Config } from '../config/index.ts';
import { garpFrame, parseMac } from '../vrrp/index.ts';
import { mustParseIpv4 } from '../common/index.ts';
import {
  flushUdhcpdLeases, readUdhcpdLeases, sendArpAnnouncements, writeSysctl, udhcpdLeaseMtime, runningUdhcpd, startUdhcpd, stopUdhcpd, syncSegmentAddresses, udhcpdConfText, udhcpdInterfaces, udhcpdPaths,
} from '../kernel/index.ts';
import { segmentAddresses } from './addresses.ts';
import { dhcpByInterface, dhcpdConfig, dhcpServers } from './dhcp.ts';
import { parseDnsmasqLeases, parseLeases } from './leases.ts';
import { servedSegments, segmentsFollowing } from './ha.ts';
import { segmentsView, type SegmentsView } from './view.ts';

type LogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface SegmentsService {
  /** Makes the box match `next`; resolves to what puts `previous` back. */
  apply(previous: Config, next: Config): Promise<() => Promise<void>>;
  /** Asks each DHCP server to write its leases first (udhcpd writes them only every auto_time otherwise). */
  view(): Promise<SegmentsView>;
  /** A VRRP instance's state changed: segments following it start or stop being served here. */
  onTransition(instance: string, to: string): Promise<void>;
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

/** `masters`: the VRRP instances MASTER here (segments following another one are not served); undefined: all served. */
export async function reconcileSegments(config: Config, runDir?: string, masters?: ReadonlySet<string>): Promise<ReconcileResult> {
  const served = masters === undefined ? new Set(config.segments.map((s) => s.name)) : servedSegments(config, masters);
  const changes = await syncSegmentAddresses(segmentAddresses(config).filter((a) => served.has(a.segment)).map((a) => ({ interface: a.interface, cidr: a.cidr })));
  // Addresses just taken (a takeover, an assignment): neighbours learn where they are now. The
  // groups' router addresses too: after a takeover the hosts' ARP entries for their gateway
  // still name the old master, which is gone.
  const announce = new Map<string, string[]>();
  for (const a of changes.added) announce.set(a.interface, [...(announce.get(a.interface) ?? []), a.cidr.split('/')[0]!]);
  for (const [ifname, ips] of announce) {
    await sendArpAnnouncements(ifname, (mac) => ips.map((ip) => garpFrame(parseMac(mac), mustParseIpv4(ip)))).catch(() => 0);
  }
  // managed_novlan: the groups' hosts share the box's interface; a redirect would tell a host to
  // send to another group's host directly instead of through the box's rules. send_redirects is
  // OR-ed with `all`, so both go to 0 (a firewall has no use for redirects anyway).
  for (const s of config.segments) {
    if (s.mode !== 'managed_novlan' || !served.has(s.name)) continue;
    for (const name of ['net.ipv4.conf.all.send_redirects', `net.ipv4.conf.${s.interfaces[0]!.replace(/\./g, '/')}.send_redirects`]) {
      const r = writeSysctl(name, 0);
      if (r.status === 'failed') throw new Error(`${name}=0: ${r.reason}`);
    }
  }
  const wanted = wantedDhcp(config, served);
  const started: string[] = [];
  const restarted: string[] = [];
  const stopped: string[] = [];
  const kept: string[] = [];
  for (const ifname of udhcpdInterfaces(runDir)) {
    if (wanted.has(ifname)) continue;
    await stopUdhcpd(ifname, runDir);
    stopped.push(ifname);
  }
  for (const [ifname, servers] of wanted) {
    const paths = udhcpdPaths(ifname, runDir);
    const text = dhcpdConfig(servers, { leaseFile: paths.leaseFile, pidFile: paths.pidFile });
    const pid = runningUdhcpd(ifname, runDir);
    if (pid !== undefined && udhcpdConfText(ifname, runDir) === text) {
      kept.push(ifname);
      continue;
    }
    if (pid !== undefined) {
      await stopUdhcpd(ifname, runDir);
      restarted.push(ifname);
    } else started.push(ifname);
    startUdhcpd(ifname, text, runDir, servers[0]!.program);
  }
  return { addresses: { added: changes.added.length, removed: changes.removed.length }, started, restarted, stopped, kept };
}

/** The DHCP servers the served segments need, by interface. */
function wantedDhcp(config: Config, served: ReadonlySet<string>) {
  return dhcpByInterface(dhcpServers(config).filter((s) => served.has(s.segment)));
}

/** Interfaces whose DHCP server should run here and does not (it exited, or was killed). */
function missingDhcp(config: Config, runDir: string | undefined, masters: ReadonlySet<string>): string[] {
  return [...wantedDhcp(config, servedSegments(config, masters)).keys()].filter((ifname) => runningUdhcpd(ifname, runDir) === undefined);
}

/** How often the DHCP servers are looked for, and the longest wait before starting one that keeps dying again. */
const WATCH_MS = 5_000;
const WATCH_BACKOFF_MAX_MS = 300_000;

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
  // Until an instance says MASTER, segments following it are not served (a box starts as backup).
  const masters = new Set<string>();
  // One reconcile at a time: a transition arriving during a transaction waits for it.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const reconcile = (c: Config) => reconcileSegments(c, opts.runDir, masters);
  if (config.segments.length > 0 || udhcpdInterfaces(opts.runDir).length > 0) {
    try {
      log('info', `segments: applied (${summary(await reconcile(config))})`);
    } catch (e) {
      error = (e as Error).message;
      log('error', `segments: not applied: ${error}`);
    }
  }
  // A served DHCP server that is gone (crashed, killed by hand) is started again, and said so;
  // one that keeps dying is tried again after a doubling wait, so it cannot flood the log.
  let stopped = false;
  let backoffMs = WATCH_MS;
  let nextTry = 0;
  const watch = setInterval(() => void serial(async () => {
    if (stopped) return;
    const missing = missingDhcp(running, opts.runDir, masters);
    if (missing.length === 0) {
      backoffMs = WATCH_MS;
      return;
    }
    if (Date.now() < nextTry) return;
    nextTry = Date.now() + backoffMs;
    backoffMs = Math.min(backoffMs * 2, WATCH_BACKOFF_MAX_MS);
    try {
      log('warn', `segments: the DHCP server on ${missing.join(', ')} was not running (${summary(await reconcile(running))})`);
    } catch (e) {
      log('error', `segments: the DHCP server on ${missing.join(', ')} was not running and could not be started: ${(e as Error).message}`);
    }
  }), WATCH_MS);
  watch.unref();
  return {
    apply: (previous, next) => serial(async () => {
      try {
        const r = await reconcile(next);
        running = next;
        error = null;
        log('info', `segments: applied by a config transaction (${summary(r)})`);
      } catch (e) {
        // Whatever was changed before the failure goes back.
        await reconcile(previous).catch(() => undefined);
        throw new Error(`segments: ${(e as Error).message}`);
      }
      return () => serial(async () => {
        await reconcile(previous);
        running = previous;
      });
    }),
    onTransition: (instance, to) => serial(async () => {
      const following = segmentsFollowing(running, instance);
      const was = masters.has(instance);
      if (to === 'MASTER') masters.add(instance);
      else masters.delete(instance);
      if (following.length === 0 || was === masters.has(instance)) return;
      try {
        const r = await reconcile(running);
        error = null;
        log('info', `segments: ${following.join(', ')} ${to === 'MASTER' ? 'served here' : 'no longer served here'} (vrrp ${instance} ${to}: ${summary(r)})`);
      } catch (e) {
        error = (e as Error).message;
        log('error', `segments: following vrrp ${instance} ${to}: ${error}`);
      }
    }),
    async view() {
      const servers = [...dhcpByInterface(dhcpServers(running)).values()].map((s) => s[0]!);
      // Each udhcpd asked to write its leases; waited for (up to a second) until its file is newer.
      // dnsmasq writes its file at every change.
      const asked = servers.filter((s) => s.program === 'udhcpd').map((s) => ({ ifname: s.interface, before: udhcpdLeaseMtime(s.interface, opts.runDir) })).filter((x) => flushUdhcpdLeases(x.ifname, opts.runDir));
      for (let waited = 0; waited < 1000 && asked.some((x) => udhcpdLeaseMtime(x.ifname, opts.runDir) === x.before); waited += 20) await new Promise((r) => setTimeout(r, 20));
      const dhcp = new Map<string, { pid: number | null; leases: ReturnType<typeof parseLeases> }>();
      for (const s of servers) {
        const file = readUdhcpdLeases(s.interface, opts.runDir);
        const parse = s.program === 'dnsmasq' ? parseDnsmasqLeases : parseLeases;
        dhcp.set(s.interface, { pid: runningUdhcpd(s.interface, opts.runDir) ?? null, leases: file ? parse(file) : [] });
      }
      return segmentsView(running, dhcp, Math.floor(Date.now() / 1000), error);
    },
    async stop() {
      stopped = true;
      clearInterval(watch);
      for (const ifname of udhcpdInterfaces(opts.runDir)) await stopUdhcpd(ifname, opts.runDir);
    },
  };
}
