// Runs the real checker shell (src/lvs/checkers on src/kernel/probes) inside a lab namespace:
//   node run-checkers.ts SPECS_JSON [RUN_MS]
// SPECS_JSON: ServiceSpec[] (payload/bytes as arrays). Prints one JSON line per event
// ({"event": ...}), then, after RUN_MS once every check has a result (default: until
// killed), one {"status": ...} line and exits.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startCheckers } from '../../../src/lvs/checkers/index.ts';
import type { ServiceSpec } from '../../../src/lvs/checkers/index.ts';

const specs = JSON.parse(readFileSync(process.argv[2]!, 'utf8'), (k, v) => (['payload', 'bytes', 'mask'].includes(k) && Array.isArray(v) ? Uint8Array.from(v) : v)) as ServiceSpec[];
const runMs = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
const t0 = performance.now();
const print = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
// startCheckers also logs every event; tests read the JSON lines.
const { shell, stop } = startCheckers({ specs }, (level, m) => print({ log: m, level }), {
  warmup: () => 0,
  onEvent: (e) => print({ event: { ...e, at: Math.round(e.at - t0) } }),
});
print({ started: shell.runner.checkCount });
if (runMs !== undefined) {
  // After RUN_MS, once every check has a result (a busy machine may be slow).
  const done = (): boolean => shell.status().services.every((s) => s.checks.every((c) => c.lastResult !== undefined));
  const finish = (): void => {
    if (!done()) return void setTimeout(finish, 50);
    process.stdout.write(`${JSON.stringify({ status: shell.status() })}\n`);
    stop();
    process.exit(0);
  };
  setTimeout(finish, runMs);
}
