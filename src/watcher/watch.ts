/**
 * Watch: the watcher's record of one invoice. Its `state` moves only through the table in watch-states.ts;
 * its timing lives in a PollPlan; the rest is what the outcome events report.
 */
import type { CustomerToken, InvoiceStatus } from '../seqr/types';
import type { CallFailure } from './watch-failures';
import { PollPlan } from './poll-plan';
import type { ScheduledItem } from './poll-schedule';
import type { DeadlinePolicy, WatchedPaymentStatus } from './watch-types';
import { nextState, type WatchEvent, type WatchState } from './watch-states';

/** Why a watch is cancelling: asked to, or its deadline passed under the `cancel` policy. */
export type CancelCause = 'request' | 'deadline';

/** Where a watch's calls report back; the watcher passes its handlers in once. */
export interface WatchHandlers {
  status(watch: Watch, result: WatchedPaymentStatus): void;
  statusError(watch: Watch, err: unknown): void;
  cancelled(watch: Watch): void;
  cancelError(watch: Watch, err: unknown): void;
}

export class Watch implements ScheduledItem {
  readonly invoiceReference: string;
  state: WatchState = 'ended';
  readonly plan: PollPlan;
  giveUpAfterMs = 0;
  onDeadline: DeadlinePolicy = 'cancel';
  /** Wall-clock start (epoch ms); survives restarts. */
  startedAt = 0;
  /** Monotonic times (ms). */
  deadlineAt = 0;
  cancelUntil = 0;
  status: InvoiceStatus | undefined;
  version = 0;
  tokens: CustomerToken[] = [];
  failures = 0;
  lastFailure: CallFailure | undefined;
  notificationKey: string | undefined;
  /** Set while the watch wants the invoice cancelled. */
  cancelCause: CancelCause | undefined;
  /** A cancel was sent during this watch (its answer may never have come back, yet it may have been applied). */
  cancelSent = false;
  /** When the next poll is due (monotonic ms) and its place in the watcher's PollSchedule. */
  dueAt = 0;
  scheduleIndex = -1;

  // Bound once per watch so that a poll allocates no closure.
  readonly onStatus: (result: WatchedPaymentStatus) => void;
  readonly onStatusError: (err: unknown) => void;
  readonly onCancelled: () => void;
  readonly onCancelError: (err: unknown) => void;

  constructor(invoiceReference: string, handlers: WatchHandlers, intervalMs: number, pollNowGapMs: number) {
    this.invoiceReference = invoiceReference;
    this.plan = new PollPlan(intervalMs, pollNowGapMs);
    this.onStatus = (result) => handlers.status(this, result);
    this.onStatusError = (err) => handlers.statusError(this, err);
    this.onCancelled = () => handlers.cancelled(this);
    this.onCancelError = (err) => handlers.cancelError(this, err);
  }

  /** Moves along the table; returns the state left, or undefined (and stays put) when `event` is not allowed. */
  transition(event: WatchEvent): WatchState | undefined {
    const to = nextState(this.state, event);
    if (to === undefined) return undefined;
    const from = this.state;
    this.state = to;
    return from;
  }
}
