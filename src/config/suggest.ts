// "Did you mean ...?" for unknown keys, enum values and references: the closest candidates by
// edit distance (optimal string alignment, so a swapped pair of letters costs 1), compared
// without case, '_' and '-' so that advertInterval finds advert_interval_ms.

function normalize(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `found`, best first (ties all returned, at most 3), or [] when none
 * is close enough to be a plausible typo: within half the length of the longer word.
 */
export function closest(found: string, candidates: readonly string[]): string[] {
  if (found.length > 64) return [];
  const f = normalize(found);
  let best = Infinity;
  let hits: string[] = [];
  for (const c of new Set(candidates)) {
    if (c === found) continue;
    const n = normalize(c);
    const dist = f === n ? 0 : n.startsWith(f) && f.length >= 3 ? 1 : editDistance(f, n);
    const limit = Math.max(1, Math.floor(Math.max(f.length, n.length) / 2));
    if (dist > limit) continue;
    if (dist < best) {
      best = dist;
      hits = [c];
    } else if (dist === best) {
      hits.push(c);
    }
  }
  return hits.slice(0, 3);
}

/** `did you mean "x"?`, `did you mean "x" or "y"?`, or undefined. */
export function didYouMean(found: string, candidates: readonly string[]): string | undefined {
  const hits = closest(found, candidates);
  if (hits.length === 0) return undefined;
  return `did you mean ${hits.map((h) => JSON.stringify(h)).join(' or ')}?`;
}
