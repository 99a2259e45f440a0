// One binary min-heap of deadlines for every check, so thousands of checks share one timer and
// none drifts (deadlines are absolute). Each item is in the heap at most once and knows its place
// (heapIndex), so a check whose deadline moves is moved in place: no stale entries to skip or
// compact, no lookup by name and no allocation per deadline (this runs twice per check).

export interface HeapItem {
  /** Its deadline while in the heap. */
  at: number;
  /** Its place in the heap; -1 when not in it. */
  heapIndex: number;
}

export class TimerHeap<T extends HeapItem> {
  readonly #a: T[] = [];

  get size(): number {
    return this.#a.length;
  }

  peek(): T | undefined {
    return this.#a[0];
  }

  /** Puts `item` in the heap due at `at`, or moves it there when it is in already. */
  set(item: T, at: number): void {
    item.at = at;
    if (item.heapIndex < 0) {
      item.heapIndex = this.#a.length;
      this.#a.push(item);
      this.#up(item.heapIndex);
    } else if (!this.#up(item.heapIndex)) {
      this.#down(item.heapIndex);
    }
  }

  /** Takes `item` out (nothing when it is not in). */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0) return;
    item.heapIndex = -1;
    const last = this.#a.pop()!;
    if (last === item) return;
    this.#a[i] = last;
    last.heapIndex = i;
    if (!this.#up(i)) this.#down(i);
  }

  pop(): T | undefined {
    const top = this.#a[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Sifts the item at i up with a hole (parents move down, the item is written once); true if it moved. */
  #up(i: number): boolean {
    const a = this.#a;
    const item = a[i]!;
    const start = i;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (parent.at <= item.at) break;
      a[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    a[i] = item;
    item.heapIndex = i;
    return i !== start;
  }

  #down(i: number): void {
    const a = this.#a;
    const n = a.length;
    const item = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && a[r]!.at < a[l]!.at ? r : l;
      const child = a[m]!;
      if (child.at >= item.at) break;
      a[i] = child;
      child.heapIndex = i;
      i = m;
    }
    a[i] = item;
    item.heapIndex = i;
  }
}
