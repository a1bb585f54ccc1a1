/**
 * PollPlan: when one watch polls next, on its fixed-rate grid and with the `pollNow` polls between slots.
 *
 * - Fixed rate, no drift: each slot is planned `intervalMs` after the previous *planned* slot, not after the
 *   previous answer; when a call overran its slot the next poll starts right after it.
 * - `pollNow` (SEQR's notification said "something happened") asks for one poll off the grid: at once when no
 *   call is in flight, else right after the one in flight. It never moves the grid, and such polls of one
 *   invoice start at least `gapMs` apart, so a flood of (possibly forged) callbacks costs one call per gap.
 *   A grid slot that passed while an extra poll ran is skipped: that read covered it.
 *
 * Times are monotonic milliseconds (performance.now()). The plan only computes; the watcher owns the timer
 * (PollSchedule) and the calls.
 */
export class PollPlan {
  intervalMs: number;
  /** The next slot on the grid. */
  plannedAt = 0;
  private readonly gapMs: number;
  /** `pollNow` asked for a poll that has not started yet. */
  private requested = false;
  /** The due time last handed out is for an extra poll, not for the planned slot. */
  private dueIsExtra = false;
  /** The poll in flight is an extra one (it leaves the grid alone). */
  private extraInFlight = false;
  /** Start of the last extra poll. */
  private lastExtraAt = -Infinity;

  constructor(intervalMs: number, gapMs: number) {
    this.intervalMs = intervalMs;
    this.gapMs = gapMs;
  }

  /** A new (or revived) watch: its first slot, and no extra poll asked for. */
  restart(intervalMs: number, firstAt: number): void {
    this.intervalMs = intervalMs;
    this.plannedAt = firstAt;
    this.requested = false;
  }

  /** `pollNow`. True when the watcher should reconsider its timer (nothing armed for an extra poll yet). */
  request(): boolean {
    this.requested = true;
    return !this.dueIsExtra;
  }

  /** Whether an extra poll may start at `now` (the gap since the last one has passed). */
  extraAllowed(now: number): boolean {
    return now >= this.lastExtraAt + this.gapMs;
  }

  /** When the watch is due next: its planned slot, or a requested extra poll when that comes first. */
  dueAt(now: number): number {
    this.dueIsExtra = false;
    if (this.requested) {
      const extraAt = Math.max(now, this.lastExtraAt + this.gapMs);
      if (extraAt < this.plannedAt) {
        this.dueIsExtra = true;
        return extraAt;
      }
    }
    return this.plannedAt;
  }

  /** The timer fell due (or was taken away): whether it was armed for an extra poll. */
  takeDue(): boolean {
    const extra = this.dueIsExtra;
    this.dueIsExtra = false;
    return extra;
  }

  /** A status read starts (`extra`: off the grid). Any read that starts answers every pollNow before it. */
  pollStarted(extra: boolean, now: number): void {
    this.requested = false;
    if (extra) {
      this.lastExtraAt = now;
      this.extraInFlight = true;
    }
  }

  /** A cancel starts: whatever follows it plans from the grid. */
  cancelStarted(): void {
    this.extraInFlight = false;
  }

  /** After a call: the next slot is one interval after the last plan, or now when the call overran it. */
  advance(now: number): void {
    if (this.extraInFlight) {
      this.extraInFlight = false;
      if (this.plannedAt <= now) {
        this.plannedAt += (Math.floor((now - this.plannedAt) / this.intervalMs) + 1) * this.intervalMs;
      }
    } else {
      this.plannedAt = Math.max(this.plannedAt + this.intervalMs, now);
    }
  }
}
