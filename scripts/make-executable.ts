// Turns the bundle and a Node runtime into one single-executable application (Node SEA,
// `node --build-sea`), written to a temporary name and renamed so a failed build leaves no
// half-written executable.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  };
  const configPath = join(work, 'sea-config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  execFileSync(process.execPath, ['--build-sea', configPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  const kind = execFileSync('file', ['-b', tmpOut], { encoding: 'utf8' });
  const want = arch === 'x64' ? 'x86-64' : 'aarch64';
  if (!kind.includes(want)) throw new Error(`${out}: expected a ${want} executable, got: ${kind.trim()}`);
  renameSync(tmpOut, outPath);
} finally {
  rmSync(work, { recursive: true, force: true });
}
