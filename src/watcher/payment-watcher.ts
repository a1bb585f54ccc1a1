/**
 * PaymentWatcher: polls SEQR's getPaymentStatus for many invoices at once and reports each invoice's
 * outcome exactly once. It knows nothing of Node-RED; anything with `getPaymentStatus` and
 * `cancelInvoice` (a SeqrClient) is a source.
 *
 * Why it is built the way it is:
 * - SEQR reverses a payment whose PAID status nobody fetched within ~20 s (protocol §5.4), so polling
 *   must never stop for a reason other than an outcome, an explicit stop or the deadline: transport
 *   failures and SEQR's transient codes (93, 94) only raise 'retrying', at the same cadence.
 * - Fixed rate, no drift, and `pollNow` polls between slots: see poll-plan.ts. At most one SEQR call is in
 *   flight per invoice: the watch states (watch-states.ts) allow no second one.
 * - Scale (thousands of invoices at 1 Hz): every watch's next poll sits in one PollSchedule (a min-heap
 *   behind a single timer: no Timeout per poll to be promoted and collected), handlers are bound once per
 *   watch (no closure per poll); first polls are spread over the interval (a golden-ratio sequence of
 *   phases) so that watches started or resumed together do not poll in the same millisecond forever.
 * - Scheduling uses the monotonic clock (a wall-clock jump must not stall polling); only `startedAt`,
 *   which survives restarts, is wall-clock time.
 */
import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { WatchRegistry } from './watch-registry';
import { PollSchedule } from './poll-schedule';
import { Watch } from './watch';
import { WatchAnswers } from './watch-answers';
import { isCalling, type WatchState } from './watch-states';
import { checkPolicy, checkPositive } from './watch-failures';
import type {
  DeadlinePolicy, PaymentStatusSource, PaymentWatcherEvents, PaymentWatcherOptions, PollStartMessage,
  WatchedPaymentStatus, WatchOptions,
} from './watch-types';

export * from './watch-types';

/**
 * The watcher's one instrumentation path: every watcher publishes `{ invoiceReference, latenessMs }` here as
 * each timed poll starts, while someone subscribes (`diagnostics_channel.subscribe(POLL_START_CHANNEL, …)`).
 * A benchmark or a profiler can measure the watcher inside a node it cannot reach; with no subscriber it
 * costs one boolean check per poll.
 */
export const POLL_START_CHANNEL = 'seqr-flows:payment-watcher:poll-start';
const pollStartChannel = channel(POLL_START_CHANNEL);

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_GIVE_UP_AFTER_MS = 120_000;
const DEFAULT_CANCEL_GRACE_MS = 30_000;
const DEFAULT_POLL_NOW_GAP_MS = 100;
const GOLDEN_RATIO_FRACTION = 0.6180339887498949;

export class PaymentWatcher extends EventEmitter<PaymentWatcherEvents> {
  readonly intervalMs: number;
  readonly giveUpAfterMs: number;
  readonly onDeadline: DeadlinePolicy;
  readonly cancelGraceMs: number;
  readonly pollNowGapMs: number;
  private readonly source: PaymentStatusSource;
  private readonly registry: WatchRegistry | undefined;
  private readonly watches = new Map<string, Watch>();
  /** Stopped watches whose last call is still in flight: watching the reference again revives them. */
  private readonly draining = new Map<string, Watch>();
  private readonly phaseEpoch = performance.now();
  /** Fraction of the interval at which the next new watch polls (advances by the golden ratio). */
  private nextPhase = 0;
  /** Every watch's next poll, behind one timer (see poll-schedule.ts for why). */
  private readonly schedule = new PollSchedule<Watch>((watch) => this.tick(watch));
  /** Where every watch's calls report back (handed to each Watch). */
  private readonly answers: WatchAnswers;

  constructor(source: PaymentStatusSource, options: PaymentWatcherOptions = {}) {
    super();
    this.source = source;
    this.intervalMs = checkPositive('intervalMs', options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.giveUpAfterMs = checkPositive('giveUpAfterMs', options.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS);
    this.onDeadline = checkPolicy(options.onDeadline ?? 'cancel');
    this.cancelGraceMs = checkPositive('cancelGraceMs', options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS);
    this.registry = options.registry;
    this.pollNowGapMs = checkPositive('pollNowGapMs', options.pollNowGapMs ?? DEFAULT_POLL_NOW_GAP_MS);
    this.answers = new WatchAnswers({
      cancelGraceMs: this.cancelGraceMs,
      settle: (watch) => this.settle(watch),
      scheduleNext: (watch) => this.scheduleNext(watch),
      runCancel: (watch) => this.runCancel(watch),
      confirm: (watch) => this.poll(watch, false, 0, true),
      finish: (watch) => this.finish(watch),
      emit: (name, event) => this.safeEmit(name, event),
    });
  }

  /** How many invoices are being watched. */
  get size(): number {
    return this.watches.size;
  }

  isWatching(invoiceReference: string): boolean {
    return this.watches.has(invoiceReference);
  }

  /** The references being watched. */
  references(): string[] {
    return [...this.watches.keys()];
  }

  /**
   * Starts watching an invoice; its first poll comes within one interval (phases are spread).
   * Returns false, changing nothing, when the reference is already being watched.
   */
  watch(invoiceReference: string, options: WatchOptions = {}): boolean {
    if (typeof invoiceReference !== 'string' || invoiceReference === '') {
      throw new TypeError('invoiceReference must be a non-empty string');
    }
    if (this.watches.has(invoiceReference)) return false;
    const intervalMs = checkPositive('intervalMs', options.intervalMs ?? this.intervalMs);
    const giveUpAfterMs = checkPositive('giveUpAfterMs', options.giveUpAfterMs ?? this.giveUpAfterMs);
    const onDeadline = checkPolicy(options.onDeadline ?? this.onDeadline);

    // A stopped watch whose call is still in flight is revived so that two calls never overlap.
    const revived = this.draining.get(invoiceReference);
    this.draining.delete(invoiceReference);
    const watch = revived ?? new Watch(invoiceReference, this.answers, intervalMs, this.pollNowGapMs);
    watch.transition(revived ? 'revive' : 'start');
    const wallNow = Date.now();
    const now = performance.now();
    watch.giveUpAfterMs = giveUpAfterMs;
    watch.onDeadline = onDeadline;
    watch.startedAt = options.startedAt ?? wallNow;
    watch.deadlineAt = now + (watch.startedAt + giveUpAfterMs - wallNow);
    watch.cancelCause = undefined;
    watch.cancelSent = false;
    if (options.status !== undefined) watch.status = options.status;
    if (options.version !== undefined) watch.version = options.version;
    watch.notificationKey = options.notificationKey || undefined;
    this.watches.set(invoiceReference, watch);
    this.registry?.add(this, invoiceReference, watch.notificationKey);
    watch.plan.restart(intervalMs, this.spreadFirstPoll(now, intervalMs));
    if (watch.state === 'idle') this.arm(watch, now);
    return true;
  }

  /**
   * Cancels the invoice at SEQR now (after the call in flight, if any). The watch goes on until the
   * outcome: CANCELED, or PAID when SEQR refuses because the payer has paid or is paying. Returns false
   * when the reference is not being watched.
   */
  cancel(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return false;
    if (watch.cancelCause === undefined) watch.cancelCause = 'request';
    if (watch.state === 'idle') {
      this.disarm(watch);
      this.runCancel(watch);
    }
    return true;
  }

  /**
   * Polls the invoice now, between its planned slots: SEQR's notification says it may have changed. With a
   * call in flight the poll follows right after it; within `pollNowGapMs` of the last such poll it waits for
   * the gap (or the next planned slot, if sooner). Returns false when the reference is not being watched.
   */
  pollNow(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return false;
    if (watch.plan.request() && watch.state === 'idle') {
      const now = performance.now();
      this.disarm(watch);
      if (watch.plan.extraAllowed(now)) this.poll(watch, true, now);
      else this.arm(watch, now);
    }
    return true;
  }

  /** Stops watching without cancelling (the invoice stays open at SEQR). Returns false if not watched. */
  stop(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return false;
    this.finish(watch);
    return true;
  }

  /** Stops every watch without cancelling; returns the references that were being watched. */
  stopAll(): string[] {
    const references = this.references();
    for (const watch of [...this.watches.values()]) this.finish(watch);
    return references;
  }

  // ---- scheduling ----

  /** The first poll time at or after `now` on this watch's phase (a golden-ratio sequence). */
  private spreadFirstPoll(now: number, intervalMs: number): number {
    const base = this.phaseEpoch + this.nextPhase * intervalMs;
    this.nextPhase = (this.nextPhase + GOLDEN_RATIO_FRACTION) % 1;
    return base + Math.max(0, Math.ceil((now - base) / intervalMs)) * intervalMs;
  }

  /** Arms the timer for the planned slot, or for a requested `pollNow` poll when that comes first. */
  private arm(watch: Watch, now: number): void {
    watch.dueAt = watch.plan.dueAt(now);
    this.schedule.add(watch);
  }

  private disarm(watch: Watch): void {
    watch.plan.takeDue();
    this.schedule.remove(watch);
  }

  /** Plans the next slot after a call and arms the timer for it. */
  private scheduleNext(watch: Watch): void {
    const now = performance.now();
    watch.plan.advance(now);
    this.arm(watch, now);
  }

  private tick(watch: Watch): void {
    if (watch.state !== 'idle') return;
    if (watch.plan.takeDue()) {
      // Defensive: the schedule runs a watch only once it is due, so this is early only if the gap changed.
      const now = performance.now();
      if (watch.plan.extraAllowed(now)) this.poll(watch, true, now);
      else this.arm(watch, now);
      return;
    }
    if (pollStartChannel.hasSubscribers) {
      const latenessMs = performance.now() - watch.plan.plannedAt;
      pollStartChannel.publish({ invoiceReference: watch.invoiceReference, latenessMs } satisfies PollStartMessage);
    }
    this.poll(watch, false, 0);
  }

  // ---- calls ----

  /** Starts a status read: a timed one, an extra (`pollNow`) one, or the read confirming an accepted cancel. */
  private poll(watch: Watch, extra: boolean, now: number, confirming = false): void {
    if (watch.transition(confirming ? 'confirm' : 'poll') === undefined) return;
    watch.plan.pollStarted(extra, now);
    let pending: Promise<WatchedPaymentStatus>;
    try {
      pending = this.source.getPaymentStatus(watch.invoiceReference, watch.version);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(watch.onStatus, watch.onStatusError);
  }

  private runCancel(watch: Watch): void {
    if (watch.transition('cancel') === undefined) return;
    watch.plan.cancelStarted();
    watch.cancelSent = true;
    let pending: Promise<unknown>;
    try {
      pending = this.source.cancelInvoice(watch.invoiceReference);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(watch.onCancelled, watch.onCancelError);
  }

  /**
   * A call settled: returns the state it was made in, or undefined when the watch was stopped meanwhile
   * (its answer is then ignored).
   */
  private settle(watch: Watch): WatchState | undefined {
    const from = watch.transition('settle');
    if (from !== 'draining') return from;
    if (this.draining.get(watch.invoiceReference) === watch) this.draining.delete(watch.invoiceReference);
    return undefined;
  }

  /**
   * Ends a watch, at its outcome (before the event goes out: a listener may watch the reference again) or
   * on stop. A stopped watch with a call in flight drains until that call settles.
   */
  private finish(watch: Watch): void {
    const wasCalling = isCalling(watch.state);
    watch.transition('end');
    this.disarm(watch);
    this.watches.delete(watch.invoiceReference);
    this.registry?.remove(this, watch.invoiceReference);
    if (wasCalling) this.draining.set(watch.invoiceReference, watch);
  }

  /** Emits without letting a throwing listener corrupt a watch's state (events fire mid-bookkeeping). */
  private safeEmit<K extends keyof PaymentWatcherEvents>(name: K, event: PaymentWatcherEvents[K][0]): void {
    try {
      (this.emit as (eventName: string, payload: unknown) => boolean)(name, event);
    } catch (err) {
      if (name !== 'error' && this.listenerCount('error') > 0) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      } else {
        // Nobody listens for listener failures: surface it like any uncaught exception, outside our state.
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}
