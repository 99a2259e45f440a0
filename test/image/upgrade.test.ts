// Signed upgrades on the x86_64 appliance in qemu, with the real slot writer (the partition by
// its GPT label) and GRUB's environment edited in place on the ESP, one box through one story
// (the VM is shared: booting is the slow part):
//   - bundles that must be refused (signed by an untrusted key, a bit flipped in the first
//     chunk, made for another board) are, with a clear error, and leave slot B's bytes and
//     GRUB's environment exactly as they were;
//   - the next build streamed on stdin (`... | stockade upgrade install -`, as over SSH) lands in
//     slot B, read back; GRUB boots B once, on trial; B marks itself good when its health holds
//     (`upgrade trial`, started by init); four reboots later B still runs, same version;
//   - a build whose health fails (test-fixture.ts: a test hook in that build only) is installed
//     into A, boots on trial, fails, reboots by itself into B, which records why;
//   - power cuts (qemu killed) at random points across install, switch and the trial boot
//     (power-cut.ts): every restart boots a good slot, /data intact. POWER_CUTS=N (default 3),
//     POWER_CUT_SEED=S repeats a run; `npm run soak -- power-cut` runs 20.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { powerCut, seededRandom } from './power-cut.ts';
import {
  bootUpgradeBox, BOOT_TIMEOUT_MS, configText, installFrom, partitionSha, prepareUpgradeBox, reboot, runningBuild, sh, status, waitTrialOver, writeConfig,
  type UpgradeBox,
} from './upgrade-fixture.ts';
import { rmSync } from 'node:fs';

const Upgrade = suite('image upgrade');
/** The commands' lines past column 79 go on in indented lines (a serial console): joined again. */
const joined = (text: string): string => text.replace(/\n +/g, ' ');
let box: UpgradeBox | undefined;
let installMs = 60_000;

// The setup runs once; each test awaits it, so a failed setup fails every test with its reason
// (uvu's runner reports a throwing before-hook as nothing at all).
let ready: Promise<UpgradeBox> | undefined;
function setUp(): Promise<UpgradeBox> {
  ready ??= prepareUpgradeBox().then(async (p) => {
    try {
      box = await bootUpgradeBox(p);
      return box;
    } catch (e) {
      rmSync(p.tmp, { recursive: true, force: true });
      throw e;
    }
  });
  return ready;
}

Upgrade.after(async () => {
  await box?.vms.destroy();
  if (box) rmSync(box.tmp, { recursive: true, force: true });
});

Upgrade('refused bundles: untrusted key, a flipped bit, another board; slot B and GRUB\'s environment unchanged', async () => {
  const b = await setUp();
  const vm = b.vms.vm('box');
  const before = partitionSha(b.disk, 'root-b');
  const envBefore = await sh(vm, 'stockade upgrade status --json');
  const cases: Array<[keyof UpgradeBox['bundles'], RegExp]> = [
    ['untrusted', /signed by key [0-9a-f]{16}, which is not trusted \(trusted: release /],
    ['flipped', /part rootfs, chunk 0: sha256 [0-9a-f]{64} differs from the manifest's/],
    ['arm', /the bundle is for board arm64-generic; this box is x86_64-generic/],
  ];
  for (const [name, want] of cases) {
    const r = await installFrom(vm, b.bundles[name]);
    assert.is(r.code, 2, `${name}: ${r.output}`);
    assert.match(joined(r.output), want);
    assert.match(joined(r.output), /nothing was switched: slot A stays the one that boots/);
  }
  assert.is(partitionSha(b.disk, 'root-b'), before, 'slot B changed');
  assert.is(await sh(vm, 'stockade upgrade status --json'), envBefore);
});

Upgrade('the next build: installed into B from stdin, boots on trial, marks itself good; four reboots keep B and its version', async () => {
  const b = await setUp();
  const vm = b.vms.vm('box');
  const next = b.bundles.next;
  const started = Date.now();
  const r = await installFrom(vm, next);
  installMs = Date.now() - started;
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /writing slot B \(partition root-b\); slot A runs/);
  assert.match(r.output, /written[^\n]*100 %/);
  assert.match(r.output, /slot B: 0\.2\.0 installed and read back/);
  assert.match(joined(r.output), /GRUB boots it next, once, on trial: it is kept when its health holds within 600 s, else slot A boots again/);
  assert.is(partitionSha(b.disk, 'root-b', next.payloadSize), next.payloadSha);
  const installed = await status(vm);
  assert.is(installed.order, 'B A');
  assert.is(installed.trial, 'B');
  assert.equal(installed.slots.map((s) => [s.ok, s.tries, s.condition]), [[true, 3, 'good'], [true, 1, 'trial']]);

  const from = vm.console().length;
  assert.is(await reboot(vm), 'B', 'the new slot boots');
  assert.match(vm.console().slice(from), /stockade: upgrade: slot B is on its trial boot/);
  assert.is(await runningBuild(vm), 'next', 'the new build runs');
  const good = await waitTrialOver(vm);
  assert.is(good.running, 'B');
  assert.is(good.order, 'B A');
  assert.is(good.epoch_floor, 1, 'the epoch floor rose with mark-good');
  const slotB = good.slots[1]!;
  assert.equal([slotB.ok, slotB.tries, slotB.condition], [true, 3, 'good']);
  assert.is(slotB.installed!.version, '0.2.0');
  assert.is(slotB.installed!.sha256, next.payloadSha);
  assert.ok(slotB.installed!.activated_at, 'activated time recorded');
  assert.is(good.slots[0]!.condition, 'good', 'A stays as it was: good, to go back to');
  assert.match(await sh(vm, 'cat /run/stockade-upgrade.log'), /upgrade trial: slot B passed its trial and is marked good; security epoch floor 1 \(boot: completed; daemon: pid \d+; config: \/data\/config\.json, firewall applied; vrrp: not configured; sync: not configured\)/);
  const text = await sh(vm, 'stockade upgrade status');
  assert.match(joined(text), /slot B \* good, 3 tries left; 0\.2\.0 \(build \S+, epoch 1\), installed \S+, marked good \S+/);

  // Boots are counted only during a trial: before, the fourth reboot went back to A.
  for (let i = 1; i <= 4; i++) {
    assert.is(await reboot(vm), 'B', `reboot ${i}`);
    assert.is(await runningBuild(vm), 'next', `reboot ${i}: the build`);
    const s = await status(vm);
    assert.equal([s.running, s.trial, s.slots[1]!.tries, s.slots[1]!.installed!.version], ['B', null, 3, '0.2.0'], `reboot ${i}`);
  }
});

Upgrade('a build whose health fails: its trial ends, the box reboots into B by itself, and B says why', async () => {
  const b = await setUp();
  const vm = b.vms.vm('box');
  b.config = configText(b, { confirm_timeout_s: 30 });
  await writeConfig(vm, b.config);
  const r = await installFrom(vm, b.bundles.fail);
  assert.is(r.code, 0, r.output);
  assert.match(r.output, /writing slot A \(partition root-a\); slot B runs/);
  const from = vm.console().length;
  vm.write('reboot\n');
  const trial = await vm.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_TIMEOUT_MS, from);
  assert.is(trial[2], 'A', 'the trial boot');
  const back = await vm.waitFor(/stockade: boot complete \(([^,]+), slot ([AB?])\)/, BOOT_TIMEOUT_MS, trial.index + trial[0].length);
  assert.is(back[2], 'B', 'back on B without anyone touching it');
  await vm.login();
  // Printed by boot's settling, after its boot-complete line and before the login prompt.
  assert.match(vm.console().slice(back.index), /stockade: upgrade: slot A \(0\.2\.1\) failed its trial: health did not hold within 30 s: vrrp: not configured \(failed by the test hook\); slot B runs again/);
  assert.is(await runningBuild(vm), 'next');
  const s = await status(vm);
  assert.is(s.running, 'B');
  assert.is(s.trial, null);
  assert.is(s.order, 'B A');
  assert.equal(s.slots.map((x) => x.condition), ['bad', 'good']);
  assert.match(s.slots[0]!.installed!.failure!, /failed by the test hook/);
  assert.is(s.last_failure!.slot, 'A');
  assert.is(s.last_failure!.version, '0.2.1');
  assert.match(s.last_failure!.reason, /^health did not hold within 30 s: vrrp: not configured \(failed by the test hook\)$/);
  assert.is(s.epoch_floor, 1);
  assert.match(joined(await sh(vm, 'stockade upgrade status')), /last failed trial: slot A \(0\.2\.1\) at \S+: health did not hold within 30 s/);
  const rb = await vm.run('stockade upgrade rollback 2>&1');
  assert.is(rb.code, 2);
  assert.match(joined(rb.output), /upgrade rollback: slot A is marked bad \(health did not hold within 30 s[^)]*\)\): there is nothing good to go back to; slot B stays/);
  b.config = configText(b);
  await writeConfig(vm, b.config);
});

Upgrade('power cuts across install, switch and the trial boot: every restart boots a good slot, /data intact', async () => {
  const b = await setUp();
  const cuts = Number(process.env['POWER_CUTS'] ?? 3);
  const seed = Number(process.env['POWER_CUT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  process.stderr.write(`power cuts: ${cuts}, seed ${seed} (POWER_CUT_SEED=${seed} repeats it)\n`);
  const random = seededRandom(seed);
  for (let i = 0; i < cuts; i++) {
    const r = await powerCut(b, random, installMs, (line) => process.stderr.write(`${i + 1}/${cuts} ${line}\n`));
    assert.ok(r.booted === 'A' || r.booted === 'B');
  }
});

Upgrade.run();
