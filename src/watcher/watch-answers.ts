/**
 * WatchAnswers: what each SEQR answer means for a watch (the watcher's policy), apart from the watcher's
 * bookkeeping of watches, timers and calls (payment-watcher.ts), which it reaches only through WatchControl.
 *
 * - A status read: PAID and the final statuses are outcomes; a change before them is an 'update'; after an
 *   accepted cancel, a read without PAID means cancelled.
 * - A failed call: SEQR's transient codes and transport failures raise 'retrying' and polling goes on at the
 *   same cadence (SEQR reverses a PAID nobody fetched within ~20 s, protocol §5.4); any other code is ERROR.
 * - A cancel: accepted (or "already cancelled", 95) leads to one more read, so that a PAID still comes out;
 *   refused because the payer is paying (48, 50, 51) raises 'cancelRefused' and polling goes on.
 */
import { resultCodeInfo } from '../seqr/codes';
import { FINAL_STATUSES } from '../seqr/types';
import type { Watch, WatchHandlers } from './watch';
import { isWatched, type WatchState } from './watch-states';
import {
  CANCEL_REFUSED_CODES, describeFailure, INVOICE_ALREADY_CANCELED, STATUS_REASONS, timeoutReason, type CallFailure,
} from './watch-failures';
import type { FailedStatus, PaymentFailed, PaymentWatcherEvents, WatchedPaymentStatus } from './watch-types';

/** What answer handling may do to the watcher. */
export interface WatchControl {
  /** How long after the deadline a `cancel` policy keeps trying to cancel. */
  readonly cancelGraceMs: number;
  /** The call in flight settled: the state it was made in, or undefined when the watch was stopped meanwhile. */
  settle(watch: Watch): WatchState | undefined;
  /** Plans the next poll and arms the timer for it. */
  scheduleNext(watch: Watch): void;
  runCancel(watch: Watch): void;
  /** Starts the read that follows an accepted cancel. */
  confirm(watch: Watch): void;
  /** Ends the watch (before its outcome event goes out). */
  finish(watch: Watch): void;
  /** Emits an event; a throwing listener does not reach the caller. */
  emit<K extends keyof PaymentWatcherEvents>(name: K, event: PaymentWatcherEvents[K][0]): void;
}

export class WatchAnswers implements WatchHandlers {
  private readonly control: WatchControl;

  constructor(control: WatchControl) {
    this.control = control;
  }

  status(watch: Watch, result: WatchedPaymentStatus): void {
    const from = this.control.settle(watch);
    if (from === undefined) return;
    const status = result?.status;
    if (typeof status !== 'string' || status === '') {
      this.failedRead(watch, new Error('SEQR answered getPaymentStatus without a status'), from);
      return;
    }
    if (watch.failures > 0) {
      const failures = watch.failures;
      watch.failures = 0;
      watch.lastFailure = undefined;
      this.control.emit('recovered', { invoiceReference: watch.invoiceReference, startedAt: watch.startedAt, failures });
      if (!isWatched(watch.state)) return;
    }
    const previousStatus = watch.status;
    const changed = status !== previousStatus || result.version !== watch.version;
    if (typeof result.version === 'number' && Number.isFinite(result.version)) watch.version = result.version;
    // Kept unless it changed: a fresh empty array per poll would live a second on the watch and be promoted.
    const tokens = Array.isArray(result.tokens) ? result.tokens : [];
    if (tokens.length > 0 || watch.tokens.length > 0) watch.tokens = tokens;
    if (status !== previousStatus) watch.status = status;

    if (status === 'PAID') {
      this.control.finish(watch);
      this.control.emit('paid', {
        invoiceReference: watch.invoiceReference,
        startedAt: watch.startedAt,
        status: 'PAID',
        version: watch.version,
        ersReference: result.ersReference,
        receipt: result.receipt,
        tokens: watch.tokens,
      });
      return;
    }
    if (FINAL_STATUSES.has(status)) {
      // A CANCELED after our own cancel is the outcome we asked for (TIMEOUT at the deadline).
      if (status === 'CANCELED' && watch.cancelSent && watch.cancelCause !== undefined) {
        this.finishCancelled(watch);
      } else {
        this.fail(watch, status as FailedStatus, { reason: STATUS_REASONS[status] ?? `The invoice is ${status}.` });
      }
      return;
    }
    if (from === 'confirming') {
      // SEQR said the invoice is cancelled and this read did not show PAID.
      this.finishCancelled(watch);
      return;
    }
    if (changed) {
      this.control.emit('update', {
        invoiceReference: watch.invoiceReference,
        startedAt: watch.startedAt,
        status,
        previousStatus,
        version: watch.version,
        tokens: watch.tokens,
      });
      if (!isWatched(watch.state)) return;
    }
    this.afterNonFinal(watch);
  }

  statusError(watch: Watch, err: unknown): void {
    this.failedRead(watch, err, this.control.settle(watch));
  }

  /** `from`: the state the failed read was made in (undefined: the watch was stopped meanwhile). */
  private failedRead(watch: Watch, err: unknown, from: WatchState | undefined): void {
    if (from === undefined) return;
    const failure = describeFailure(err);
    if (from === 'confirming') {
      // The invoice is cancelled at SEQR; only the confirming read failed.
      this.finishCancelled(watch);
      return;
    }
    if (!failure.transient) {
      this.fail(watch, 'ERROR', { reason: failure.reason, code: failure.code, codeName: failure.codeName });
      return;
    }
    this.noteRetry(watch, failure);
    if (!isWatched(watch.state)) return;
    this.afterNonFinal(watch);
  }

  /** After a non-final poll (or a failed one): cancel if asked or due, report TIMEOUT, or poll again. */
  private afterNonFinal(watch: Watch): void {
    const now = performance.now();
    if (now >= watch.deadlineAt && watch.cancelCause !== 'deadline') {
      if (watch.onDeadline === 'keep') {
        this.fail(watch, 'TIMEOUT', { cancelled: false, reason: timeoutReason(watch.giveUpAfterMs, watch.lastFailure, 'kept') });
        return;
      }
      watch.cancelCause = 'deadline';
      watch.cancelUntil = now + this.control.cancelGraceMs;
    }
    if (watch.cancelCause === 'deadline' && now >= watch.cancelUntil) {
      this.fail(watch, 'TIMEOUT', { cancelled: false, reason: timeoutReason(watch.giveUpAfterMs, watch.lastFailure, 'uncancellable') });
      return;
    }
    if (watch.cancelCause !== undefined) {
      this.control.runCancel(watch);
      return;
    }
    this.control.scheduleNext(watch);
  }

  /** SEQR accepted the cancel: one more read, so that a PAID still comes out. */
  cancelled(watch: Watch): void {
    if (this.control.settle(watch) === undefined) return;
    this.control.confirm(watch);
  }

  cancelError(watch: Watch, err: unknown): void {
    if (this.control.settle(watch) === undefined) return;
    const failure = describeFailure(err);
    if (failure.code === INVOICE_ALREADY_CANCELED) {
      this.control.confirm(watch);
      return;
    }
    if (failure.code !== undefined && CANCEL_REFUSED_CODES.has(failure.code)) {
      this.control.emit('cancelRefused', {
        invoiceReference: watch.invoiceReference,
        startedAt: watch.startedAt,
        code: failure.code,
        codeName: failure.codeName ?? resultCodeInfo(failure.code).name,
        reason: failure.reason,
      });
      if (isWatched(watch.state)) this.control.scheduleNext(watch);
      return;
    }
    if (!failure.transient) {
      if (watch.cancelCause === 'deadline') {
        const reason = timeoutReason(watch.giveUpAfterMs, watch.lastFailure, 'uncancellable');
        this.fail(watch, 'TIMEOUT', {
          cancelled: false,
          reason: `${reason} Cancelling failed: ${failure.reason}`,
          code: failure.code,
          codeName: failure.codeName,
        });
      } else {
        this.fail(watch, 'ERROR', { reason: failure.reason, code: failure.code, codeName: failure.codeName });
      }
      return;
    }
    this.noteRetry(watch, failure);
    if (isWatched(watch.state)) this.control.scheduleNext(watch);
  }

  private noteRetry(watch: Watch, failure: CallFailure): void {
    watch.failures++;
    watch.lastFailure = failure;
    this.control.emit('retrying', {
      invoiceReference: watch.invoiceReference,
      startedAt: watch.startedAt,
      failures: watch.failures,
      reason: failure.reason,
      code: failure.code,
      codeName: failure.codeName,
    });
  }

  private finishCancelled(watch: Watch): void {
    if (watch.cancelCause === 'deadline') {
      this.fail(watch, 'TIMEOUT', { cancelled: true, reason: timeoutReason(watch.giveUpAfterMs, watch.lastFailure, 'cancelled') });
    } else {
      this.fail(watch, 'CANCELED', { cancelled: true, reason: 'The invoice was cancelled on request.' });
    }
  }

  private fail(
    watch: Watch,
    status: FailedStatus,
    details: { reason: string; code?: number; codeName?: string; cancelled?: boolean },
  ): void {
    this.control.finish(watch);
    const event: PaymentFailed = {
      invoiceReference: watch.invoiceReference,
      startedAt: watch.startedAt,
      status,
      reason: details.reason,
    };
    if (details.code !== undefined) {
      event.code = details.code;
      event.codeName = details.codeName;
    }
    if (watch.status !== undefined) event.invoiceStatus = watch.status;
    if (details.cancelled !== undefined) event.cancelled = details.cancelled;
    this.control.emit('failed', event);
  }
}
