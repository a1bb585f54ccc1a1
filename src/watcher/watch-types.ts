/**
 * The watcher's public types: what it needs from a SEQR client, its options, and the events it emits.
 * Kept apart from payment-watcher.ts so that the watcher's code reads without 140 lines of declarations.
 */
import type { CustomerToken, InvoiceStatus, PaymentReceipt } from '../seqr/types';
import type { WatchRegistry } from './watch-registry';

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

/** What POLL_START_CHANNEL carries. */
export interface PollStartMessage {
  invoiceReference: string;
  /** How late the poll starts against its planned time (ms). */
  latenessMs: number;
}
