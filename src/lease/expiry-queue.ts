// Every lease's expiry in one time-ordered index (a binary min-heap), not a timer per lease: a
// million leases cost a million small records and one timer. Rescheduling or removing a lease only
// updates the id → time map; stale heap records are skipped when they surface (lazy deletion), and
// the heap is rebuilt when stale records outnumber live ones. Live ids are also counted per group
// (the id up to its last '/': a lease's issuing path), so that per-mount gauges never walk the index.

interface Slot {
  at: number;
  id: string;
}

export class ExpiryQueue {
  private heap: Slot[] = [];
  private readonly due = new Map<string, number>();
  private readonly groups = new Map<string, number>();

  get size(): number {
    return this.due.size;
  }

  has(id: string): boolean {
    return this.due.has(id);
  }

  /** The scheduled time of `id`, if any. */
  timeOf(id: string): number | undefined {
    return this.due.get(id);
  }

  /** Schedules (or moves) `id` to fire at `at` (Unix ms). */
  set(id: string, at: number): void {
    if (this.due.get(id) === at) return;
    if (!this.due.has(id)) this.count(id, 1);
    this.due.set(id, at);
    this.push({ at, id });
    if (this.heap.length > 64 && this.heap.length > 2 * this.due.size) this.rebuild();
  }

  delete(id: string): void {
    if (this.due.delete(id)) this.count(id, -1);
  }

  clear(): void {
    this.heap = [];
    this.due.clear();
    this.groups.clear();
  }

  /** The earliest live time, or undefined when empty. */
  peekTime(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest live id if it is due at `now`. */
  popDue(now: number): string | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    this.pop();
    this.due.delete(top.id);
    this.count(top.id, -1);
    return top.id;
  }

  /** Live entries (id, time); order unspecified. */
  entries(): IterableIterator<[string, number]> {
    return this.due.entries();
  }

  /** Live scheduled times; order unspecified. */
  times(): IterableIterator<number> {
    return this.due.values();
  }

  /** Live ids per group: the id up to and including its last '/' ("database/creds/ro/"). */
  groupCounts(): ReadonlyMap<string, number> {
    return this.groups;
  }

  private count(id: string, delta: number): void {
    const group = id.slice(0, id.lastIndexOf('/') + 1);
    const n = (this.groups.get(group) ?? 0) + delta;
    if (n === 0) this.groups.delete(group);
    else this.groups.set(group, n);
  }

  private dropStale(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.due.get(top.id) === top.at) return;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [id, at] of this.due) this.push({ at, id });
  }

  private push(slot: Slot): void {
    const h = this.heap;
    h.push(slot);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= slot.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = slot;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
