// The appliance pair for image tests: two x86_64 VMs booted from the built image as a deployed HA
// pair, with lab hosts around them. Later image tests (LVS, console, upgrade) start from here.
//
//   client c 192.0.2.10 ──┐ bridge lan (LAN VIP 192.0.2.1)    bridge wan (WAN VIP 198.51.100.1) ┌── server s 198.51.100.10
//                         ├─ a:lan 192.0.2.2   a ── a:wan 198.51.100.2 ──┤
//                         └─ b:lan 192.0.2.3   b ── b:wan 198.51.100.3 ──┘
//   a:sync 203.0.113.1 ── qemu UDP link ── b:sync 203.0.113.2 (conntrack sync)
//   admin m 192.0.2.140 ── bridge mgmt ── a:mgmt 192.0.2.130, b:mgmt 192.0.2.131
//
// Each VM boots from its own copy of the image with /data/config.json in place (vm.ts `data`), so
// `stockade boot` (sysinit) and `stockade daemon` (inittab respawn) run with the HA config at their
// first start, as on a box in the field; nothing is started or written by hand. The config
// (pairConfig) is the seeds' NAT gateway: VRRP instances on lan and wan in one sync group (a has
// priority 200, b 100), conntrack sync on the sync port, clients SNATed to the WAN VIP, and a
// filter that lets the LAN out and the replies back. With nf_conntrack_tcp_loose=0 a box cannot
// pick up a connection mid-stream, so after a failover a flow lives on only if the new master had
// its conntrack entry (from sync) before the VIPs moved.
//
// The bridges and taps live in the lab host `sw`, whose namespace the qemus run in (vm.ts); the
// sync link is a qemu UDP socket pair on that namespace's loopback.
//
//   await withPair({}, async (pair) => {
//     await pair.ready();
//     await pair.waitRoles('a');
//     ...
//   });
import { suite } from 'uvu';
import { loadConfigText } from '../../src/config/load.ts';
import { formatConfigError } from '../../src/config/errors.ts';
import type { SyncStatusView, VrrpStatusView } from '../../src/control/index.ts';
import { Lab, labAvailable } from '../lab/harness.ts';
import { unmet } from '../required.ts';
import type { Topology } from '../lab/harness.ts';
import { ensureImages } from './images.ts';
import { startVms } from './vm.ts';
import type { Vm, Vms } from './vm.ts';
import { loud } from '../loud-hook.ts';

export type Node = 'a' | 'b';
export const NODES: readonly Node[] = ['a', 'b'];

export const BOARD = 'x86_64-generic';
/** From qemu start to the boot-complete line: about 20 s alone; 240 s seen with two VMs beside other helpers on two cores. */
export const BOOT_TIMEOUT_MS = 600_000;
/**
 * Every other wait: a hang guard, never a figure. On a loaded two-core host one `stockade ctl`
 * through a TCG console has taken 35 s.
 */
export const WAIT_MS = 300_000;

export const LAN_VIP = '192.0.2.1';
export const WAN_VIP = '198.51.100.1';
export const LAN_NET = '192.0.2.0/25';
export const CLIENT = '192.0.2.10';
export const SERVER = '198.51.100.10';
export const ADMIN = '192.0.2.140';
export const MGMT_NET = '192.0.2.128/26';
/** The sync group both VRRP instances are in, and whose master commits the synced connections. */
export const SYNC_GROUP = 'fw';
export const INSTANCES = ['lan', 'wan'] as const;

const ADDR: Record<Node, { lan: string; wan: string; sync: string; mgmt: string; priority: number }> = {
  a: { lan: '192.0.2.2', wan: '198.51.100.2', sync: '203.0.113.1', mgmt: '192.0.2.130', priority: 200 },
  b: { lan: '192.0.2.3', wan: '198.51.100.3', sync: '203.0.113.2', mgmt: '192.0.2.131', priority: 100 },
};

export const peerOf = (n: Node): Node => (n === 'a' ? 'b' : 'a');
export const addressesOf = (n: Node): Readonly<typeof ADDR.a> => ADDR[n];

/** The HA config of box `n` (plain JSON, as it sits in /data/config.json). */
export function pairConfig(n: Node): Record<string, unknown> {
  const me = ADDR[n];
  const peer = ADDR[peerOf(n)];
  const instance = (name: string, vrid: number, vip: string) => ({ name, interface: name, vrid, priority: me.priority, version: 3, advert_interval_ms: 1000, vips: [vip] });
  return {
    version: 1,
    system: { hostname: `fw-${n}` },
    interfaces: {
      ports: [
        { name: 'wan', description: 'uplink to the servers' },
        { name: 'lan', description: 'internal clients' },
        { name: 'sync', description: `dedicated conntrack sync link to fw-${peerOf(n)}` },
        { name: 'mgmt', description: 'management' },
      ],
    },
    addresses: [
      { interface: 'lan', static: [`${me.lan}/25`] },
      { interface: 'wan', static: [`${me.wan}/24`] },
      { interface: 'sync', static: [`${me.sync}/30`] },
      { interface: 'mgmt', static: [`${me.mgmt}/26`] },
    ],
    sysctls: {
      'net.ipv4.ip_forward': 1,
      'net.ipv4.conf.all.send_redirects': 0,
      // Window tracking is not synced (conntrackd's users set the same).
      'net.netfilter.nf_conntrack_tcp_be_liberal': 1,
      // No mid-stream pickup: a connection crosses the new master only with its synced entry.
      'net.netfilter.nf_conntrack_tcp_loose': 0,
    },
    firewall: {
      policy: { input: 'drop', forward: 'drop', output: 'accept' },
      rules: [
        { chain: 'input', action: 'accept', states: ['established', 'related'] },
        { chain: 'input', action: 'accept', protocol: 'icmp', in_interface: 'mgmt' },
        { chain: 'forward', action: 'accept', states: ['established', 'related'] },
        { chain: 'forward', action: 'accept', in_interface: 'lan', out_interface: 'wan', states: ['new'], comment: 'clients out' },
      ],
      nat: [{ type: 'snat', source: LAN_NET, out_interface: 'wan', to_address: WAN_VIP, comment: 'clients leave as the WAN VIP' }],
    },
    vrrp: {
      instances: [instance('lan', 51, `${LAN_VIP}/25`), instance('wan', 52, `${WAN_VIP}/24`)],
      sync_groups: [{ name: SYNC_GROUP, instances: [...INSTANCES] }],
    },
    sync: { interface: 'sync', peer: peer.sync, vrrp_group: SYNC_GROUP },
    management: { interfaces: ['mgmt'], allowed_sources: [MGMT_NET] },
  };
}

/** The lab around the VMs: the switch host with the bridges (and the qemus), client, server, admin. */
export const pairTopology: Topology = {
  hosts: ['sw', 'c', 's', 'm'],
  links: [['c:eth0', 'sw:lc'], ['s:eth0', 'sw:ws'], ['m:eth0', 'sw:mm']],
  bridges: [
    { at: 'sw', name: 'lan', ports: ['lc'] },
    { at: 'sw', name: 'wan', ports: ['ws'] },
    { at: 'sw', name: 'mgmt', ports: ['mm'] },
  ],
  addresses: { 'c:eth0': [`${CLIENT}/25`], 's:eth0': [`${SERVER}/24`], 'm:eth0': [`${ADMIN}/26`] },
  // The server has no route to the LAN: it can answer a client only through the SNAT to the WAN VIP.
  routes: { c: [`default via ${LAN_VIP}`] },
};

export interface PairOptions {
  /** Changes to a box's config before it goes onto /data (default: pairConfig as is). */
  config?: (n: Node, config: Record<string, unknown>) => Record<string, unknown>;
  /** More files on each box's /data (path -> content). */
  data?: (n: Node) => Record<string, string | Uint8Array>;
  memoryMb?: number;
  /** Where the console logs go; kept after the run (default: a temp dir, kept only on failure). */
  logDir?: string;
}

/** Why the pair cannot run here (the lab's reason), or undefined. */
export function pairUnavailable(): string | undefined {
  const lab = labAvailable({ tools: ['iptables', 'ss'] });
  return lab.ok ? undefined : lab.reason;
}

/** A running pair; every method that talks to a box goes through its serial console. */
export class Pair {
  readonly lab: Lab;
  readonly vms: Vms;
  readonly configs: Record<Node, Record<string, unknown>>;
  private readonly loggedIn = new Map<Node, Promise<void>>();
  private readonly queue = new Map<Node, Promise<unknown>>();
  private failed = false;

  constructor(lab: Lab, vms: Vms, configs: Record<Node, Record<string, unknown>>) {
    this.lab = lab;
    this.vms = vms;
    this.configs = configs;
  }

  vm(n: Node): Vm {
    return this.vms.vm(n);
  }

  /** Waits for the boot-complete line of box n and logs in on its console (once). */
  booted(n: Node): Promise<void> {
    let p = this.loggedIn.get(n);
    if (!p) {
      p = this.vm(n).waitFor(/stockade: boot complete/, BOOT_TIMEOUT_MS).then(() => this.vm(n).login());
      this.loggedIn.set(n, p);
    }
    return p;
  }

  /** Runs a shell command on box n's console (one at a time per box); its output and status. */
  run(n: Node, command: string, timeoutMs = 180_000): Promise<{ output: string; code: number }> {
    const prev = this.queue.get(n) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(async () => {
      await this.booted(n);
      return this.vm(n).run(command, timeoutMs);
    });
    this.queue.set(n, next);
    return next;
  }

  /** As run, failing with the output unless the command exits 0. */
  async sh(n: Node, command: string, timeoutMs = 180_000): Promise<string> {
    const r = await this.run(n, command, timeoutMs);
    if (r.code !== 0) throw new Error(`${n}: \`${command}\` exited ${r.code}:\n${r.output}`);
    return r.output;
  }

  /** A `stockade ctl ... --json` answer from the daemon init started, or undefined if none answers. */
  async ctl<T>(n: Node, args: string): Promise<T | undefined> {
    const r = await this.run(n, `stockade ctl ${args} --json`);
    if (r.code !== 0) return undefined;
    const at = r.output.indexOf('{');
    return at < 0 ? undefined : (JSON.parse(r.output.slice(at)) as T);
  }

  vrrp(n: Node): Promise<VrrpStatusView | undefined> {
    return this.ctl<VrrpStatusView>(n, 'vrrp');
  }

  sync(n: Node): Promise<SyncStatusView | undefined> {
    return this.ctl<SyncStatusView>(n, 'sync -s');
  }

  /** VRRP state per instance of box n ({} while its daemon does not answer). */
  async states(n: Node): Promise<Record<string, string>> {
    const v = await this.vrrp(n);
    return Object.fromEntries((v?.instances ?? []).map((i) => [i.name, i.state]));
  }

  /** Both boxes booted, logged in, and their daemons answering with every instance out of INIT. */
  async ready(timeoutMs = WAIT_MS): Promise<void> {
    await Promise.all(NODES.map((n) => this.booted(n)));
    await Promise.all(NODES.map((n) => this.lab.waitFor(`box ${n}'s daemon (started by init) answering with its instances running`, async () => {
      const v = await this.vrrp(n);
      return (v?.running === true && v.instances.length === INSTANCES.length && v.instances.every((i) => i.state !== 'INIT')) || undefined;
    }, { timeoutMs, intervalMs: 1000 })));
  }

  /**
   * Waits until `master` is MASTER and its peer BACKUP on every instance, or the deadline passes;
   * returns the states last seen ({ a: { lan: 'MASTER', ... }, b: ... }) either way, for the test
   * to judge.
   */
  async waitRoles(master: Node, timeoutMs = WAIT_MS): Promise<Record<Node, Record<string, string>>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = { a: await this.states('a'), b: await this.states('b') };
      const settled = INSTANCES.every((i) => seen[master][i] === 'MASTER' && seen[peerOf(master)][i] === 'BACKUP');
      if (settled || Date.now() > deadline) return seen;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** The IPv4 addresses on box n's interface `ifname`, as `ip` prints them (a.b.c.d/len). */
  async addresses(n: Node, ifname: string): Promise<string[]> {
    const out = await this.sh(n, `ip -4 -o addr show dev ${ifname}`);
    return [...out.matchAll(/\binet (\S+)/g)].map((m) => m[1]!);
  }

  /** The daemon's log on box n (init sends it to /run/stockade.log). */
  async daemonLog(n: Node): Promise<string> {
    return (await this.run(n, 'cat /run/stockade.log')).output;
  }

  /** Marks the run failed: destroy keeps the console logs. */
  fail(): void {
    this.failed = true;
  }

  async destroy(): Promise<void> {
    await this.vms.destroy(this.failed);
  }
}

/** Checks the config as `stockade boot` will, so a bad fixture fails here and not after a boot. */
function checked(n: Node, config: Record<string, unknown>): string {
  const text = JSON.stringify(config, null, 2);
  const r = loadConfigText(text);
  if (!r.ok) throw new Error(`pair: box ${n}'s config is invalid:\n${r.errors.map((e) => formatConfigError(`${n}/config.json`, e)).join('\n')}`);
  return `${text}\n`;
}

/**
 * Builds the image if stale, makes the lab and boots the two VMs (qemu is running when this
 * returns; the guests are booting). Everything is torn down on a failure here.
 */
export async function startPair(opts: PairOptions = {}): Promise<Pair> {
  const configs = {
    a: opts.config ? opts.config('a', pairConfig('a')) : pairConfig('a'),
    b: opts.config ? opts.config('b', pairConfig('b')) : pairConfig('b'),
  };
  const texts = { a: checked('a', configs.a), b: checked('b', configs.b) };
  await ensureImages([BOARD]);
  const lab = await Lab.create(pairTopology);
  try {
    const vm = (n: Node) => ({ board: BOARD, data: { ...(opts.data?.(n) ?? {}), 'config.json': texts[n] }, ...(opts.memoryMb ? { memoryMb: opts.memoryMb } : {}) });
    const vms = await startVms({
      vms: { a: vm('a'), b: vm('b') },
      links: [['a:sync', 'b:sync']],
      bridges: { lan: ['a:lan', 'b:lan'], wan: ['a:wan', 'b:wan'], mgmt: ['a:mgmt', 'b:mgmt'] },
      lab: { lab, host: 'sw' },
      ...(opts.logDir ? { logDir: opts.logDir } : {}),
    });
    return new Pair(lab, vms, configs);
  } catch (e) {
    await lab.destroy().catch(() => undefined);
    throw e;
  }
}

/** startPair, fn, then the VMs and the lab torn down whatever fn does (logs kept on a failure). */
export async function withPair<T>(opts: PairOptions, fn: (pair: Pair) => Promise<T>): Promise<T> {
  const pair = await startPair(opts);
  try {
    return await fn(pair);
  } catch (e) {
    pair.fail();
    throw e;
  } finally {
    await pair.destroy().catch(() => undefined);
    await pair.lab.destroy();
  }
}

/**
 * A uvu suite whose tests share one pair (booting is the slow part): started in before(), torn
 * down in after(), console logs kept when a test failed. Tests run in order, each on the state the
 * previous ones left.
 */
export function pairSuite(name: string, opts: PairOptions = {}): { test: (title: string, fn: (pair: Pair) => Promise<void>) => void; run: () => void } {
  const s = suite(name);
  const why = pairUnavailable();
  if (why !== undefined) {
    // A failure under CI, naming why; a counted skip elsewhere (test/required.ts).
    unmet(s, name, why);
    return { test: () => undefined, run: () => s.run() };
  }
  let pair: Pair | undefined;
  s.before(loud(name, async () => {
    pair = await startPair(opts);
  }));
  s.after(async () => {
    if (!pair) return;
    await pair.destroy().catch(() => undefined);
    await pair.lab.destroy();
  });
  return {
    test: (title, fn) => s(title, async () => {
      if (!pair) throw new Error('the pair did not start');
      try {
        await fn(pair);
      } catch (e) {
        pair.fail();
        throw e;
      }
    }),
    run: () => s.run(),
  };
}
