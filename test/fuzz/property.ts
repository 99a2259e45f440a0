// How every fuzz property runs: one seed per process (FUZZ_SEED=<seed> repeats a run), a number of
// runs, and a time limit that stops it early on a slow or busy machine. A property stopped by the
// limit before `minRuns` fails: too few cases prove nothing, and a pass must not hide that.
// FUZZ_VERBOSE=1 prints runs and time per property (how the budgets below were chosen).
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import type { Test } from 'uvu';

export const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

export interface Budget {
  /** Cases to run when time allows. */
  runs: number;
  /** Stopped by the time limit before this many, the property fails (default: runs / 10). */
  minRuns?: number;
  /** Wall time after which the property stops (default 8 s). */
  timeLimitMs?: number;
}

const DEFAULT_TIME_LIMIT_MS = 8000;

/** Registers a synchronous property as one test. */
export function property<T>(test: Test, name: string, arb: fc.Arbitrary<T>, budget: Budget, predicate: (value: T) => void): void {
  test(name, () => {
    const t0 = performance.now();
    judge(name, budget, fc.check(fc.property(arb, (v) => void predicate(v)), params(budget)), performance.now() - t0);
  });
}

/** Registers an asynchronous property as one test. */
export function asyncProperty<T>(test: Test, name: string, arb: fc.Arbitrary<T>, budget: Budget, predicate: (value: T) => Promise<void>): void {
  test(name, async () => {
    const t0 = performance.now();
    judge(name, budget, await fc.check(fc.asyncProperty(arb, predicate), params(budget)), performance.now() - t0);
  });
}

function params(b: Budget): fc.Parameters<unknown> {
  return { seed, numRuns: b.runs, interruptAfterTimeLimit: b.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS, markInterruptAsFailure: false };
}

function judge<T>(name: string, b: Budget, details: fc.RunDetails<T>, ms: number): void {
  const minRuns = b.minRuns ?? Math.ceil(b.runs / 10);
  if (process.env.FUZZ_VERBOSE === '1') {
    console.log(`\n  fuzz: ${name}: ${details.numRuns}/${b.runs} runs in ${Math.round(ms)} ms${details.interrupted ? ' (stopped by the time limit)' : ''}`);
  }
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? `\ncause: ${details.errorInstance.message}` : '';
    throw new Error(`${name}: failed with FUZZ_SEED=${seed}\n${fc.defaultReportMessage(details) ?? ''}${cause}`);
  }
  if (details.numRuns < minRuns) {
    throw new Error(`${name}: only ${details.numRuns} of at least ${minRuns} runs before the ${b.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS} ms time limit (FUZZ_SEED=${seed}): too few cases to mean anything`);
  }
}

