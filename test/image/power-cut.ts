// Power cuts during an upgrade: qemu killed (SIGKILL, by PID) at a random point of one of three
// phases, then started again on the same disk:
//   install  while the bundle streams into the other slot;
//   switch   around the end of the read-back, where the one write of GRUB's environment happens;
//   trial    from the `reboot` into the new slot until its health verdict.
// After every restart: the slot that boots is the good one that ran before, or the new one on its
// trial holding the whole bundle (its read-back sha256 recorded before the switch); every slot
// GRUB may boot holds exactly what the state says; /data's random file and config are intact;
// a trial left behind ends by itself (the new slot marks itself good, or the old one records
// why it failed). Each cut reports one line; a failed invariant throws.
//
// A qemu kill keeps what qemu had written to the disk file (the host's page cache survives it);
// what the guest had not yet written (its own page cache, GRUB's env before the flush) is lost,
// as at a power cut.
import {
  DATA_MARKER, INSTALL_TIMEOUT_MS, bootedSlot, installFrom, partitionSha, runningBuild, sh, startBox, status, waitTrialOver,
  type Bundle, type StatusJson, type UpgradeBox,
} from './upgrade-fixture.ts';

export type Phase = 'install' | 'switch' | 'trial';
const PHASES: readonly Phase[] = ['install', 'switch', 'trial'];

export { seededRandom } from '../seeded-random.ts';

export interface CutResult {
  readonly phase: Phase;
  readonly afterMs: number;
  readonly before: 'A' | 'B';
  readonly booted: 'A' | 'B';
  readonly outcome: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function other(s: 'A' | 'B'): 'A' | 'B' {
  return s === 'A' ? 'B' : 'A';
}

/** The build not running now, to install next (so that which one boots is visible). */
function nextBundle(box: UpgradeBox, build: string): Bundle {
  return build === box.bundles.next.marker ? box.bundles.base : box.bundles.next;
}

async function check(box: UpgradeBox, s: StatusJson, what: string): Promise<void> {
  const vm = box.vms.vm('box');
  const data = (await sh(vm, `sha256sum ${DATA_MARKER}`)).split(' ')[0];
  if (data !== box.dataSha) throw new Error(`${what}: ${DATA_MARKER} changed (${data} != ${box.dataSha})`);
  const cfg = JSON.parse(await sh(vm, 'cat /data/config.json')) as unknown;
  if (JSON.stringify(cfg) !== JSON.stringify(box.config)) throw new Error(`${what}: /data/config.json changed`);
  for (const slot of s.slots) {
    if (slot.condition === 'bad' || !slot.installed) continue;
    const sha = partitionSha(box.disk, slot.slot === 'A' ? 'root-a' : 'root-b', slot.installed.size);
    if (sha !== slot.installed.sha256) throw new Error(`${what}: slot ${slot.slot} is bootable (${slot.condition}) but holds sha256 ${sha}, not the ${slot.installed.sha256} its record says`);
  }
}

/** One cut; the box is running (logged in, no trial) before and after. */
export async function powerCut(box: UpgradeBox, random: () => number, installMs: number, log: (line: string) => void): Promise<CutResult> {
  let vm = box.vms.vm('box');
  const before = (await status(vm)).running;
  const bundle = nextBundle(box, await runningBuild(vm));
  const phase = PHASES[Math.floor(random() * PHASES.length)]!;
  let afterMs = 0;
  // The install runs on the test shell: its progress lines are there.
  const from = vm.shellOutput().length;
  if (phase === 'install') {
    afterMs = Math.floor(random() * installMs);
    void installFrom(vm, bundle).catch(() => undefined);
    await sleep(afterMs);
  } else if (phase === 'switch') {
    void installFrom(vm, bundle).catch(() => undefined);
    // One line per 10 % ("read back 80 %"), or a live line on the console's tty ("read back ... (85 %)"),
    // drawn at most every 200 ms: any figure from 80 % on.
    await vm.waitFor(/read back (?:[89]0 %|100 %|[^(]*\((?:[89]\d|100) %\))/, INSTALL_TIMEOUT_MS, from, 'shell');
    afterMs = Math.floor(random() * 3000);
    await sleep(afterMs);
  } else {
    const r = await installFrom(vm, bundle);
    if (r.code !== 0) throw new Error(`install of ${bundle.version} failed: ${r.output}`);
    vm.write('reboot\n');
    // Across GRUB, the kernel, boot and the trial until its verdict (about one boot's time and the hold).
    afterMs = Math.floor(random() * (installMs * 4 + 30_000));
    await sleep(afterMs);
  }
  await box.vms.destroy();
  box.vms = await startBox(box);
  vm = box.vms.vm('box');
  const booted = await bootedSlot(vm, 0);
  let s = await status(vm);
  const what = `cut in ${phase} after ${afterMs} ms (slot ${before} ran, installing ${bundle.version} into ${other(before)})`;
  if (booted !== before) {
    // Only the new slot may boot instead, on its trial (or marked good before the cut), holding the whole bundle.
    const cond = s.slots.find((x) => x.slot === booted)!.condition;
    if (booted !== other(before) || (s.trial !== booted && cond !== 'good')) throw new Error(`${what}: booted slot ${booted}, ${cond}, not on trial (trial: ${s.trial})`);
    const rec = s.slots.find((x) => x.slot === booted)!.installed;
    if (rec?.sha256 !== bundle.payloadSha) throw new Error(`${what}: slot ${booted} boots on trial with record ${rec?.sha256}, not the bundle's ${bundle.payloadSha}`);
    if ((await runningBuild(vm)) !== bundle.marker) throw new Error(`${what}: slot ${booted} runs build '${await runningBuild(vm)}', not '${bundle.marker}'`);
  }
  await check(box, s, what);
  let outcome: string;
  if (s.trial !== null) {
    s = await waitTrialOver(vm);
    outcome = `trial of ${booted} ended: ${s.running === booted ? 'marked good' : 'failed'}`;
    if (s.slots.find((x) => x.slot === booted)!.condition !== 'good') throw new Error(`${what}: the trial ended with slot ${booted} ${s.slots.find((x) => x.slot === booted)!.condition}`);
  } else if (booted === before && s.last_failure?.slot === other(before) && s.slots.find((x) => x.slot === other(before))!.condition === 'bad') {
    outcome = `slot ${other(before)}'s trial recorded as failed: ${s.last_failure.reason}`;
  } else {
    outcome = `slot ${booted} runs; slot ${other(before)} ${s.slots.find((x) => x.slot === other(before))!.condition}`;
  }
  if (s.slots.find((x) => x.slot === s.running)!.condition !== 'good') throw new Error(`${what}: running slot ${s.running} is not good`);
  await check(box, s, what);
  const result = { phase, afterMs, before, booted, outcome };
  log(`power cut: ${phase} +${afterMs} ms: slot ${before} ran; booted ${booted}; ${outcome}`);
  return result;
}
