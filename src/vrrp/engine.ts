// All VRRP instances of a box, pure: packets, link states, check results and heartbeats in (each
// with `now`, monotonic ms), actions out, tagged with their instance; deadline() for the shell's
// one timer. Owns receive validation and drop counters, tracking, and sync groups.
//
// Sync groups (keepalived vrrp_sync.c): members go MASTER together or not at all. A member whose
// down timer expires becomes MASTER only if every other member is MASTER or wants MASTER too
// (else it waits, wanting MASTER, until they do or an advert arrives); then the others follow. A
// member that leaves MASTER for BACKUP takes the others with it. One member in FAULT puts the whole
// group in FAULT; it leaves FAULT when no member has a fault of its own.
// Weighted trackers in a sync group: keepalived ignores them (unless sync_group_tracking_weight),
// because a weight that lowers one member only makes the peer want that one member, which the
// group then refuses. Stockade instead gives every member the union of the members' trackers
// (the first of duplicates wins), so a weight moves the whole group's priority and the peer
// takes the whole group over.
import { AdvertSigner, AdvertVerifier } from './auth.ts';
import type { AuthKeys } from './auth.ts';
import { encodeAdvert } from './codec.ts';
import type { AdvertFields } from './codec.ts';
import { AUTH_SIMPLE_PASSWORD } from './constants.ts';
import { HeartbeatLink } from './heartbeat-link.ts';
import type { HeartbeatLinkOptions, HeartbeatLinkStatus } from './heartbeat-link.ts';
import { formatIpv4 } from './ipv4.ts';
import { newDropCounters, preCheck, validateAdvert } from './receive.ts';
import type { DropCounters, DropReason, ReceiveConfig, ReceivedPacket } from './receive.ts';
import { VrrpInstance } from './instance.ts';
import type { Action, InstanceOptions, InstanceStatus, VrrpState } from './instance.ts';
import { ScriptTracker, healthOf } from './tracking.ts';
import { needsRestart } from './restart-fields.ts';
import type { ScriptSpec, TrackSpec, TrackStatus } from './tracking.ts';

export interface EngineInstanceConfig extends InstanceOptions {
  interface: string;
  /** How adverts are checked (and, for checksum, password, peers and addresses, built). */
  receive: Omit<ReceiveConfig, 'version' | 'intervalCs' | 'verifier'>;
  /** HMAC authentication (auth.ts): adverts are signed and must be signed. */
  auth?: AuthKeys;
  tracks?: TrackSpec[];
}

/** One datagram for the raw socket: IP protocol 112, TTL 255, from the instance's primary address. */
export interface OutgoingAdvert {
  source: string;
  destination: string;
  payload: Uint8Array;
}

export interface SyncGroupConfig {
  name: string;
  instances: string[];
}

export interface EngineConfig {
  instances: EngineInstanceConfig[];
  syncGroups?: SyncGroupConfig[];
  scripts?: ScriptSpec[];
  /** The sync-link heartbeat path of accelerated failover (instances' `accelerated` set too). */
  heartbeat?: HeartbeatLinkOptions;
}

/** What reconfigure() did, by instance name, and the actions for the shell. */
export interface EngineChange {
  actions: TaggedAction[];
  /** Running on, new settings applied in place. */
  kept: string[];
  /** Shut down and started again (identity on the wire changed). */
  restarted: string[];
  added: string[];
  removed: string[];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `instance`: the instance's name; for group-transition, the sync group's. */
export type TaggedAction = Action & { instance: string };

export interface EngineStatus {
  instances: Array<InstanceStatus & { interface: string; fault: boolean; drops: DropCounters }>;
  /** Drops before an instance is known (structure, TTL, unknown VRID), per interface. */
  interfaceDrops: Record<string, DropCounters>;
  /** The heartbeat path, when accelerated failover is configured. */
  heartbeat?: HeartbeatLinkStatus;
}

interface Member {
  inst: VrrpInstance;
  cfg: EngineInstanceConfig;
  receive: ReceiveConfig;
  signer: AdvertSigner | undefined;
  /** Its trackers; in a sync group, the union of every member's (see the header). */
  tracks: TrackSpec[];
  drops: DropCounters;
  ownFault: boolean;
  group: string | undefined;
}

export class VrrpEngine {
  private readonly members = new Map<string, Member>();
  /** interface -> VRID -> member */
  private readonly byVrid = new Map<string, Map<number, Member>>();
  private readonly groups = new Map<string, Member[]>();
  private readonly groupStates = new Map<string, VrrpState>();
  private scripts = new Map<string, ScriptTracker>();
  private readonly links = new Map<string, boolean>();
  private readonly interfaceDrops = new Map<string, DropCounters>();
  private heartbeatLink: HeartbeatLink | undefined;
  private heartbeatOptions: HeartbeatLinkOptions | undefined;
  /** Shut down by retire(), dropped or started anew by the reconfigure() that follows. */
  private readonly retiring = new Set<string>();
  /** The latest refused packet (advert or heartbeat), for the shell's rate-limited log; `count` grows with each. */
  lastDrop: { count: number; ifname: string; instance?: string; source: number; reason: string } | undefined;
  /** Last `now` seen, for status(). */
  private lastNow = 0;

  constructor(config: EngineConfig) {
    for (const s of config.scripts ?? []) this.scripts.set(s.name, new ScriptTracker(s));
    this.heartbeatLink = config.heartbeat ? new HeartbeatLink(config.heartbeat) : undefined;
    this.heartbeatOptions = config.heartbeat;
    for (const cfg of config.instances) this.addMember(cfg, undefined);
    this.buildGroups(config);
    for (const m of this.members.values()) this.applyHealth(0, m, []);
  }

  /**
   * A config apply, step 1 of 2: shuts down the instances the new config removes or restarts
   * (priority 0 from a MASTER, VIPs removed), while they still have their old identity, so the
   * shell sends their last advert with the old VRID and removes the old VIPs. Step 2 is
   * reconfigure(). `restart`: instances the shell restarts for reasons of its own (a vMAC
   * interface added or removed).
   */
  retire(now: number, config: EngineConfig, restart: ReadonlySet<string> = new Set()): TaggedAction[] {
    this.lastNow = now;
    const out: TaggedAction[] = [];
    const next = new Map(config.instances.map((c) => [c.name, c]));
    for (const m of this.members.values()) {
      const cfg = next.get(m.cfg.name);
      if (cfg !== undefined && !restart.has(cfg.name) && !needsRestart(m.cfg, cfg)) continue;
      this.retiring.add(m.cfg.name);
      this.run(out, m, (i) => i.shutdown(now), now);
    }
    return out;
  }

  /**
   * A config apply, step 2 of 2 (after retire() with the same arguments, whose actions the shell
   * has carried out). An instance whose identity on the wire is unchanged (needsRestart) keeps
   * running and takes the new settings in place: a MASTER stays MASTER. Retired instances that
   * are still configured start anew, new ones start. Sync groups and trackers are rebuilt from the
   * new config; a check script with the same name and settings keeps its rise/fall state, the
   * heartbeat path its replay and trust state if its settings are unchanged. Drop counters carry
   * over with their instance.
   */
  reconfigure(now: number, config: EngineConfig, restart: ReadonlySet<string> = new Set()): EngineChange {
    this.lastNow = now;
    const out: TaggedAction[] = [];
    const next = new Map(config.instances.map((c) => [c.name, c]));
    const change: EngineChange = { actions: out, kept: [], restarted: [], added: [], removed: [] };
    const carried = new Map<string, Member>();
    for (const m of this.members.values()) {
      const name = m.cfg.name;
      const cfg = next.get(name);
      if (this.retiring.has(name)) (cfg === undefined ? change.removed : change.restarted).push(name);
      else if (cfg === undefined || restart.has(name) || needsRestart(m.cfg, cfg)) throw new Error(`VRRP instance ${name}: retire() it before reconfigure()`);
      else {
        carried.set(name, m);
        change.kept.push(name);
      }
    }
    this.retiring.clear();
    for (const g of this.groups.keys()) if (!(config.syncGroups ?? []).some((n) => n.name === g)) this.groupStates.delete(g);
    this.members.clear();
    this.byVrid.clear();
    this.groups.clear();
    const scripts = new Map<string, ScriptTracker>();
    for (const s of config.scripts ?? []) {
      const old = this.scripts.get(s.name);
      scripts.set(s.name, old !== undefined && sameJson(old.spec, s) ? old : new ScriptTracker(s));
    }
    this.scripts = scripts;
    if (!sameJson(this.heartbeatOptions, config.heartbeat)) {
      this.heartbeatLink = config.heartbeat ? new HeartbeatLink(config.heartbeat) : undefined;
      this.heartbeatOptions = config.heartbeat;
    }
    for (const cfg of config.instances) this.addMember(cfg, carried.get(cfg.name));
    this.buildGroups(config);
    for (const m of this.members.values()) {
      if (carried.has(m.cfg.name)) {
        const h = healthOf(m.cfg.priority, m.tracks, (t) => this.healthStatus(t));
        tag(out, m, m.inst.reconfigure(now, m.cfg, h.priority));
        this.applyHealth(now, m, out);
      } else {
        if (!change.restarted.includes(m.cfg.name)) change.added.push(m.cfg.name);
        this.applyHealth(now, m, []);
        this.run(out, m, (i) => i.start(now), now);
      }
    }
    return change;
  }

  private addMember(cfg: EngineInstanceConfig, carry: Member | undefined): void {
    if (this.members.has(cfg.name)) throw new Error(`duplicate VRRP instance ${cfg.name}`);
    const inst = carry?.inst ?? new VrrpInstance(cfg);
    inst.gate = undefined;
    const m: Member = {
      inst,
      cfg,
      receive: {
        ...cfg.receive, version: cfg.version, intervalCs: cfg.advertIntervalMs / 10,
        // Same keys (else needsRestart): the verifier keeps its replay window.
        ...(cfg.auth ? { verifier: carry?.receive.verifier ?? new AdvertVerifier(cfg.auth) } : {}),
      },
      signer: cfg.auth ? (carry !== undefined && carry.cfg.primaryAddress === cfg.primaryAddress ? carry.signer : new AdvertSigner(cfg.auth, cfg.primaryAddress)) : undefined,
      tracks: [...(cfg.tracks ?? [])],
      drops: carry?.drops ?? newDropCounters(),
      ownFault: false,
      group: undefined,
    };
    this.members.set(cfg.name, m);
    let vrids = this.byVrid.get(cfg.interface);
    if (!vrids) this.byVrid.set(cfg.interface, (vrids = new Map()));
    if (vrids.has(cfg.vrid)) throw new Error(`VRID ${cfg.vrid} twice on ${cfg.interface}`);
    vrids.set(cfg.vrid, m);
  }

  private buildGroups(config: EngineConfig): void {
    for (const g of config.syncGroups ?? []) {
      const list = g.instances.map((n) => {
        const m = this.members.get(n);
        if (!m) throw new Error(`sync group ${g.name}: no instance ${n}`);
        if (m.group !== undefined) throw new Error(`instance ${n} is in two sync groups`);
        m.group = g.name;
        return m;
      });
      this.groups.set(g.name, list);
      const union: TrackSpec[] = [];
      for (const t of list.flatMap((m) => m.tracks)) {
        if (!union.some((u) => u.kind === t.kind && u.name === t.name)) union.push(t);
      }
      for (const m of list) m.tracks = union.filter((t) => !(t.kind === 'instance' && t.name === m.inst.name));
      for (const m of list) m.inst.gate = (inst) => list.every((o) => o.inst === inst || o.inst.state === 'MASTER' || o.inst.wantMaster);
    }
  }

  get instanceNames(): string[] {
    return [...this.members.keys()];
  }

  instance(name: string): VrrpInstance | undefined {
    return this.members.get(name)?.inst;
  }

  start(now: number): TaggedAction[] {
    const out: TaggedAction[] = [];
    for (const m of this.members.values()) this.run(out, m, (i) => i.start(now), now);
    return out;
  }

  timer(now: number): TaggedAction[] {
    const out: TaggedAction[] = [];
    for (const m of this.members.values()) {
      const d = m.inst.deadline();
      if (d !== undefined && d <= now) this.run(out, m, (i) => i.timer(now), now);
    }
    return out;
  }

  deadline(): number | undefined {
    let d: number | undefined;
    for (const m of this.members.values()) {
      const t = m.inst.deadline();
      if (t !== undefined && (d === undefined || t < d)) d = t;
    }
    return d;
  }

  /** One packet from the raw socket on `ifname`; `wallClockMs` is for authentication only. */
  receive(now: number, wallClockMs: number, ifname: string, p: ReceivedPacket): TaggedAction[] {
    const out: TaggedAction[] = [];
    const pre = preCheck(p);
    if (!pre.ok) {
      this.countInterface(ifname, pre.reason, p.source);
      return out;
    }
    const m = this.byVrid.get(ifname)?.get(pre.vrid);
    if (!m) {
      this.countInterface(ifname, 'unknown_vrid', p.source);
      return out;
    }
    const v = validateAdvert(p, m.receive, wallClockMs);
    if (!v.ok) {
      m.drops[v.reason]++;
      this.noteDrop(ifname, p.source, v.reason, m.inst.name);
      return out;
    }
    this.run(out, m, (i) => i.advert(now, p.source, v.advert), now);
    return out;
  }

  /** A link state (from rtnetlink, through the shell). */
  link(now: number, ifname: string, up: boolean): TaggedAction[] {
    if (this.links.get(ifname) === up) return [];
    this.links.set(ifname, up);
    return this.retrack(now, (t) => t.kind === 'interface' && t.name === ifname);
  }

  /** One result of a check command. */
  scriptResult(now: number, name: string, success: boolean): TaggedAction[] {
    const s = this.scripts.get(name);
    if (!s || !s.result(success)) return [];
    return this.retrack(now, (t) => t.kind === 'script' && t.name === name);
  }

  /** A sync-link heartbeat from the peer, naming the instances it is MASTER of (already checked: see heartbeatIn). */
  heartbeat(now: number, peerMasters: ReadonlySet<string>, trusted = false, peerHeardUsAt?: number): TaggedAction[] {
    const out: TaggedAction[] = [];
    for (const m of this.members.values()) this.run(out, m, (i) => i.heartbeat(now, peerMasters.has(i.name), trusted, peerHeardUsAt), now);
    return out;
  }

  /** A datagram on the heartbeat socket from `source`; `foreign`: it arrived on another interface. */
  heartbeatIn(now: number, wallClockMs: number, source: number, bytes: Uint8Array, foreign = false): TaggedAction[] {
    this.lastNow = now;
    const link = this.heartbeatLink;
    if (!link) return [];
    const h = link.receive(now, wallClockMs, source, bytes, foreign);
    if (!h) {
      this.noteDrop('heartbeat', source, link.lastDrop ?? 'unknown');
      return [];
    }
    return this.heartbeat(now, h.masters, h.trusted, h.peerHeardUsAt);
  }

  /** The heartbeat to send now: the instances we are MASTER of, signed when a key is configured. */
  heartbeatOut(now: number, wallClockMs: number): Uint8Array {
    if (!this.heartbeatLink) throw new Error('no heartbeat path configured');
    this.lastNow = now;
    return this.heartbeatLink.encode(now, wallClockMs, [...this.members.values()].filter((m) => m.inst.state === 'MASTER').map((m) => m.inst.name));
  }

  /**
   * Holds preempting (see instance.ts) for `durationMs` on the named instances (default all):
   * no actions, no new deadline; a hold only changes how later adverts are taken.
   */
  holdPreempt(now: number, durationMs: number, names: readonly string[] = this.instanceNames): void {
    for (const n of names) this.member(n).inst.holdPreempt(now + durationMs);
  }

  releasePreempt(names: readonly string[] = this.instanceNames): void {
    for (const n of names) this.member(n).inst.releasePreempt();
  }

  shutdown(now: number): TaggedAction[] {
    const out: TaggedAction[] = [];
    for (const m of this.members.values()) this.run(out, m, (i) => i.shutdown(now), now);
    return out;
  }

  /** An advert's fields (see codec.ts). */
  advertFields(name: string, priority: number): AdvertFields {
    const m = this.member(name);
    const pass = m.receive.v2Password;
    return {
      version: m.cfg.version, vrid: m.cfg.vrid, priority, intervalCs: m.cfg.advertIntervalMs / 10, addresses: m.receive.addresses,
      ...(m.cfg.version === 2 && pass ? { authType: AUTH_SIMPLE_PASSWORD, authData: pass } : {}),
    };
  }

  /**
   * The datagrams for one send-advert action: to the group, or one per unicast peer (each with
   * its own checksum when the pseudo-header is used), signed when authentication is configured.
   */
  advertPackets(name: string, priority: number, wallClockMs: number): OutgoingAdvert[] {
    const m = this.member(name);
    const fields = this.advertFields(name, priority);
    const source = m.cfg.primaryAddress;
    const dests = m.receive.unicastPeers.length > 0 ? m.receive.unicastPeers : [m.receive.multicastGroup];
    let trailer: Uint8Array | undefined;
    return dests.map((d) => {
      const msg = encodeAdvert(fields, { checksum: m.receive.checksum, source, destination: d });
      // One trailer for all copies: the MAC leaves out the checksum and the destination.
      if (m.signer) trailer ??= m.signer.trailer(msg, wallClockMs);
      const payload = trailer ? concat(msg, trailer) : msg;
      return { source: formatIpv4(source), destination: formatIpv4(d), payload };
    });
  }

  status(now = this.lastNow): EngineStatus {
    return {
      instances: [...this.members.values()].map((m) => ({ ...m.inst.status(), interface: m.cfg.interface, fault: m.ownFault, drops: { ...m.drops } })),
      interfaceDrops: Object.fromEntries([...this.interfaceDrops].map(([k, v]) => [k, { ...v }])),
      ...(this.heartbeatLink ? { heartbeat: this.heartbeatLink.status(now) } : {}),
    };
  }

  private member(name: string): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no VRRP instance ${name}`);
    return m;
  }

  private countInterface(ifname: string, reason: DropReason, source: number): void {
    let c = this.interfaceDrops.get(ifname);
    if (!c) this.interfaceDrops.set(ifname, (c = newDropCounters()));
    c[reason]++;
    this.noteDrop(ifname, source, reason);
  }

  private noteDrop(ifname: string, source: number, reason: string, instance?: string): void {
    this.lastDrop = { count: (this.lastDrop?.count ?? 0) + 1, ifname, source, reason, ...(instance !== undefined ? { instance } : {}) };
  }

  private trackStatus(t: TrackSpec): TrackStatus {
    if (t.kind === 'interface') {
      const up = this.links.get(t.name);
      return up === undefined ? 'init' : up ? 'ok' : 'failed';
    }
    if (t.kind === 'script') return this.scripts.get(t.name)?.status ?? 'init';
    const other = this.members.get(t.name);
    if (!other) return 'failed';
    return other.inst.state === 'FAULT' ? 'failed' : 'ok';
  }

  private retrack(now: number, affects: (t: TrackSpec) => boolean): TaggedAction[] {
    const out: TaggedAction[] = [];
    for (const m of this.members.values()) {
      if (m.tracks.some(affects)) this.applyHealth(now, m, out);
    }
    return out;
  }

  /** Interfaces never reported are taken as up until the shell says otherwise. */
  private healthStatus(t: TrackSpec): TrackStatus {
    const s = this.trackStatus(t);
    return t.kind === 'interface' && s === 'init' ? 'ok' : s;
  }

  private applyHealth(now: number, m: Member, out: TaggedAction[]): void {
    const h = healthOf(m.cfg.priority, m.tracks, (t) => this.healthStatus(t));
    m.ownFault = h.fault;
    tag(out, m, m.inst.setPriority(now, h.priority));
    const members = m.group !== undefined ? this.groups.get(m.group)! : [m];
    const groupFault = members.some((x) => x.ownFault);
    for (const x of members) {
      if (x.inst.isFault !== groupFault) this.run(out, x, (i) => i.setFault(now, groupFault), now);
    }
  }

  /** Runs one input on one member, then carries its transitions to its group and trackers. */
  private run(out: TaggedAction[], m: Member, fn: (i: VrrpInstance) => Action[], now: number): void {
    const before = m.inst.state;
    const actions = fn(m.inst);
    tag(out, m, actions);
    const after = m.inst.state;
    if (m.group !== undefined) {
      const others = this.groups.get(m.group)!.filter((x) => x !== m);
      if (after === 'MASTER' && before !== 'MASTER') {
        for (const o of others) this.run(out, o, (i) => i.forceMaster(now), now);
      } else if (before === 'MASTER' && after === 'BACKUP') {
        for (const o of others) this.run(out, o, (i) => i.forceBackup(now), now);
      }
    }
    if (m.group !== undefined && before !== after) {
      const members = this.groups.get(m.group)!;
      const to: VrrpState = members.some((x) => x.inst.state === 'FAULT') ? 'FAULT'
        : members.every((x) => x.inst.state === 'MASTER') ? 'MASTER'
          : members.every((x) => x.inst.state === 'INIT') ? 'INIT' : 'BACKUP';
      const from = this.groupStates.get(m.group) ?? 'INIT';
      if (to !== from) {
        this.groupStates.set(m.group, to);
        out.push({ kind: 'group-transition', from, to, instance: m.group });
      }
    }
    if (before !== after && (before === 'FAULT' || after === 'FAULT')) {
      // Instances tracking this one see it fail or recover.
      for (const x of this.members.values()) {
        if (x !== m && x.tracks.some((t) => t.kind === 'instance' && t.name === m.inst.name)) this.applyHealth(now, x, out);
      }
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function tag(out: TaggedAction[], m: Member, actions: Action[]): void {
  for (const a of actions) out.push({ ...a, instance: m.inst.name });
}
