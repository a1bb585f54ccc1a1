/**
 * PaymentWatcher: polls SEQR's getPaymentStatus for many invoices at once and reports each invoice's
 * outcome exactly once. It knows nothing of Node-RED; anything with `getPaymentStatus` and
 * `cancelInvoice` (a SeqrClient) is a source.
 *
 * Why it is built the way it is:
 * - SEQR reverses a payment whose PAID status nobody fetched within ~20 s (protocol §5.4), so polling
 *   must never stop for a reason other than an outcome, an explicit stop or the deadline: transport
 *   failures and SEQR's transient codes (93, 94) only raise 'retrying', at the same cadence.
 * - Fixed rate, no drift: each poll is planned `intervalMs` after the previous *planned* time, not after
 *   the previous response. At most one SEQR call is in flight per invoice; when a call overruns its
 *   slot, the next one starts right after it and the schedule continues from there.
 * - Scale (thousands of invoices at 1 Hz): every watch's next poll sits in one PollSchedule (a min-heap
 *   behind a single timer: no Timeout per poll to be promoted and collected), handlers are bound once per
 *   watch (no closure per poll); first polls are spread over the interval (a golden-ratio sequence of
 *   phases) so that watches started or resumed together do not poll in the same millisecond forever.
 * - Scheduling uses the monotonic clock (a wall-clock jump must not stall polling); only `startedAt`,
 *   which survives restarts, is wall-clock time.
 * - `pollNow` (SEQR's notificationUrl callback said "something happened") adds one poll between slots: at once
 *   when no call is in flight, else right after the one in flight (whose answer may predate the payment). It
 *   never moves the fixed-rate grid, and extra polls of one invoice start at least `pollNowGapMs` apart, so
 *   a flood of (possibly forged) callbacks costs at most one call per gap. The poll's answer alone decides.
 */
import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { resultCodeInfo } from '../seqr/codes';
import type { WatchRegistry } from './watch-registry';
import { FINAL_STATUSES } from '../seqr/types';
import { PollSchedule, type ScheduledItem } from './poll-schedule';
import type { CustomerToken, InvoiceStatus, PaymentReceipt } from '../seqr/types';

/** The two calls the watcher makes; `SeqrClient` satisfies it. */
export interface PaymentStatusSource {
  getPaymentStatus(invoiceReference: string, invoiceVersion: number): Promise<WatchedPaymentStatus>;
  cancelInvoice(invoiceReference: string): Promise<unknown>;
}

/** What a status poll answers (the shape of `SeqrClient.getPaymentStatus`). */
export interface WatchedPaymentStatus {
  status?: InvoiceStatus;
  version: number;
  ersReference?: string;
  receipt?: PaymentReceipt;
  tokens?: CustomerToken[];
}

/** What happens when "give up after" passes without an outcome. */
export type DeadlinePolicy = 'cancel' | 'keep';
export const DEADLINE_POLICIES: readonly DeadlinePolicy[] = ['cancel', 'keep'];

export type FailedStatus = 'CANCELED' | 'FAILED' | 'EXPIRED' | 'TIMEOUT' | 'ERROR';

export interface PaymentWatcherOptions {
  /** Poll period per invoice (default 1000 ms). */
  intervalMs?: number;
  /** Report TIMEOUT when no outcome after this long (default 120 000 ms, as SEQR's shop plugins did). */
  giveUpAfterMs?: number;
  /** At the deadline: cancel the invoice (default) or leave it open so that it can be watched again. */
  onDeadline?: DeadlinePolicy;
  /**
   * With the `cancel` policy, how long after the deadline the watcher keeps polling and retrying the
   * cancel while SEQR is unreachable or says a payment is in progress (default 30 000 ms). After that it
   * reports TIMEOUT with `cancelled: false`: SEQR then reverses any payment nobody acknowledged.
   */
  cancelGraceMs?: number;
  /** Called as each timed poll starts, with how late it is against its plan (for benchmarks). */
  onPollStart?: (latenessMs: number) => void;
  /** Where each watch is registered while it lasts, so that a notification can reach it (`watchRegistry`). */
  registry?: WatchRegistry;
  /** Least time between the starts of two `pollNow` polls of one invoice (default 100 ms). */
  pollNowGapMs?: number;
}

export interface WatchOptions {
  intervalMs?: number;
  giveUpAfterMs?: number;
  onDeadline?: DeadlinePolicy;
  /** Wall-clock start (epoch ms) of a resumed watch: the deadline counts from it. Default: now. */
  startedAt?: number;
  /** Last status and version seen before a restart: no 'update' repeats them, the version is echoed. */
  status?: InvoiceStatus;
  version?: number;
  /** The opaque key in the invoice's notificationUrl: the registry maps it to this invoice while watched. */
  notificationKey?: string;
}

interface WatchEventBase {
  invoiceReference: string;
  /** Wall-clock start of the watch (epoch ms). */
  startedAt: number;
}

/** A status change before the outcome: ISSUED first seen, PENDING_ISSUER_ACKNOWLEDGE, RESERVED, … */
export interface PaymentUpdate extends WatchEventBase {
  status: InvoiceStatus;
  previousStatus?: InvoiceStatus;
  version: number;
  tokens: CustomerToken[];
}

export interface PaymentPaid extends WatchEventBase {
  status: 'PAID';
  version: number;
  ersReference?: string;
  receipt?: PaymentReceipt;
  tokens: CustomerToken[];
}

export interface PaymentFailed extends WatchEventBase {
  status: FailedStatus;
  /** A sentence a person can act on. */
  reason: string;
  /** SEQR result code and its name, when SEQR gave one. */
  code?: number;
  codeName?: string;
  /** The last invoice status SEQR reported, if any. */
  invoiceStatus?: InvoiceStatus;
  /**
   * TIMEOUT: whether the invoice was cancelled at SEQR (false: it may still be open). CANCELED: true when this
   * watch's own cancel request cancelled it (absent when someone else did: the payer, another cancel, SEQR).
   */
  cancelled?: boolean;
}

export interface PaymentRetrying extends WatchEventBase {
  /** Consecutive failed calls so far. */
  failures: number;
  reason: string;
  code?: number;
  codeName?: string;
}

export interface PaymentRecovered extends WatchEventBase {
  failures: number;
}

/** SEQR refused a cancel because the invoice is paid or being paid: the watch goes on. */
export interface CancelRefused extends WatchEventBase {
  code: number;
  codeName: string;
  reason: string;
}

export interface PaymentWatcherEvents {
  update: [PaymentUpdate];
  paid: [PaymentPaid];
  failed: [PaymentFailed];
  retrying: [PaymentRetrying];
  recovered: [PaymentRecovered];
  cancelRefused: [CancelRefused];
  /** A listener threw; the watcher itself carries on. */
  error: [Error];
}

/** A read-only view of one watch. */
export interface WatchSnapshot {
  invoiceReference: string;
  startedAt: number;
  status?: InvoiceStatus;
  version: number;
  failures: number;
  cancelling: boolean;
}

/**
 * Every watcher publishes `{ invoiceReference, latenessMs }` here as each timed poll starts, while someone
 * subscribes (`diagnostics_channel.subscribe(POLL_START_CHANNEL, …)`). It lets a benchmark or a profiler
 * measure the watcher inside a node it cannot reach; with no subscriber it costs one boolean check per poll.
 */
export const POLL_START_CHANNEL = 'seqr-flows:payment-watcher:poll-start';
const pollStartChannel = channel(POLL_START_CHANNEL);

/** What POLL_START_CHANNEL carries. */
export interface PollStartMessage {
  invoiceReference: string;
  /** How late the poll starts against its planned time (ms). */
  latenessMs: number;
}

const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_GIVE_UP_AFTER_MS = 120_000;
const DEFAULT_CANCEL_GRACE_MS = 30_000;
const DEFAULT_POLL_NOW_GAP_MS = 100;
/** SEQR codes that mean "cannot cancel: the payer has paid or is paying" (§3.4). */
const CANCEL_REFUSED_CODES: ReadonlySet<number> = new Set([48, 50, 51]);
const INVOICE_ALREADY_CANCELED = 95;
const GOLDEN_RATIO_FRACTION = 0.6180339887498949;

const STATUS_REASONS: Readonly<Record<string, string>> = {
  CANCELED: 'The invoice was cancelled (by the payer, the merchant, or SEQR).',
  FAILED: "The payment failed at the payer's bank or account provider.",
  EXPIRED: 'The invoice or its reservation expired before it was paid or committed.',
};

/** What a failed call means to the watcher. */
interface CallFailure {
  /** SEQR answered with a non-zero result code (SeqrError); otherwise the call did not get through. */
  code?: number;
  codeName?: string;
  /** Worth trying again at the next slot: transport failures and SEQR's transient codes. */
  transient: boolean;
  reason: string;
}

/**
 * Duck-typed so that the watcher depends on no client class: a SeqrError carries a numeric `code`;
 * anything else (SeqrTransportError, a timeout, a socket error) means the call did not get through.
 */
function describeFailure(err: unknown): CallFailure {
  const fields = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown; codeName?: unknown; transient?: unknown; message?: unknown; sentence?: unknown;
  };
  const message = typeof fields.message === 'string' && fields.message !== '' ? fields.message : String(err);
  if (typeof fields.code === 'number') {
    const info = resultCodeInfo(fields.code);
    return {
      code: fields.code,
      codeName: typeof fields.codeName === 'string' ? fields.codeName : info.name,
      transient: typeof fields.transient === 'boolean' ? fields.transient : info.transient,
      // The code travels in its own fields: the reason is SEQR's sentence alone.
      reason: typeof fields.sentence === 'string' ? fields.sentence : info.sentence,
    };
  }
  return { transient: true, reason: message };
}

/** Why a watch is cancelling: asked to, or its deadline passed under the `cancel` policy. */
type CancelCause = 'request' | 'deadline';

class Watch implements ScheduledItem {
  readonly invoiceReference: string;
  intervalMs = DEFAULT_INTERVAL_MS;
  giveUpAfterMs = DEFAULT_GIVE_UP_AFTER_MS;
  onDeadline: DeadlinePolicy = 'cancel';
  startedAt = 0;
  /** Monotonic times (ms). */
  deadlineAt = 0;
  plannedAt = 0;
  cancelUntil = 0;
  status: InvoiceStatus | undefined;
  version = 0;
  tokens: CustomerToken[] = [];
  failures = 0;
  lastFailure: CallFailure | undefined;
  active = true;
  /** A SEQR call is in flight (never more than one). */
  busy = false;
  /** When the next poll is due (monotonic ms) and its place in the watcher's PollSchedule. */
  dueAt = 0;
  scheduleIndex = -1;
  /** The armed timer starts a `pollNow` poll, not the planned one. */
  timerForExtra = false;
  /** `pollNow` asked for a poll that has not started yet. */
  pollRequested = false;
  /** The poll in flight is a `pollNow` poll (it leaves the grid alone). */
  extraInFlight = false;
  /** Monotonic start of the last `pollNow` poll. */
  lastExtraAt = -Infinity;
  notificationKey: string | undefined;
  cancelCause: CancelCause | undefined;
  /** SEQR accepted the cancel (or said it already was): the next read only decides PAID or not. */
  cancelAccepted = false;
  /** A cancel was sent whose answer never came back (it may have been applied). */
  cancelAttempted = false;

  // Bound once per watch so that a poll allocates no closure.
  readonly onStatus: (result: WatchedPaymentStatus) => void;
  readonly onStatusError: (err: unknown) => void;
  readonly onCancelled: () => void;
  readonly onCancelError: (err: unknown) => void;

  constructor(owner: PaymentWatcher, invoiceReference: string) {
    this.invoiceReference = invoiceReference;
    // The watcher's handlers are private to its API; the watch is its own bookkeeping, hence the brackets.
    this.onStatus = (result) => owner['handleStatus'](this, result);
    this.onStatusError = (err) => owner['handleStatusError'](this, err);
    this.onCancelled = () => owner['handleCancelled'](this);
    this.onCancelError = (err) => owner['handleCancelError'](this, err);
  }
}

export class PaymentWatcher extends EventEmitter<PaymentWatcherEvents> {
  readonly intervalMs: number;
  readonly giveUpAfterMs: number;
  readonly onDeadline: DeadlinePolicy;
  readonly cancelGraceMs: number;
  readonly pollNowGapMs: number;
  private readonly source: PaymentStatusSource;
  private readonly registry: WatchRegistry | undefined;
  private readonly onPollStart: ((latenessMs: number) => void) | undefined;
  private readonly watches = new Map<string, Watch>();
  /** Stopped watches whose last call is still in flight: watching the reference again revives them. */
  private readonly draining = new Map<string, Watch>();
  private readonly phaseEpoch = performance.now();
  /** Fraction of the interval at which the next new watch polls (advances by the golden ratio). */
  private nextPhase = 0;
  /** Every watch's next poll, behind one timer (see poll-schedule.ts for why). */
  private readonly schedule = new PollSchedule<Watch>((watch) => this.tick(watch));

  constructor(source: PaymentStatusSource, options: PaymentWatcherOptions = {}) {
    super();
    this.source = source;
    this.intervalMs = checkPositive('intervalMs', options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.giveUpAfterMs = checkPositive('giveUpAfterMs', options.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS);
    this.onDeadline = checkPolicy(options.onDeadline ?? 'cancel');
    this.cancelGraceMs = checkPositive('cancelGraceMs', options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS);
    this.onPollStart = options.onPollStart;
    this.registry = options.registry;
    this.pollNowGapMs = checkPositive('pollNowGapMs', options.pollNowGapMs ?? DEFAULT_POLL_NOW_GAP_MS);
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

  snapshot(invoiceReference: string): WatchSnapshot | undefined {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return undefined;
    return {
      invoiceReference,
      startedAt: watch.startedAt,
      status: watch.status,
      version: watch.version,
      failures: watch.failures,
      cancelling: watch.cancelCause !== undefined,
    };
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
    const watch = revived ?? new Watch(this, invoiceReference);
    const wallNow = Date.now();
    const now = performance.now();
    watch.active = true;
    watch.intervalMs = intervalMs;
    watch.giveUpAfterMs = giveUpAfterMs;
    watch.onDeadline = onDeadline;
    watch.startedAt = options.startedAt ?? wallNow;
    watch.deadlineAt = now + (watch.startedAt + giveUpAfterMs - wallNow);
    watch.cancelCause = undefined;
    watch.cancelAccepted = false;
    watch.cancelAttempted = false;
    watch.pollRequested = false;
    if (options.status !== undefined) watch.status = options.status;
    if (options.version !== undefined) watch.version = options.version;
    watch.notificationKey = options.notificationKey || undefined;
    this.watches.set(invoiceReference, watch);
    this.registry?.add(this, invoiceReference, watch.notificationKey);
    watch.plannedAt = this.spreadFirstPoll(now, intervalMs);
    if (!watch.busy) this.arm(watch, now);
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
    if (!watch.busy) {
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
    watch.pollRequested = true;
    if (!watch.busy && !watch.timerForExtra) {
      const now = performance.now();
      this.disarm(watch);
      if (now >= watch.lastExtraAt + this.pollNowGapMs) this.pollExtra(watch, now);
      else this.arm(watch, now);
    }
    return true;
  }

  /** Stops watching without cancelling (the invoice stays open at SEQR). Returns false if not watched. */
  stop(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return false;
    this.retire(watch);
    return true;
  }

  /** Stops every watch without cancelling; returns the references that were being watched. */
  stopAll(): string[] {
    const references = this.references();
    for (const watch of [...this.watches.values()]) this.retire(watch);
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
    let at = watch.plannedAt;
    watch.timerForExtra = false;
    if (watch.pollRequested) {
      const extraAt = Math.max(now, watch.lastExtraAt + this.pollNowGapMs);
      if (extraAt < at) {
        at = extraAt;
        watch.timerForExtra = true;
      }
    }
    watch.dueAt = at;
    this.schedule.add(watch);
  }

  private disarm(watch: Watch): void {
    watch.timerForExtra = false;
    this.schedule.remove(watch);
  }

  /**
   * Plans the next slot one interval after the last plan, or right away when a call overran it. After a
   * `pollNow` poll the plan stays; a slot that passed while it ran is skipped, as that read covered it.
   */
  private scheduleNext(watch: Watch): void {
    const now = performance.now();
    if (watch.extraInFlight) {
      watch.extraInFlight = false;
      if (watch.plannedAt <= now) {
        watch.plannedAt += (Math.floor((now - watch.plannedAt) / watch.intervalMs) + 1) * watch.intervalMs;
      }
    } else {
      watch.plannedAt = Math.max(watch.plannedAt + watch.intervalMs, now);
    }
    this.arm(watch, now);
  }

  private tick(watch: Watch): void {
    if (!watch.active || watch.busy) return;
    if (watch.timerForExtra) {
      // Defensive: the schedule runs a watch only once it is due, so this is early only if the gap changed.
      const now = performance.now();
      if (now < watch.lastExtraAt + this.pollNowGapMs) this.arm(watch, now);
      else this.pollExtra(watch, now);
      return;
    }
    if (this.onPollStart !== undefined || pollStartChannel.hasSubscribers) {
      const latenessMs = performance.now() - watch.plannedAt;
      this.onPollStart?.(latenessMs);
      if (pollStartChannel.hasSubscribers) {
        pollStartChannel.publish({ invoiceReference: watch.invoiceReference, latenessMs } satisfies PollStartMessage);
      }
    }
    this.poll(watch);
  }

  // ---- calls ----

  /** A `pollNow` poll: off the grid, counted for the gap. */
  private pollExtra(watch: Watch, now: number): void {
    watch.lastExtraAt = now;
    watch.extraInFlight = true;
    this.poll(watch);
  }

  private poll(watch: Watch): void {
    watch.busy = true;
    // Any poll that starts now answers every pollNow made before it.
    watch.pollRequested = false;
    let pending: Promise<WatchedPaymentStatus>;
    try {
      pending = this.source.getPaymentStatus(watch.invoiceReference, watch.version);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(watch.onStatus, watch.onStatusError);
  }

  private runCancel(watch: Watch): void {
    watch.busy = true;
    watch.extraInFlight = false;
    watch.cancelAttempted = true;
    let pending: Promise<unknown>;
    try {
      pending = this.source.cancelInvoice(watch.invoiceReference);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(watch.onCancelled, watch.onCancelError);
  }

  /** A call settled: false when the watch was stopped meanwhile (its result is then ignored). */
  private settle(watch: Watch): boolean {
    watch.busy = false;
    if (watch.active) return true;
    if (this.draining.get(watch.invoiceReference) === watch) this.draining.delete(watch.invoiceReference);
    return false;
  }

  private handleStatus(watch: Watch, result: WatchedPaymentStatus): void {
    if (!this.settle(watch)) return;
    const status = result?.status;
    if (typeof status !== 'string' || status === '') {
      this.handleStatusError(watch, new Error('SEQR answered getPaymentStatus without a status'), true);
      return;
    }
    if (watch.failures > 0) {
      const failures = watch.failures;
      watch.failures = 0;
      watch.lastFailure = undefined;
      this.safeEmit('recovered', { invoiceReference: watch.invoiceReference, startedAt: watch.startedAt, failures });
      if (!watch.active) return;
    }
    const previousStatus = watch.status;
    const changed = status !== previousStatus || result.version !== watch.version;
    if (typeof result.version === 'number' && Number.isFinite(result.version)) watch.version = result.version;
    // Kept unless it changed: a fresh empty array per poll would live a second on the watch and be promoted.
    const tokens = Array.isArray(result.tokens) ? result.tokens : [];
    if (tokens.length > 0 || watch.tokens.length > 0) watch.tokens = tokens;
    if (status !== previousStatus) watch.status = status;

    if (status === 'PAID') {
      this.finish(watch);
      this.safeEmit('paid', {
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
      if (status === 'CANCELED' && watch.cancelAttempted && watch.cancelCause !== undefined) {
        this.finishCancelled(watch);
      } else {
        this.fail(watch, status as FailedStatus, { reason: STATUS_REASONS[status] ?? `The invoice is ${status}.` });
      }
      return;
    }
    if (watch.cancelAccepted) {
      // SEQR said the invoice is cancelled and this read did not show PAID.
      this.finishCancelled(watch);
      return;
    }
    if (changed) {
      this.safeEmit('update', {
        invoiceReference: watch.invoiceReference,
        startedAt: watch.startedAt,
        status,
        previousStatus,
        version: watch.version,
        tokens: watch.tokens,
      });
      if (!watch.active) return;
    }
    this.afterNonFinal(watch);
  }

  private handleStatusError(watch: Watch, err: unknown, alreadySettled = false): void {
    if (!alreadySettled && !this.settle(watch)) return;
    const failure = describeFailure(err);
    if (watch.cancelAccepted) {
      // The invoice is cancelled at SEQR; only the confirming read failed.
      this.finishCancelled(watch);
      return;
    }
    if (!failure.transient) {
      this.fail(watch, 'ERROR', { reason: failure.reason, code: failure.code, codeName: failure.codeName });
      return;
    }
    this.noteRetry(watch, failure);
    if (!watch.active) return;
    this.afterNonFinal(watch);
  }

  /** After a non-final poll (or a failed one): cancel if asked or due, report TIMEOUT, or poll again. */
  private afterNonFinal(watch: Watch): void {
    const now = performance.now();
    if (now >= watch.deadlineAt && watch.cancelCause !== 'deadline') {
      if (watch.onDeadline === 'keep') {
        this.fail(watch, 'TIMEOUT', { cancelled: false, reason: this.timeoutReason(watch, 'kept') });
        return;
      }
      watch.cancelCause = 'deadline';
      watch.cancelUntil = now + this.cancelGraceMs;
    }
    if (watch.cancelCause === 'deadline' && now >= watch.cancelUntil) {
      this.fail(watch, 'TIMEOUT', { cancelled: false, reason: this.timeoutReason(watch, 'uncancellable') });
      return;
    }
    if (watch.cancelCause !== undefined) {
      this.runCancel(watch);
      return;
    }
    this.scheduleNext(watch);
  }

  private handleCancelled(watch: Watch): void {
    if (!this.settle(watch)) return;
    this.confirmAfterCancel(watch);
  }

  /** Reads the status once more after SEQR accepted the cancel, so that a PAID still comes out. */
  private confirmAfterCancel(watch: Watch): void {
    watch.cancelAccepted = true;
    this.poll(watch);
  }

  private handleCancelError(watch: Watch, err: unknown): void {
    if (!this.settle(watch)) return;
    const failure = describeFailure(err);
    if (failure.code === INVOICE_ALREADY_CANCELED) {
      this.confirmAfterCancel(watch);
      return;
    }
    if (failure.code !== undefined && CANCEL_REFUSED_CODES.has(failure.code)) {
      this.safeEmit('cancelRefused', {
        invoiceReference: watch.invoiceReference,
        startedAt: watch.startedAt,
        code: failure.code,
        codeName: failure.codeName ?? resultCodeInfo(failure.code).name,
        reason: failure.reason,
      });
      if (watch.active) this.scheduleNext(watch);
      return;
    }
    if (!failure.transient) {
      if (watch.cancelCause === 'deadline') {
        this.fail(watch, 'TIMEOUT', {
          cancelled: false,
          reason: `${this.timeoutReason(watch, 'uncancellable')} Cancelling failed: ${failure.reason}`,
          code: failure.code,
          codeName: failure.codeName,
        });
      } else {
        this.fail(watch, 'ERROR', { reason: failure.reason, code: failure.code, codeName: failure.codeName });
      }
      return;
    }
    this.noteRetry(watch, failure);
    if (watch.active) this.scheduleNext(watch);
  }

  // ---- outcomes ----

  private noteRetry(watch: Watch, failure: CallFailure): void {
    watch.failures++;
    watch.lastFailure = failure;
    this.safeEmit('retrying', {
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
      this.fail(watch, 'TIMEOUT', { cancelled: true, reason: this.timeoutReason(watch, 'cancelled') });
    } else {
      this.fail(watch, 'CANCELED', { cancelled: true, reason: 'The invoice was cancelled on request.' });
    }
  }

  private timeoutReason(watch: Watch, how: 'cancelled' | 'kept' | 'uncancellable'): string {
    const lead = `Not paid within ${formatSeconds(watch.giveUpAfterMs)} s`;
    const unreachable = watch.lastFailure ? ` (last error: ${watch.lastFailure.reason})` : '';
    switch (how) {
      case 'cancelled':
        return `${lead}; the invoice was cancelled.`;
      case 'kept':
        return `${lead}${unreachable}; the invoice is still open at SEQR: watch the same reference again to resume.`;
      case 'uncancellable':
        return `${lead}${unreachable}; the invoice could not be cancelled and may still be open at SEQR.`;
    }
  }

  private fail(
    watch: Watch,
    status: FailedStatus,
    details: { reason: string; code?: number; codeName?: string; cancelled?: boolean },
  ): void {
    this.finish(watch);
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
    this.safeEmit('failed', event);
  }

  /** Ends a watch at its outcome, before the event goes out (a listener may watch the reference again). */
  private finish(watch: Watch): void {
    watch.active = false;
    this.disarm(watch);
    this.watches.delete(watch.invoiceReference);
    this.registry?.remove(this, watch.invoiceReference);
  }

  /** Ends a watch without an outcome (stop). A call in flight keeps it in `draining` until it settles. */
  private retire(watch: Watch): void {
    this.finish(watch);
    if (watch.busy) this.draining.set(watch.invoiceReference, watch);
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

function checkPositive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, not ${String(value)}`);
  }
  return value;
}

function checkPolicy(value: DeadlinePolicy): DeadlinePolicy {
  if (!DEADLINE_POLICIES.includes(value)) {
    throw new RangeError(`onDeadline must be one of ${DEADLINE_POLICIES.join(', ')}, not ${String(value)}`);
  }
  return value;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
