// Cold start of the stockade executable (`--version`) against `node -e 0` on the very same runtime
// (the stripped Node the executable was built from), interleaved so both see the same machine load.
import { spawnSync, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './stats.ts';

const root = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const runs = Number(values.runs);
const stockade = join(root, 'dist', 'x64', 'stockade');
const runtime = execFileSync(process.execPath, [join(root, 'scripts', 'fetch-runtime.ts'), 'x64'], { encoding: 'utf8' }).trim();

function timeOnce(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < 3; i++) {
  timeOnce(stockade, ['--version']);
  timeOnce(runtime, ['-e', '0']);
}
for (let i = 0; i < runs; i++) {
  a.push(timeOnce(stockade, ['--version']));
  b.push(timeOnce(runtime, ['-e', '0']));
}
const s = median(a);
const n = median(b);
console.log(`runs=${runs} stockade --version: median ${s.toFixed(1)} ms (min ${Math.min(...a).toFixed(1)}); node -e 0: median ${n.toFixed(1)} ms (min ${Math.min(...b).toFixed(1)})`);
console.log(`BENCH startup stockade_ms=${s.toFixed(1)} node_ms=${n.toFixed(1)} ratio=${(s / n).toFixed(2)}`);
