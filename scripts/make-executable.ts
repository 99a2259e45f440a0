// Turns the bundle and a Node runtime into one single-executable application (Node SEA,
// `node --build-sea`), written to a temporary name and renamed so a failed build leaves no
// half-written executable.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    arch: { type: 'string' },
    runtime: { type: 'string' },
    bundle: { type: 'string' },
    out: { type: 'string' },
  },
});
const { arch, runtime, bundle, out } = values;
if (!arch || !runtime || !bundle || !out) {
  console.error('usage: make-executable.ts --arch A --runtime NODE --bundle FILE --out FILE');
  process.exit(2);
}

/**
 * V8 flags the executable always runs with. A young generation of at most 2 x 2 MiB instead of
 * V8's 2 x 32 MiB: the daemon's bursts (a conntrack sync sender queues 100,000 entries) grew it
 * to the maximum and RSS never came back (sending side 214 -> 163 MiB at 100,000 entries, same
 * sync and commit times in the ctsync bench); a firewall box is short of memory, not of CPU.
 */
const V8_FLAGS = ['--max-semi-space-size=2'];

const outPath = resolve(out);
mkdirSync(dirname(outPath), { recursive: true });
const work = mkdtempSync(join(dirname(outPath), '.sea-'));
try {
  const tmpOut = join(work, 'stockade');
  const config = {
    main: resolve(bundle),
    output: tmpOut,
    executable: resolve(runtime),
    disableExperimentalSEAWarning: true,
    // V8's code cache is specific to the CPU it was made on: only for the host's own arch.
    useCodeCache: arch === process.arch,
    useSnapshot: false,
    execArgv: V8_FLAGS,
  };
  const configPath = join(work, 'sea-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  // The code cache is only accepted by a V8 started with the same flags as the one that made it.
  execFileSync(process.execPath, [...V8_FLAGS, '--build-sea', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const kind = execFileSync('file', ['-b', tmpOut], { encoding: 'utf8' });
  const want = arch === 'x64' ? 'x86-64' : 'aarch64';
  if (!kind.includes(want)) throw new Error(`${out}: expected a ${want} executable, got: ${kind.trim()}`);
  // A copy, not the file --build-sea wrote: its one large write leaves the file in the page cache
  // in large folios, and every page fault then maps far more of the executable than the code
  // touches (the daemon's file-backed RSS measured 75 MiB from the written file, 39 MiB from a
  // copy), which would skew every memory figure taken on this machine.
  const copied = join(work, 'stockade.copy');
  copyFileSync(tmpOut, copied);
  renameSync(copied, outPath);
} finally {
  rmSync(work, { recursive: true, force: true });
}
