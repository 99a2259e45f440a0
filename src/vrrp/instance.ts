// One VRRP instance's state machine (RFC 3768 / RFC 5798 with keepalived's behaviours), pure:
// every input carries `now` (monotonic milliseconds), every output is a list of actions for the
// I/O shell, and deadline() says when timer() must be called next. No timers, no sockets here.
//
// States: INIT (before start / after shutdown), BACKUP, MASTER, FAULT.
//
// Becoming MASTER emits, in this order: transition, master-hooks (synchronous hooks such as the
// conntrack commit; the shell awaits them), send-advert (so an old master steps down before our
// gARPs), add-vips, send-garp. Leaving MASTER: transition, an advert (priority 0 when going to
// FAULT or shutting down; our own priority when yielding to a higher one), remove-vips.
//
// Accelerated failover (optional, with a sync-link heartbeat as a second path to the peer, every
// heartbeat interval I, lost after the timeout T >= 3 I):
//   - veto: while heartbeats are fresh and say the peer is MASTER of this instance, the normal
//     master-down expiry is held back: losing only the advert path never makes a second master (the
//     veto lifts when the heartbeats say otherwise, or stop for an advert interval). Any heartbeat
//     may veto.
//   - takeover: a BACKUP whose trusted heartbeats (signed, heartbeat-link.ts) said the peer is
//     MASTER, while its adverts were arriving too, and then stopped, takes over T + 2 I after the
//     last one, unless an advert arrived since
//     the heartbeats should have gone on (> 1.5 I after the last one): that proves the master alive
//     and only the sync link broken, so the normal timers apply. A dead master sends no such advert;
//     a live one sends it at once (below), well inside the 2 I of grace.
//   - proof of life: a MASTER whose peer has not heard it for T - I (its echo says so, or its own
//     heartbeats stopped) sends an advert at once, and one more I later, so a peer that lost only
//     the sync link (either direction) hears it before it would take over.
// Untrusted heartbeats (no key, or the peer has not yet echoed us since our start) only ever delay.
//
// A takeover found due more than STALE_TIMER_MS after its deadline is looked at again one turn of
// the event loop later (once per deadline): we were not running when it fell due (a stall under
// load), so the adverts and heartbeats that would have moved it may still wait unread on the
// sockets, and the shell reads them before the next timer call. Without this a backup that stalled
// just past the accelerated deadline (T + 2 I, about 100 ms) took over from a live master.
//
// Preempt hold (holdPreempt): for a while, a BACKUP accepts a lower-priority master as if it had
// nopreempt, so it does not take over a live master (the daemon holds preempting until the first
// conntrack bulk sync from the peer, as pfSense's CARP demotion waits for pfsync). It never stops
// a BACKUP that hears no master at all from becoming MASTER, and it ends by itself at its deadline.
import { GARP_MASTER_DELAY_MS, GARP_MASTER_REPEAT, PRIORITY_OWNER, PRIORITY_STOP } from './constants.ts';
import type { Advert, VrrpVersion } from './codec.ts';
import { masterDownMs, skewMs } from './timers.ts';

/** A takeover this late was decided on timers that did not run on time (see the header). */
const STALE_TIMER_MS = 10;
/** How soon a stale takeover is looked at again: the next turn of the loop. */
const STALE_RECHECK_MS = 1;

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

export type TransitionReason =
  | 'start' // INIT -> BACKUP
  | 'owner' // priority 255: MASTER at once
  | 'master-down' // no advert for Master_Down_Interval (or Skew_Time after priority 0)
  | 'accelerated' // adverts and heartbeats both lost
  | 'higher-priority' // MASTER heard a higher priority (or equal with a higher address)
  | 'fault' // a tracker or the sync group says FAULT
  | 'fault-cleared'
  | 'sync-group' // moved with the other members of its sync group
  | 'shutdown';

export type Action =
  | { kind: 'transition'; from: VrrpState; to: VrrpState; reason: TransitionReason; priority: number }
  | { kind: 'master-hooks' }
  | { kind: 'send-advert'; priority: number }
  | { kind: 'add-vips' }
  | { kind: 'remove-vips' }
  | { kind: 'send-garp'; repeat: number; why: 'become-master' | 'second-burst' | 'refresh' | 'lower-priority' }
  | { kind: 'notice'; what: 'master-rx-lower-priority' | 'takeover-vetoed'; peer?: number; priority?: number }
  /** Emitted by the engine for a sync group (tagged with the group's name): FAULT if any member is,
   *  MASTER when all are, else BACKUP. */
  | { kind: 'group-transition'; from: VrrpState; to: VrrpState };

export interface GarpOptions {
  /** gARPs per VIP on becoming master (keepalived garp_master_repeat, 5). */
  repeat: number;
  /** Second burst after this long; 0: none (keepalived garp_master_delay, 5 s). */
  delayMs: number;
  /** Re-send every this long while MASTER; 0: never (garp_master_refresh). */
  refreshMs: number;
  refreshRepeat: number;
  /** Burst when a MASTER hears a lower priority (split-brain heal; garp_lower_prio_repeat). */
  lowerPriorityRepeat: number;
}

export interface InstanceOptions {
  name: string;
  vrid: number;
  version: VrrpVersion;
  /** Configured priority, 1..255 (255: address owner). */
  priority: number;
  advertIntervalMs: number;
  preempt: boolean;
  preemptDelayMs: number;
  /** Our primary address on the interface (the advert's source; the tie-breaker). */
  primaryAddress: number;
  garp?: Partial<GarpOptions>;
  /** A MASTER stepping down for a higher priority sends one advert first (default true). */
  higherPrioritySendAdvert?: boolean;
  /**
   * The master is this box's only possible peer (one unicast peer, or a pair with a sync link):
   * on priority 0 take over at once. Skew_Time only orders several backups; a pair has one.
   */
  pairOnly?: boolean;
  /** Set when a sync-link heartbeat path exists. */
  accelerated?: { heartbeatTimeoutMs: number; heartbeatIntervalMs: number };
}

export interface InstanceCounters {
  advertsIn: number;
  advertsOut: number;
  priorityZeroIn: number;
  priorityZeroOut: number;
  transitions: number;
  becameMaster: number;
  vetoes: number;
  /** Lower-priority adverts ignored by a BACKUP about to preempt. */
  preempting: number;
  /** Adverts sent at once because the peer stopped hearing our heartbeats (proof of life). */
  proofAdverts: number;
  /** Takeovers found due late (a stall) and looked at again after reading what was queued. */
  staleRechecks: number;
}

export interface InstanceStatus {
  name: string;
  state: VrrpState;
  priority: number;
  effectivePriority: number;
  masterAddress: number | undefined;
  masterPriority: number | undefined;
  masterAdverIntervalMs: number;
  deadline: number | undefined;
  wantMaster: boolean;
  counters: InstanceCounters;
}

/** Sync groups: may this instance become MASTER now? (false: it waits, wanting MASTER). */
export type MasterGate = (inst: VrrpInstance) => boolean;

function garpOptions(opts: InstanceOptions): GarpOptions {
  const repeat = opts.garp?.repeat ?? GARP_MASTER_REPEAT;
  return {
    repeat,
    delayMs: opts.garp?.delayMs ?? GARP_MASTER_DELAY_MS,
    refreshMs: opts.garp?.refreshMs ?? 0,
    refreshRepeat: opts.garp?.refreshRepeat ?? 1,
    lowerPriorityRepeat: opts.garp?.lowerPriorityRepeat ?? repeat,
  };
}

export class VrrpInstance {
  private optsValue: InstanceOptions;
  private garpValue: GarpOptions;
  gate: MasterGate | undefined;

  private stateValue: VrrpState = 'INIT';
  private effective: number;
  private fault = false;
  private stopped = false;
  private masterAdverMs: number;
  private downAt: number | undefined;
  private advertAt: number | undefined;
  private garpAt: number | undefined;
  private refreshAt: number | undefined;
  private preemptUntil: number | undefined;
  private preemptHoldUntil: number | undefined;
  private lastAdvertAt: number | undefined;
  private lastHeartbeatAt: number | undefined;
  private peerClaimsMaster = false;
  private heartbeatTrusted = false;
  private peerHeardUsAt: number | undefined;
  private masterSince = 0;
  private proofBase: number | undefined;
  private proofsSent = 0;
  private vetoed = false;
  /** A stale takeover's deadline, and when to look at it again. */
  private recheckFor: number | undefined;
  private recheckAt: number | undefined;
  private lastLowerGarpAt: number | undefined;
  private masterAddress: number | undefined;
  private masterPriority: number | undefined;
  private wantMasterValue = false;
  readonly counters: InstanceCounters = {
    advertsIn: 0, advertsOut: 0, priorityZeroIn: 0, priorityZeroOut: 0, transitions: 0, becameMaster: 0, vetoes: 0, preempting: 0, proofAdverts: 0,
    staleRechecks: 0,
  };

  constructor(opts: InstanceOptions) {
    this.optsValue = opts;
    this.effective = opts.priority;
    this.masterAdverMs = opts.advertIntervalMs;
    this.garpValue = garpOptions(opts);
  }

  get opts(): InstanceOptions {
    return this.optsValue;
  }

  get garp(): GarpOptions {
    return this.garpValue;
  }

  /**
   * New settings for the running instance (a config apply), its state kept: a MASTER stays MASTER
   * and keeps its VIPs. Its identity on the wire (name, VRID, version) cannot change here: the
   * engine restarts the instance for that. `effective` is the new effective priority (the engine's
   * tracking). A MASTER whose advert changed (priority, interval, source) advertises at once, so
   * a peer re-elects on the new facts now rather than an interval later (RFC 9568 6.4.3: a MASTER
   * just advertises what it has); its timers follow the new interval from now. A BACKUP given the
   * owner's priority 255 takes over at once, as at start.
   */
  reconfigure(now: number, opts: InstanceOptions, effective: number): Action[] {
    const old = this.optsValue;
    if (opts.name !== old.name || opts.vrid !== old.vrid || opts.version !== old.version) {
      throw new Error(`VRRP instance ${old.name}: name, VRID and version change only by a restart`);
    }
    const out: Action[] = [];
    const oldEffective = this.effective;
    this.optsValue = opts;
    this.garpValue = garpOptions(opts);
    if (!opts.preempt || opts.preemptDelayMs === 0) this.preemptUntil = undefined;
    const intervalChanged = old.advertIntervalMs !== opts.advertIntervalMs;
    if (this.stateValue === 'MASTER') {
      this.effective = effective;
      this.masterAdverMs = opts.advertIntervalMs;
      if (intervalChanged || oldEffective !== effective || old.primaryAddress !== opts.primaryAddress) {
        this.sendAdvert(out, this.effective);
        this.advertAt = now + opts.advertIntervalMs;
      }
      if (this.garpValue.refreshMs === 0) this.refreshAt = undefined;
      else if (this.refreshAt === undefined || old.garp?.refreshMs !== opts.garp?.refreshMs) this.refreshAt = now + this.garpValue.refreshMs;
      return out;
    }
    // Version 2 backups expect the master's interval to be their own; version 3 ones learn it.
    if (intervalChanged && (opts.version === 2 || this.masterAddress === undefined)) this.masterAdverMs = opts.advertIntervalMs;
    out.push(...this.setPriority(now, effective));
    if (this.stateValue === 'BACKUP' && !this.wantMasterValue && this.downAt !== undefined && intervalChanged) {
      // Never earlier than the old expiry: a shorter interval must not cut short a live master's grace.
      this.downAt = Math.max(this.downAt, now + masterDownMs(opts.version, this.effective, this.masterAdverMs));
    }
    if (this.stateValue === 'BACKUP' && this.effective === PRIORITY_OWNER && oldEffective !== PRIORITY_OWNER) this.tryMaster(now, out, 'owner');
    return out;
  }

  get name(): string {
    return this.opts.name;
  }

  get state(): VrrpState {
    return this.stateValue;
  }

  get effectivePriority(): number {
    return this.effective;
  }

  /** Down timer expired (or owner start) but the sync group held it back. */
  get wantMaster(): boolean {
    return this.wantMasterValue;
  }

  get isFault(): boolean {
    return this.fault;
  }

  status(): InstanceStatus {
    return {
      name: this.opts.name,
      state: this.stateValue,
      priority: this.opts.priority,
      effectivePriority: this.effective,
      masterAddress: this.stateValue === 'MASTER' ? this.opts.primaryAddress : this.masterAddress,
      masterPriority: this.stateValue === 'MASTER' ? this.effective : this.masterPriority,
      masterAdverIntervalMs: this.masterAdverMs,
      deadline: this.deadline(),
      wantMaster: this.wantMasterValue,
      counters: { ...this.counters },
    };
  }

  /** When timer() must run next; undefined: only an input can change anything. */
  deadline(): number | undefined {
    let d: number | undefined;
    const min = (t: number | undefined) => {
      if (t !== undefined && (d === undefined || t < d)) d = t;
    };
    if (this.stateValue === 'MASTER') {
      min(this.advertAt);
      min(this.garpAt);
      min(this.refreshAt);
      min(this.proofAt());
    } else if (this.stateValue === 'BACKUP' && !this.wantMasterValue) {
      // A stale deadline waiting for its second look is replaced by that look.
      const due = (t: number | undefined) => min(this.recheckAt !== undefined && t === this.recheckFor ? undefined : t);
      due(this.vetoed ? this.vetoEndsAt() : this.downAt);
      due(this.acceleratedAt());
      min(this.recheckAt);
    }
    return d;
  }

  start(now: number): Action[] {
    const out: Action[] = [];
    if (this.stateValue !== 'INIT' || this.stopped) return out;
    if (this.fault) {
      this.transition(out, 'FAULT', 'fault');
      return out;
    }
    this.becomeBackup(now, out, 'start');
    if (this.effective === PRIORITY_OWNER) this.tryMaster(now, out, 'owner');
    return out;
  }

  timer(now: number): Action[] {
    const out: Action[] = [];
    if (this.stateValue === 'MASTER') {
      if (this.advertAt !== undefined && this.advertAt <= now) {
        this.sendAdvert(out, this.effective);
        // Fixed cadence; after a stall longer than an interval, restart it from now.
        this.advertAt += this.opts.advertIntervalMs;
        if (this.advertAt <= now) this.advertAt = now + this.opts.advertIntervalMs;
      }
      if (this.garpAt !== undefined && this.garpAt <= now) {
        this.garpAt = undefined;
        out.push({ kind: 'send-garp', repeat: this.garp.repeat, why: 'second-burst' });
      }
      if (this.refreshAt !== undefined && this.refreshAt <= now) {
        out.push({ kind: 'send-garp', repeat: this.garp.refreshRepeat, why: 'refresh' });
        this.refreshAt += this.garp.refreshMs;
        if (this.refreshAt <= now) this.refreshAt = now + this.garp.refreshMs;
      }
      const proof = this.proofAt();
      if (proof !== undefined && proof <= now) {
        // One advert however many were due (a late timer).
        while ((this.proofAt() ?? Infinity) <= now) this.proofsSent++;
        this.counters.proofAdverts++;
        this.sendAdvert(out, this.effective);
      }
    } else if (this.stateValue === 'BACKUP' && !this.wantMasterValue) {
      if (this.recheckAt !== undefined && this.recheckAt <= now) this.recheckAt = undefined;
      const acc = this.acceleratedAt();
      if (acc !== undefined && acc <= now) {
        if (!this.stale(now, acc)) this.tryMaster(now, out, 'accelerated');
      } else if (this.vetoed) {
        const stale = this.vetoEndsAt();
        if (stale === undefined || (stale <= now && !this.stale(now, stale))) this.tryMaster(now, out, 'master-down');
      } else if (this.downAt !== undefined && this.downAt <= now) {
        if (!this.stale(now, this.downAt)) this.tryMaster(now, out, 'master-down');
      }
    }
    return out;
  }

  /** A takeover due at `due` is stale at `now` (see the header): look again shortly, once. */
  private stale(now: number, due: number): boolean {
    if (now - due <= STALE_TIMER_MS || this.recheckFor === due) return false;
    this.recheckFor = due;
    this.recheckAt = now + STALE_RECHECK_MS;
    this.counters.staleRechecks++;
    return true;
  }

  /** A validated advert for this instance (receive.ts has checked it against our config). */
  advert(now: number, source: number, a: Advert): Action[] {
    const out: Action[] = [];
    this.counters.advertsIn++;
    const p = a.priority;
    if (p === PRIORITY_STOP) this.counters.priorityZeroIn++;
    if (this.stateValue === 'MASTER') {
      if (p === PRIORITY_STOP) {
        this.sendAdvert(out, this.effective);
        this.advertAt = now + this.opts.advertIntervalMs;
        return out;
      }
      if (p > this.effective || (p === this.effective && source > this.opts.primaryAddress)) {
        this.recordMaster(now, source, a);
        this.becomeBackup(now, out, 'higher-priority');
        // One last advert with our priority (keepalived higher_prio_send_advert): after a split
        // brain the winner then hears a lower priority and re-gARPs, healing the ARP caches.
        if (this.opts.higherPrioritySendAdvert ?? true) out.splice(1, 0, this.advertAction(this.effective));
        return out;
      }
      // A lower priority master: we win; re-advertise at once (RFC 9568, keepalived's default) so
      // it steps down, and heal ARP caches it may have taken over (split brain).
      out.push({ kind: 'notice', what: 'master-rx-lower-priority', peer: source, priority: p });
      this.sendAdvert(out, this.effective);
      this.advertAt = now + this.opts.advertIntervalMs;
      const hold = Math.max(this.opts.advertIntervalMs, 1000);
      if (this.lastLowerGarpAt === undefined || now - this.lastLowerGarpAt >= hold) {
        this.lastLowerGarpAt = now;
        out.push({ kind: 'send-garp', repeat: this.garp.lowerPriorityRepeat, why: 'lower-priority' });
      }
      return out;
    }
    if (this.stateValue !== 'BACKUP') return out;
    if (p === PRIORITY_STOP) {
      // The master is leaving: take over after Skew_Time only (RFC 5798 §6.4.2), or at once in a pair.
      this.downAt = now + (this.opts.pairOnly ? 0 : skewMs(this.opts.version, this.effective, this.masterAdverMs));
      this.masterAddress = undefined;
      this.masterPriority = undefined;
      this.vetoed = false;
      // The advert is newer news than the last heartbeat: the peer is leaving MASTER.
      this.peerClaimsMaster = false;
      return out;
    }
    let accept = !this.opts.preempt || p >= this.effective || this.preemptHeld(now);
    if (!accept && this.opts.preemptDelayMs > 0) {
      this.preemptUntil ??= now + this.opts.preemptDelayMs;
      accept = now < this.preemptUntil;
    }
    if (!accept) {
      this.counters.preempting++;
      return out;
    }
    this.recordMaster(now, source, a);
    this.downAt = now + masterDownMs(this.opts.version, this.effective, this.masterAdverMs);
    this.wantMasterValue = false;
    this.vetoed = false;
    return out;
  }

  /** Effective priority from tracking (already clamped; an owner stays 255). */
  setPriority(now: number, priority: number): Action[] {
    const old = this.effective;
    if (priority === old) return [];
    this.effective = priority;
    if (this.stateValue === 'BACKUP' && this.downAt !== undefined && this.downAt > now) {
      // keepalived shifts the pending expiry by the change in skew.
      this.downAt += skewMs(this.opts.version, priority, this.masterAdverMs) - skewMs(this.opts.version, old, this.masterAdverMs);
    }
    return [];
  }

  /** FAULT from tracking or the sync group; clearing it goes BACKUP (MASTER for an owner). */
  setFault(now: number, fault: boolean): Action[] {
    const out: Action[] = [];
    this.fault = fault;
    if (this.stateValue === 'INIT') return out;
    if (fault && this.stateValue !== 'FAULT') {
      const wasMaster = this.stateValue === 'MASTER';
      this.clearTimers();
      this.wantMasterValue = false;
      this.transition(out, 'FAULT', 'fault');
      if (wasMaster) {
        this.sendAdvert(out, PRIORITY_STOP);
        out.push({ kind: 'remove-vips' });
      }
    } else if (!fault && this.stateValue === 'FAULT') {
      this.becomeBackup(now, out, 'fault-cleared');
      if (this.effective === PRIORITY_OWNER) this.tryMaster(now, out, 'owner');
    }
    return out;
  }

  /** Accepts lower-priority masters (no preempting) until `until`, or until releasePreempt(). */
  holdPreempt(until: number): void {
    this.preemptHoldUntil = until;
  }

  releasePreempt(): void {
    this.preemptHoldUntil = undefined;
  }

  /** Whether a preempt hold is in force at `now`. */
  preemptHeld(now: number): boolean {
    return this.preemptHoldUntil !== undefined && now < this.preemptHoldUntil;
  }

  /**
   * A heartbeat from the peer on the sync link; `peerMaster`: it says it is MASTER of this instance;
   * `trusted`: it may start a takeover; `peerHeardUsAt`: when the peer last heard us (its echo).
   */
  heartbeat(now: number, peerMaster: boolean, trusted = false, peerHeardUsAt?: number): Action[] {
    const out: Action[] = [];
    this.lastHeartbeatAt = now;
    this.peerClaimsMaster = peerMaster;
    this.heartbeatTrusted = trusted;
    this.peerHeardUsAt = peerHeardUsAt;
    if (this.stateValue === 'BACKUP' && this.vetoed && !peerMaster) this.tryMaster(now, out, 'master-down');
    return out;
  }

  /** Sync group: another member became MASTER. */
  forceMaster(now: number): Action[] {
    const out: Action[] = [];
    if (this.stateValue === 'BACKUP') this.becomeMaster(now, out, 'sync-group');
    return out;
  }

  /** Sync group: another member left MASTER for BACKUP. */
  forceBackup(now: number): Action[] {
    const out: Action[] = [];
    if (this.stateValue === 'MASTER') this.becomeBackup(now, out, 'sync-group');
    else if (this.stateValue === 'BACKUP' && this.wantMasterValue) {
      this.wantMasterValue = false;
      this.downAt = now + masterDownMs(this.opts.version, this.effective, this.masterAdverMs);
    }
    return out;
  }

  /** Controlled stop: a MASTER sends priority 0 and removes its VIPs. */
  shutdown(_now: number): Action[] {
    const out: Action[] = [];
    if (this.stopped) return out;
    const wasMaster = this.stateValue === 'MASTER';
    this.clearTimers();
    if (this.stateValue !== 'INIT') this.transition(out, 'INIT', 'shutdown');
    if (wasMaster) {
      this.sendAdvert(out, PRIORITY_STOP);
      out.push({ kind: 'remove-vips' });
    }
    this.stopped = true;
    return out;
  }

  private recordMaster(now: number, source: number, a: Advert): void {
    this.masterAddress = source;
    this.masterPriority = a.priority;
    this.lastAdvertAt = now;
    // Version 3 backups adopt the master's interval (RFC 5798 §6.4.2); version 2 intervals are equal.
    if (this.opts.version === 3) this.masterAdverMs = a.intervalCs * 10;
  }

  private tryMaster(now: number, out: Action[], reason: TransitionReason): void {
    if (this.opts.accelerated && reason !== 'accelerated' && this.heartbeatFresh(now) && this.peerClaimsMaster) {
      if (!this.vetoed) {
        this.vetoed = true;
        this.counters.vetoes++;
        out.push({ kind: 'notice', what: 'takeover-vetoed', ...(this.masterAddress !== undefined ? { peer: this.masterAddress } : {}) });
      }
      return;
    }
    if (this.gate && !this.gate(this)) {
      this.wantMasterValue = true;
      return;
    }
    this.becomeMaster(now, out, reason);
  }

  private becomeMaster(now: number, out: Action[], reason: TransitionReason): void {
    this.clearTimers();
    this.wantMasterValue = false;
    this.vetoed = false;
    this.masterAdverMs = this.opts.advertIntervalMs;
    this.masterAddress = undefined;
    this.masterPriority = undefined;
    this.counters.becameMaster++;
    this.masterSince = now;
    this.proofBase = undefined;
    this.proofsSent = 0;
    this.transition(out, 'MASTER', reason);
    out.push({ kind: 'master-hooks' });
    this.sendAdvert(out, this.effective);
    out.push({ kind: 'add-vips' });
    out.push({ kind: 'send-garp', repeat: this.garp.repeat, why: 'become-master' });
    this.advertAt = now + this.opts.advertIntervalMs;
    if (this.garp.delayMs > 0) this.garpAt = now + this.garp.delayMs;
    if (this.garp.refreshMs > 0) this.refreshAt = now + this.garp.refreshMs;
  }

  private becomeBackup(now: number, out: Action[], reason: TransitionReason): void {
    const from = this.stateValue;
    this.clearTimers();
    this.wantMasterValue = false;
    this.vetoed = false;
    if (from !== 'BACKUP') this.transition(out, 'BACKUP', reason);
    if (from === 'MASTER') out.push({ kind: 'remove-vips' });
    if (reason !== 'higher-priority') this.masterAdverMs = this.opts.advertIntervalMs;
    this.downAt = now + masterDownMs(this.opts.version, this.effective, this.masterAdverMs);
    // preempt_delay counts from start-up, and again from the first lower-priority advert seen.
    this.preemptUntil = from === 'INIT' && this.opts.preemptDelayMs > 0 ? now + this.opts.preemptDelayMs : undefined;
  }

  private transition(out: Action[], to: VrrpState, reason: TransitionReason): void {
    const from = this.stateValue;
    this.stateValue = to;
    this.counters.transitions++;
    out.push({ kind: 'transition', from, to, reason, priority: this.effective });
  }

  private sendAdvert(out: Action[], priority: number): void {
    out.push(this.advertAction(priority));
  }

  private advertAction(priority: number): Action {
    this.counters.advertsOut++;
    if (priority === PRIORITY_STOP) this.counters.priorityZeroOut++;
    return { kind: 'send-advert', priority };
  }

  private clearTimers(): void {
    this.recheckAt = undefined;
    this.downAt = undefined;
    this.advertAt = undefined;
    this.garpAt = undefined;
    this.refreshAt = undefined;
  }

  private heartbeatFresh(now: number): boolean {
    const stale = this.heartbeatStaleAt();
    return stale !== undefined && now < stale;
  }

  private heartbeatStaleAt(): number | undefined {
    if (!this.opts.accelerated || this.lastHeartbeatAt === undefined) return undefined;
    return this.lastHeartbeatAt + this.opts.accelerated.heartbeatTimeoutMs;
  }

  /**
   * A veto (the adverts already lost) ends after an advert interval without heartbeats, not after
   * the heartbeat timeout: both paths gone at once needs no faster answer, and a stall of the
   * master shorter than an interval must not make a second master.
   */
  private vetoEndsAt(): number | undefined {
    const stale = this.heartbeatStaleAt();
    return stale === undefined ? undefined : Math.max(stale, this.lastHeartbeatAt! + this.masterAdverMs);
  }

  /** BACKUP only: when trusted heartbeats from our master will have been silent long enough (see the header). */
  private acceleratedAt(): number | undefined {
    const a = this.opts.accelerated;
    if (!a || this.vetoed || !this.heartbeatTrusted || !this.peerClaimsMaster || this.lastHeartbeatAt === undefined || this.masterAddress === undefined) return undefined;
    // The adverts stopped well before the heartbeats did: the advert path was already broken, so
    // silence on the sync link says nothing new (the veto path applies).
    if (this.lastAdvertAt === undefined || this.lastHeartbeatAt - this.lastAdvertAt > 1.5 * this.masterAdverMs) return undefined;
    // An advert after the heartbeats should have gone on: the master lives, the sync link broke.
    if (this.lastAdvertAt !== undefined && this.lastAdvertAt > this.lastHeartbeatAt + 1.5 * a.heartbeatIntervalMs) return undefined;
    return this.lastHeartbeatAt + a.heartbeatTimeoutMs + 2 * a.heartbeatIntervalMs;
  }

  /** MASTER only: when to send the next proof-of-life advert (see the header); two per silence. */
  private proofAt(): number | undefined {
    const a = this.opts.accelerated;
    if (!a) return undefined;
    const heard = Math.min(this.lastHeartbeatAt ?? this.masterSince, this.peerHeardUsAt ?? this.masterSince);
    const base = Math.max(heard, this.masterSince);
    if (base !== this.proofBase) {
      this.proofBase = base;
      this.proofsSent = 0;
    }
    if (this.proofsSent >= 2) return undefined;
    return base + a.heartbeatTimeoutMs - a.heartbeatIntervalMs + this.proofsSent * a.heartbeatIntervalMs;
  }
}
