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
    const a = this.#a;
    a.push({ at, id });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.at <= a[i]!.at) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  peek(): HeapEntry | undefined {
    return this.#a[0];
  }

  pop(): HeapEntry | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]!.at < a[m]!.at) m = l;
      if (r < a.length && a[r]!.at < a[m]!.at) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
    return top;
  }

  /** Keeps only the entries `live` accepts (rebuilds the heap). */
  compact(live: (e: HeapEntry) => boolean): void {
    const kept = this.#a.filter(live);
    this.#a = [];
    for (const e of kept) this.push(e.at, e.id);
  }
}
