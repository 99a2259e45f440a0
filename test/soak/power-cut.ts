// `npm run soak -- power-cut [--cuts N] [--seed S]`: the image tier's power cuts (test/image/power-cut.ts),
// many times over on one box: qemu killed at random points across install, switch and the
// trial boot, restarted on the same disk, every invariant checked after each. Needs root and qemu
// (as the image tier). Last line: `SOAK power-cut cuts=N ok=N failed=0 seed=S phases=install:a,switch:b,trial:c`.
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { powerCut, seededRandom, type Phase } from '../image/power-cut.ts';
import { bootUpgradeBox, installFrom, prepareUpgradeBox, type UpgradeBox } from '../image/upgrade-fixture.ts';

const { values } = parseArgs({ options: { cuts: { type: 'string', default: '20' }, seed: { type: 'string' } } });
const cuts = Number(values.cuts);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(cuts) || cuts < 1) throw new Error('--cuts N: a positive whole number');
const random = seededRandom(seed);
const phases: Record<Phase, number> = { install: 0, switch: 0, trial: 0 };
let ok = 0;
let box: UpgradeBox | undefined;
const prepared = await prepareUpgradeBox();
try {
  box = await bootUpgradeBox(prepared);
  // One install unbroken, for its duration (a cut in the install phase lands within it).
  const vm = box.vms.vm('box');
  const started = Date.now();
  const r = await installFrom(vm, box.bundles.next);
  if (r.code !== 0) throw new Error(`the first install failed: ${r.output}`);
  const installMs = Date.now() - started;
  console.log(`power-cut soak: ${cuts} cuts, seed ${seed}; an install takes ${(installMs / 1000).toFixed(0)} s here`);
  for (let i = 0; i < cuts; i++) {
    const c = await powerCut(box, random, installMs, (line) => console.log(`${i + 1}/${cuts} ${line}`));
    phases[c.phase]++;
    ok++;
  }
} catch (e) {
  console.log(`power-cut soak: cut ${ok + 1} failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
} finally {
  await box?.vms.destroy();
  rmSync(prepared.tmp, { recursive: true, force: true });
}
console.log(`SOAK power-cut cuts=${ok + (process.exitCode ? 1 : 0)} ok=${ok} failed=${process.exitCode ? 1 : 0} seed=${seed} phases=install:${phases.install},switch:${phases.switch},trial:${phases.trial}`);
