// Small statistics and the run order shared by the benchmarks: every ratio compares the same work
// on both sides, at least MIN_RUNS times each, interleaved in alternating order (A B, B A, ...),
// reported as the median with the spread beside it.

/** Runs per side below which a benchmark refuses to report a ratio (DESIGN.md: at least 7). */
export const MIN_RUNS = 7;
/** Failover trials per side (DESIGN.md: 20). */
export const MIN_FAILOVER_TRIALS = 20;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Linear-interpolated quantile q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of no values');
  const sorted = [...values].sort((x, y) => x - y);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface Summary { n: number; median: number; min: number; max: number; p25: number; p75: number }

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
}

/** "median 12.3 (IQR 11.9-13.0, range 11.5-15.2, n=7) ms": the figure with its spread. */
export function describe(values: readonly number[], unit = 'ms', digits = 1): string {
  const s = summarize(values);
  const f = (x: number): string => x.toFixed(digits);
  return `median ${f(s.median)} ${unit} (IQR ${f(s.p25)}-${f(s.p75)}, range ${f(s.min)}-${f(s.max)}, n=${s.n})`;
}

/** key=value pairs for a BENCH line: the median and the spread as the interquartile range. */
export function benchFields(key: string, values: readonly number[], digits = 1): string {
  const s = summarize(values);
  return `${key}=${s.median.toFixed(digits)} ${key}_iqr=${s.p25.toFixed(digits)}-${s.p75.toFixed(digits)}`;
}

/** x / y as text, or NA when it means nothing. */
export function ratio(x: number, y: number, digits = 2): string {
  return Number.isFinite(x) && Number.isFinite(y) && y > 0 ? (x / y).toFixed(digits) : 'NA';
}

/**
 * Refuses a run count below the floor (a benchmark's --runs option), unless BENCH_DEV=1: a
 * development run, whose figures are then marked as no figures at all.
 */
export function runsOption(text: string | undefined, floor: number, what = '--runs'): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: a whole number, got ${text}`);
  if (n < floor) {
    if (process.env['BENCH_DEV'] !== '1') throw new Error(`${what}: at least ${floor} (DESIGN.md: a ratio needs ${floor} runs per side; BENCH_DEV=1 for a development run), got ${text}`);
    console.log(`BENCH_DEV=1: ${what} ${n}, below ${floor}: a development run, not a measurement`);
  }
  return n;
}

/**
 * Runs each side `runs` times, interleaved and alternating which goes first (round 0: A then B,
 * round 1: B then A, ...), so that drifts in machine load fall on both alike. Returns each side's
 * results in run order.
 */
export async function alternate<K extends string, T>(runs: number, sides: Record<K, (round: number) => Promise<T> | T>, onResult?: (side: NoInfer<K>, round: number, value: NoInfer<T>) => void): Promise<Record<K, T[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? keys : [...keys].reverse();
    for (const k of order) {
      const v = await sides[k](round);
      out[k].push(v);
      onResult?.(k, round, v);
    }
  }
  return out;
}
