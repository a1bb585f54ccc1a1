import type { AcknowledgmentMode } from '../seqr/types';

/** A terminal type: a webshop terminal holds many open invoices, a cash register one (a new one cancels the old). */
export type TerminalType = 'webshop' | 'cash-register';

/** An extra terminal of the seeded reseller `public_test_shop`, for tests and demos that want a fixed id. */
export interface SeededTerminal {
  id: string;
  password: string;
  name?: string;
  /** Default 'cash-register'. */
  type?: TerminalType;
}

export interface EmulatorOptions {
  /** Interface to bind; loopback by default. */
  host?: string;
  /** TCP port; 0 (the default in-process) picks a free one. */
  port?: number;
  /** A PAID that no getPaymentStatus reports within this window is reversed to CANCELED (SEQR: about 20 s). */
  ackWindowMs?: number;
  /** The simulated payer pays every new invoice after this delay (off when undefined). */
  autoPayMs?: number;
  /**
   * How long the payer's payment is "in progress" between the PIN confirmation and the bank's answer; meanwhile
   * cancelInvoice answers 51 and updateInvoice 48. Default 0 (the answer comes on the next tick).
   */
  processingMs?: number;
  /** Reservation lifetime when the invoice has no commitReservationTimeout. Default 15 minutes. */
  defaultCommitTimeoutMs?: number;
  /** v2.6 mode (default true): lapsed reservations and invoices become EXPIRED; false: CANCELED, as before v2.10. */
  emitExpired?: boolean;
  /** Unpaid invoices lapse after this long (§10.21); 0, the default, keeps them open until cancelled. */
  invoiceExpiryMs?: number;
  /**
   * How an invoice without acknowledgmentMode behaves. SEQR's cashregister-2 treated it as acknowledgement
   * required (the app waited for the merchant), so that is the default (§10.3).
   */
  missingAcknowledgmentMode?: AcknowledgmentMode;
  /** Reject (49) invoices whose rows do not add up to totalAmount (§10.2). Default false. */
  strictRowSum?: boolean;
  /** Also POST the notificationUrl when a reservation is approved (RESERVED). Default false. */
  notifyOnReserved?: boolean;
  /** Give up a notification POST after this long. Default 5000 ms. */
  notificationTimeoutMs?: number;
  /** executeReport answers 2 REPORT_NOT_READY this many times per period and report first. Default 1. */
  reportNotReadyCalls?: number;
  /** Refunds are disabled for these resellers (97) and receiving terminals (99). */
  refundsDisabled?: { resellers?: string[]; terminals?: string[] };
  /** More terminals for the seeded reseller. */
  terminals?: SeededTerminal[];
  /** Receives one line per state change and notification (the CLI prints them). Never gets passwords. */
  log?: (line: string) => void;
}

export type ResolvedOptions = Required<Omit<EmulatorOptions, 'autoPayMs' | 'log'>> &
  Pick<EmulatorOptions, 'autoPayMs' | 'log'>;

export function resolveOptions(options: EmulatorOptions = {}): ResolvedOptions {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    ackWindowMs: options.ackWindowMs ?? 20_000,
    autoPayMs: options.autoPayMs,
    processingMs: options.processingMs ?? 0,
    defaultCommitTimeoutMs: options.defaultCommitTimeoutMs ?? 15 * 60_000,
    emitExpired: options.emitExpired ?? true,
    invoiceExpiryMs: options.invoiceExpiryMs ?? 0,
    missingAcknowledgmentMode: options.missingAcknowledgmentMode ?? 'REQUIRE_ACKNOWLEDGMENT',
    strictRowSum: options.strictRowSum ?? false,
    notifyOnReserved: options.notifyOnReserved ?? false,
    notificationTimeoutMs: options.notificationTimeoutMs ?? 5000,
    reportNotReadyCalls: options.reportNotReadyCalls ?? 1,
    refundsDisabled: options.refundsDisabled ?? {},
    terminals: options.terminals ?? [],
    log: options.log,
  };
}
