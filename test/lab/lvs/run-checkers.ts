// Runs the real checker shell (src/lvs/checkers on src/kernel/probes) inside a lab namespace:
//   node run-checkers.ts SPECS_JSON [RUN_MS]
// SPECS_JSON: ServiceSpec[] (payload/bytes as arrays). Prints one JSON line per event
// ({"event": ...}), then, after RUN_MS once every check has a result (default: until
// killed), one {"status": ...} line and exits.
import { readFileSync } from 'node:fs';
import { CheckerShell, kernelWorld } from '../../../src/lvs/checkers/index.ts';
import type { ServiceSpec } from '../../../src/lvs/checkers/index.ts';

const specs = JSON.parse(readFileSync(process.argv[2]!, 'utf8'), (k, v) => (['payload', 'bytes', 'mask'].includes(k) && Array.isArray(v) ? Uint8Array.from(v) : v)) as ServiceSpec[];
const runMs = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
const world = kernelWorld((level, m) => process.stdout.write(`${JSON.stringify({ log: m, level })}\n`));
const t0 = world.now();
const shell = new CheckerShell(specs, world, { warmup: () => 0 });
shell.on('event', (e) => process.stdout.write(`${JSON.stringify({ event: { ...e, at: Math.round(e.at - t0) } })}\n`));
shell.on('log', (level, m) => process.stdout.write(`${JSON.stringify({ log: m, level })}\n`));
shell.start();
process.stdout.write(`${JSON.stringify({ started: shell.runner.checkCount })}\n`);
if (runMs !== undefined) {
  // After RUN_MS, once every check has a result (a busy machine may be slow).
  const done = (): boolean => shell.status().services.every((s) => s.checks.every((c) => c.lastResult !== undefined));
  const finish = (): void => {
    if (!done()) return void setTimeout(finish, 50);
    process.stdout.write(`${JSON.stringify({ status: shell.status() })}\n`);
    shell.stop();
    world.close();
    process.exit(0);
  };
  setTimeout(finish, runMs);
}
