/**
 * PollSchedule: many due times behind one Node timer.
 *
 * Why not one `setTimeout` per watch: a watch re-armed every second allocates a Timeout that lives for that
 * second, so V8 promotes each one to the old generation before it dies; at 2,000 watches that garbage was
 * 40% of everything promoted and grew the heap by tens of MB between major collections. Here the items sit in
 * a binary min-heap ordered by due time (moving an item allocates nothing) and a single timer is armed for
 * the earliest; its Timeout lives until the next wake-up, a millisecond or so, and dies young.
 */
import { performance } from 'node:perf_hooks';

/** What the schedule keeps on each item (the watcher's Watch). */
export interface ScheduledItem {
  /** Monotonic time (performance.now()) at which the item is due. */
  dueAt: number;
  /** Position in the heap, -1 when not scheduled. Owned by the schedule. */
  scheduleIndex: number;
}

export class PollSchedule<T extends ScheduledItem> {
  private readonly heap: T[] = [];
  private readonly run: (item: T) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Due time the timer is armed for. */
  private timerAt = Infinity;
  private readonly onTimer = (): void => this.wake();

  /** `run` is called with each item as it falls due (the item is no longer scheduled then). */
  constructor(run: (item: T) => void) {
    this.run = run;
  }

  get size(): number {
    return this.heap.length;
  }

  has(item: T): boolean {
    return item.scheduleIndex >= 0 && this.heap[item.scheduleIndex] === item;
  }

  /** Schedules `item` at its `dueAt` (moves it if it was already scheduled). */
  add(item: T): void {
    if (this.has(item)) {
      this.siftUp(item.scheduleIndex);
      this.siftDown(item.scheduleIndex);
    } else {
      item.scheduleIndex = this.heap.length;
      this.heap.push(item);
      this.siftUp(item.scheduleIndex);
    }
    this.rearm();
  }

  /** Unschedules `item`; nothing happens when it is not scheduled. */
  remove(item: T): void {
    if (!this.has(item)) return;
    this.take(item.scheduleIndex);
    this.rearm();
  }

  /** Unschedules everything and stops the timer. */
  clear(): void {
    for (const item of this.heap) item.scheduleIndex = -1;
    this.heap.length = 0;
    this.rearm();
  }

  private wake(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    // Only what is due by the monotonic clock runs: Node fires timers on whole milliseconds of its cached loop
    // time, so a wake-up may come a fraction of a millisecond early; the timer is then armed again. An item
    // that `run` schedules again lands later than `now` in practice; the count bounds the loop anyway.
    const now = performance.now();
    let budget = this.heap.length;
    try {
      while (budget-- > 0 && this.heap.length > 0 && this.heap[0].dueAt <= now) {
        this.run(this.take(0));
      }
    } finally {
      // Even if `run` threw, the remaining items keep their timer: polling must never stop by accident.
      this.rearm();
    }
  }

  /** Arms the timer for the earliest item when it is not armed for it already. */
  private rearm(): void {
    const next = this.heap.length > 0 ? this.heap[0].dueAt : Infinity;
    if (next === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    // Rounded up: Node keeps timers in whole milliseconds and would otherwise wake a fraction early, only to
    // be armed again.
    this.timer = setTimeout(this.onTimer, Math.max(0, Math.ceil(next - performance.now())));
  }

  /** Removes and returns the item at `index`. */
  private take(index: number): T {
    const heap = this.heap;
    const item = heap[index];
    const last = heap.pop()!;
    if (index < heap.length) {
      heap[index] = last;
      last.scheduleIndex = index;
      this.siftUp(index);
      this.siftDown(last.scheduleIndex);
    }
    item.scheduleIndex = -1;
    return item;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const item = heap[index];
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent.dueAt <= item.dueAt) break;
      heap[index] = parent;
      parent.scheduleIndex = index;
      index = parentIndex;
    }
    heap[index] = item;
    item.scheduleIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const item = heap[index];
    for (;;) {
      let childIndex = 2 * index + 1;
      if (childIndex >= length) break;
      if (childIndex + 1 < length && heap[childIndex + 1].dueAt < heap[childIndex].dueAt) childIndex++;
      const child = heap[childIndex];
      if (child.dueAt >= item.dueAt) break;
      heap[index] = child;
      child.scheduleIndex = index;
      index = childIndex;
    }
    heap[index] = item;
    item.scheduleIndex = index;
  }
}
