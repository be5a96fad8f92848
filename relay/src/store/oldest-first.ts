/**
 * Items ordered by a time, earliest first (a binary min-heap that knows each item's position), so
 * an item can be re-filed or removed in O(log n). The memory store files each device under its
 * oldest charge, as Redis does with `store:owners`, so a write releases silent devices' expired
 * bytes without walking every device.
 */
export class OldestFirst<T> {
  private readonly heap: { item: T; time: number }[] = [];
  private readonly positions = new Map<T, number>();

  get size(): number {
    return this.heap.length;
  }

  /** The earliest item and its time, if any. */
  peek(): { item: T; time: number } | undefined {
    return this.heap[0];
  }

  /** Files the item under `time` (moving it if already filed). */
  set(item: T, time: number): void {
    const at = this.positions.get(item);
    if (at === undefined) {
      this.heap.push({ item, time });
      this.positions.set(item, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const before = this.heap[at]!.time;
    this.heap[at]!.time = time;
    if (time < before) this.up(at);
    else this.down(at);
  }

  delete(item: T): void {
    const at = this.positions.get(item);
    if (at === undefined) return;
    this.positions.delete(item);
    const last = this.heap.pop()!;
    if (at === this.heap.length) return;
    this.heap[at] = last;
    this.positions.set(last.item, at);
    this.up(at);
    this.down(this.positions.get(last.item)!);
  }

  private swap(a: number, b: number): void {
    const first = this.heap[a]!;
    const second = this.heap[b]!;
    this.heap[a] = second;
    this.heap[b] = first;
    this.positions.set(second.item, a);
    this.positions.set(first.item, b);
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.heap[parent]!.time <= this.heap[at]!.time) return;
      this.swap(parent, at);
      at = parent;
    }
  }

  private down(at: number): void {
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < this.heap.length && this.heap[left]!.time < this.heap[least]!.time) least = left;
      if (right < this.heap.length && this.heap[right]!.time < this.heap[least]!.time) least = right;
      if (least === at) return;
      this.swap(least, at);
      at = least;
    }
  }
}
