// The rolling upgrade of an HA pair (`stockade upgrade pair`, issue 16 item 5), pure: what each
// box shows comes in as plain JSON (the answers of `upgrade status --json`, `ctl vrrp --json` and
// `ctl sync -s --json`, the peer's over SSH), steps, verdicts and messages go out. The CLI
// (src/cli/upgrade-pair.ts) does the I/O. The order, run on one box ("this box") with the other
// ("the peer") reached over SSH:
//   1. write: the bundle streamed once, to the peer (`upgrade install - --no-switch`) and into this
//      box's other slot at the same time; neither box is switched, so a refusal anywhere leaves
//      both as they were;
//   2. the peer switched and rebooted into its new slot (`upgrade activate`, with --handover
//      when it is MASTER anywhere: its daemon's priority 0 hands over to this box at once);
//   3. wait: the peer back on the new slot, and its trial marked it good;
//   4. wait: the pair settled again (one MASTER and one BACKUP per instance, unchanged for a
//      while) and the peer's sync re-synced from this box;
//   5. this box switched and rebooted (handing over its MASTER instances the same way); its own
//      trial keeps it. The command ends with this box's reboot.
// Whatever step fails, the run stops there and says which box, which step, how the pair stands
// (it serves: one box at least runs a good slot and holds or can take the VIPs) and what to do.
import type { Answer } from './health.ts';
import type { SlotName } from './slots.ts';

/** The parts of `stockade upgrade status --json` this reads. */
export interface PairStatusView {
  readonly running: SlotName;
  readonly trial: SlotName | null;
  readonly slots: ReadonlyArray<{ readonly slot: SlotName; readonly condition: string; readonly installed?: { readonly version: string; readonly failure?: string } }>;
  readonly last_failure: { readonly slot: SlotName; readonly version?: string; readonly reason: string; readonly at: string } | null;
}

export interface PairVrrpView {
  readonly running: boolean;
  readonly instances: ReadonlyArray<{ readonly name: string; readonly state: string }>;
}

export interface PairSyncView {
  readonly running: boolean;
  readonly reason?: string;
  readonly failover?: { readonly startup: string };
}

/** What one look at both boxes found. */
export interface PairObservation {
  readonly peerStatus: Answer<PairStatusView>;
  readonly peerVrrp: Answer<PairVrrpView>;
  readonly peerSync: Answer<PairSyncView>;
  readonly hereVrrp: Answer<PairVrrpView>;
}

export type PairStepName = 'write' | 'activate-peer' | 'peer-good' | 'peer-settled' | 'activate-here';

export interface PairStep {
  readonly n: number;
  readonly name: PairStepName;
  /** Which box the step acts on or waits for. */
  readonly box: 'both' | 'peer' | 'here';
  readonly title: string;
}

export interface PairRoles {
  /** Instances each box is MASTER of. */
  readonly hereMasters: readonly string[];
  readonly peerMasters: readonly string[];
  /** The peer's running slot: the other one is written. */
  readonly peerRunning: SlotName;
}

/** The steps, as printed before the run begins and named by every stop. */
export function pairPlan(roles: PairRoles, version: string): PairStep[] {
  const handover = (masters: readonly string[], to: string) => (masters.length > 0 ? `, handing ${masters.join(', ')} to ${to} (priority 0)` : '');
  return [
    { n: 1, name: 'write', box: 'both', title: `write ${version} to the other slot of both boxes from one stream (the peer's over SSH); neither is switched` },
    { n: 2, name: 'activate-peer', box: 'peer', title: `switch the peer to its new slot and reboot it${handover(roles.peerMasters, 'this box')}` },
    { n: 3, name: 'peer-good', box: 'peer', title: 'wait for the peer to boot the new slot and for its trial to mark it good' },
    { n: 4, name: 'peer-settled', box: 'peer', title: 'wait for the pair to settle: one MASTER and one BACKUP of every instance, the peer\'s sync re-synced' },
    { n: 5, name: 'activate-here', box: 'here', title: `switch this box to its new slot and reboot it${handover(roles.hereMasters, 'the peer')}; its trial keeps it once healthy` },
  ];
}

const masterOf = (v: PairVrrpView): string[] => v.instances.filter((i) => i.state === 'MASTER').map((i) => i.name);

/** Why the pair is not settled (one MASTER and one BACKUP of every instance), or undefined. */
export function unsettled(here: PairVrrpView, peer: PairVrrpView): string | undefined {
  const states = (v: PairVrrpView) => new Map(v.instances.map((i) => [i.name, i.state]));
  const h = states(here);
  const p = states(peer);
  const names = [...new Set([...h.keys(), ...p.keys()])].sort();
  const wrong: string[] = [];
  for (const name of names) {
    const pair = [h.get(name) ?? 'absent', p.get(name) ?? 'absent'];
    const ok = (pair[0] === 'MASTER' && pair[1] === 'BACKUP') || (pair[0] === 'BACKUP' && pair[1] === 'MASTER');
    if (!ok) wrong.push(`${name}: this box ${pair[0]}, the peer ${pair[1]}`);
  }
  if (names.length > 0 && (!here.running || !peer.running)) wrong.unshift(`VRRP not running on ${!here.running ? 'this box' : 'the peer'}`);
  return wrong.length > 0 ? wrong.join('; ') : undefined;
}

/** Before anything is written: both boxes answer, neither is on a trial, the pair is settled. The refusal, or the roles. */
export function pairPreflight(o: PairObservation & { readonly hereStatus: Answer<PairStatusView> }): { readonly refused: string } | { readonly roles: PairRoles } {
  if (!o.peerStatus.ok) return { refused: `the peer does not answer over SSH: ${o.peerStatus.error}` };
  if (!o.hereStatus.ok) return { refused: `this box's upgrade status: ${o.hereStatus.error}` };
  for (const [who, s] of [['this box', o.hereStatus.value], ['the peer', o.peerStatus.value]] as const) {
    if (s.trial !== null) return { refused: `${who} has slot ${s.trial} on trial (${s.trial === s.running ? 'running, not yet marked good' : 'installed, not yet booted'}): wait for its verdict (stockade upgrade status)` };
  }
  if (!o.hereVrrp.ok) return { refused: `this box's daemon does not answer: ${o.hereVrrp.error}` };
  if (!o.peerVrrp.ok) return { refused: `the peer's daemon does not answer: ${o.peerVrrp.error}` };
  const why = unsettled(o.hereVrrp.value, o.peerVrrp.value);
  if (why) return { refused: `the pair is not settled (${why}): a rolling upgrade starts from one MASTER and one BACKUP of every instance` };
  return { roles: { hereMasters: masterOf(o.hereVrrp.value), peerMasters: masterOf(o.peerVrrp.value), peerRunning: o.peerStatus.value.running } };
}

export type PairVerdict =
  | { readonly action: 'wait'; readonly pending: string }
  | { readonly action: 'next' }
  | { readonly action: 'stop'; readonly reason: string };

export interface PairWaitTiming {
  readonly startMs: number;
  readonly timeoutMs: number;
  /** Steps 4's states must hold unchanged this long. */
  readonly holdMs: number;
}

/** Step 3: the peer on its new slot (`target`, holding `version`), marked good by its trial. */
export function judgePeerGood(status: Answer<PairStatusView>, target: SlotName, version: string): PairVerdict {
  if (!status.ok) return { action: 'wait', pending: `the peer does not answer (rebooting): ${status.error}` };
  const s = status.value;
  const slot = s.slots.find((x) => x.slot === target);
  if (s.running !== target) {
    if (s.trial === target) return { action: 'wait', pending: `the peer still runs slot ${s.running} (its reboot has not begun)` };
    const f = s.last_failure?.slot === target ? s.last_failure : undefined;
    const reason = f?.reason ?? slot?.installed?.failure ?? `slot ${target} is ${slot?.condition ?? 'unknown'}`;
    return { action: 'stop', reason: `the peer's new slot ${target} failed its trial (${reason}); the peer went back to slot ${s.running} by itself` };
  }
  if (s.trial === target) return { action: 'wait', pending: `the peer runs slot ${target} on its trial` };
  const held = slot?.installed?.version;
  if (held !== version) return { action: 'stop', reason: `the peer runs slot ${target}, which holds ${held ?? 'no recorded install'}, not ${version}` };
  if (slot?.condition !== 'good') return { action: 'wait', pending: `the peer's slot ${target} is ${slot?.condition ?? 'unknown'}` };
  return { action: 'next' };
}

/** Step 4: the pair settled and the peer's sync re-synced (when this box's config has sync). */
export function judgeSettled(o: PairObservation, expectSync: boolean): { readonly ok: boolean; readonly detail: string; readonly key: string } {
  if (!o.hereVrrp.ok) return { ok: false, detail: `this box's daemon: ${o.hereVrrp.error}`, key: '' };
  if (!o.peerVrrp.ok) return { ok: false, detail: `the peer's daemon: ${o.peerVrrp.error}`, key: '' };
  const why = unsettled(o.hereVrrp.value, o.peerVrrp.value);
  const key = [...o.hereVrrp.value.instances, ...o.peerVrrp.value.instances].map((i) => `${i.name}=${i.state}`).join(',');
  if (why) return { ok: false, detail: `VRRP not settled: ${why}`, key };
  if (expectSync) {
    if (!o.peerSync.ok) return { ok: false, detail: `the peer's sync: ${o.peerSync.error}`, key };
    const s = o.peerSync.value;
    if (!s.running) return { ok: false, detail: `the peer's sync is not running${s.reason ? `: ${s.reason}` : ''}`, key };
    if (s.failover?.startup === 'held') return { ok: false, detail: 'the peer waits for this box\'s bulk sync', key };
    if (s.failover?.startup === 'timeout') return { ok: false, detail: 'the peer\'s start-up bulk sync from this box timed out', key };
  }
  return { ok: true, detail: `settled: this box ${o.hereVrrp.value.instances.map((i) => `${i.name} ${i.state}`).join(', ')}`, key };
}

/** Steps 3 and 4 in turn against one deadline; the settled states must hold unchanged for holdMs. */
export class PairWait {
  readonly #timing: PairWaitTiming;
  readonly #target: SlotName;
  readonly #version: string;
  readonly #expectSync: boolean;
  #step: 'peer-good' | 'peer-settled' = 'peer-good';
  #heldSince: number | undefined;
  #heldKey = '';
  #last = '';

  constructor(timing: PairWaitTiming, target: SlotName, version: string, expectSync: boolean) {
    this.#timing = timing;
    this.#target = target;
    this.#version = version;
    this.#expectSync = expectSync;
  }

  get step(): 'peer-good' | 'peer-settled' {
    return this.#step;
  }

  judge(o: PairObservation, nowMs: number): PairVerdict {
    if (this.#step === 'peer-good') {
      const v = judgePeerGood(o.peerStatus, this.#target, this.#version);
      if (v.action !== 'next') return this.#late(v, nowMs);
      this.#step = 'peer-settled';
    }
    const s = judgeSettled(o, this.#expectSync);
    if (!s.ok) {
      this.#heldSince = undefined;
      return this.#late({ action: 'wait', pending: s.detail }, nowMs);
    }
    if (this.#heldSince === undefined || s.key !== this.#heldKey) {
      this.#heldSince = nowMs;
      this.#heldKey = s.key;
    }
    if (nowMs - this.#heldSince >= this.#timing.holdMs) return { action: 'next' };
    return this.#late({ action: 'wait', pending: `${s.detail} (holding)` }, nowMs);
  }

  #late(v: PairVerdict, nowMs: number): PairVerdict {
    if (v.action === 'wait') this.#last = v.pending;
    if (v.action !== 'wait' || nowMs - this.#timing.startMs < this.#timing.timeoutMs) return v;
    const what = this.#step === 'peer-good' ? 'the peer was not back on its new slot, marked good,' : 'the pair did not settle';
    return { action: 'stop', reason: `${what} within ${Math.round(this.#timing.timeoutMs / 1000)} s (last seen: ${this.#last})` };
  }
}

/** How the pair stands after a stop at `step`, and what to do: the lines printed. */
export function pairStop(step: PairStep, reason: string, versions: { readonly old: string; readonly next: string }): string {
  const where = `upgrade pair: stopped at step ${step.n} (${step.title}) on ${step.box === 'both' ? 'both boxes' : step.box === 'peer' ? 'the peer' : 'this box'}: ${reason}`;
  const now: Record<PairStepName, string> = {
    'write': 'neither box was switched: both run what they ran and serve as before.',
    'activate-peer': `neither box was switched: both run what they ran and serve as before; both hold ${versions.next} in their other slot, not booted.`,
    'peer-good': `this box was not switched: it runs ${versions.old} and serves (MASTER while the peer is away).`,
    'peer-settled': `the peer runs ${versions.next}, marked good; this box runs ${versions.old}, not switched; the pair serves.`,
    'activate-here': `the peer runs ${versions.next}, marked good; this box runs ${versions.old}; the pair serves.`,
  };
  const next: Record<PairStepName, string> = {
    'write': 'Fix what is named above and run `stockade upgrade pair` again.',
    'activate-peer': 'Fix what is named above and run `stockade upgrade pair` again (it writes both slots anew).',
    'peer-good': 'See why on the peer (`stockade upgrade status` there, its console); when it runs the new slot marked good and the pair has settled, `stockade upgrade activate --handover` here finishes the upgrade.',
    'peer-settled': 'When `stockade ctl vrrp` shows one MASTER and one BACKUP of every instance and the peer\'s sync is up, `stockade upgrade activate --handover` here finishes the upgrade.',
    'activate-here': 'Install it here: `stockade upgrade install FILE --handover` (or - with the bundle on stdin).',
  };
  return `${where}\nNow: ${now[step.name]}\nNext: ${next[step.name]}`;
}
