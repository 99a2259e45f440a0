// One binary min-heap of deadlines for every check, so thousands of checks share one timer and
// none drifts (deadlines are absolute). Entries are never removed in place: a check whose deadline
// moved leaves a stale entry behind, skipped when it surfaces (the caller compares it with the
// check's current deadline). Each check has at most one live entry; stale ones are bounded by
// compact() when they outnumber the live ones.

export interface HeapEntry {
  at: number;
  id: string;
}

export class TimerHeap {
  #a: HeapEntry[] = [];

  get size(): number {
    return this.#a.length;
  }

  push(at: number, id: string): void {
    // Sift up with a hole: parents move down, the entry is written once (no swaps).
    const a = this.#a;
    const e = { at, id };
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (parent.at <= at) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  peek(): HeapEntry | undefined {
    return this.#a[0];
  }

  pop(): HeapEntry | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    // Sift the last entry down from the root with a hole.
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && a[r]!.at < a[l]!.at ? r : l;
      if (a[m]!.at >= last.at) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = last;
    return top;
  }

  /** Keeps only the entries `live` accepts (rebuilds the heap). */
  compact(live: (e: HeapEntry) => boolean): void {
    const kept = this.#a.filter(live);
    this.#a = [];
    for (const e of kept) this.push(e.at, e.id);
  }
}
