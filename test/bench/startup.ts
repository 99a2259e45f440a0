// Cold start of the stockade executable (`--version`) against `node -e 0` on the very same runtime
// (the stripped Node the executable was built from): whole process against whole process on the
// same clock, interleaved in alternating order so both see the same machine load. Both must exit 0
// (and stockade print its version) every time: a failing start is not a fast one.
//   npm run bench -- startup [--runs N]   (N >= 7, default 40)
import { spawnSync, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MIN_RUNS, alternate, describe, median, ratio, runsOption } from './stats.ts';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const runs = runsOption(values.runs, MIN_RUNS);
const stockade = join(root, 'dist', 'x64', 'stockade');
const runtime = execFileSync(process.execPath, [join(root, 'scripts', 'fetch-runtime.ts'), 'x64'], { encoding: 'utf8' }).trim();

function timeOnce(cmd: string, args: string[], expect: RegExp): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 || !expect.test(r.stdout)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return ms;
}

const sides = {
  stockade: () => timeOnce(stockade, ['--version'], /\d+\.\d+\.\d+/),
  node: () => timeOnce(runtime, ['-e', '0'], /^$/),
};
await alternate(3, sides); // warm the page cache for both
const r = await alternate(runs, sides);
console.log(`stockade --version: ${describe(r.stockade)}`);
console.log(`node -e 0:          ${describe(r.node)}`);
const s = median(r.stockade);
const n = median(r.node);
console.log(`BENCH startup runs=${runs} stockade_ms=${s.toFixed(1)} node_ms=${n.toFixed(1)} ratio=${ratio(s, n)}`);
