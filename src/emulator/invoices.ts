import type Big from 'big.js';
import type { CustomerToken, KnownInvoiceStatus, PaymentReceipt } from '../seqr/types';
import { PayerError, ResultCodeError } from './errors';
import { customerToken, readAmount, withTotal, type AcceptedInvoice } from './invoice-data';
import type { Ledger, Payment } from './ledger';
import type { Notifier } from './notifier';
import type { ResolvedOptions } from './options';
import type { Terminal } from './principals';
import { localDateTime } from './time';
import type { Timers } from './timers';
import type { IdFactory } from './ids';

/** One SEQR invoice and everything the state machine of §5.2 needs to know about it. */
export interface Invoice {
  readonly reference: string;
  readonly qrCode: string;
  readonly terminal: Terminal;
  readonly createdAt: Date;
  /** The merchant's current invoice (sendInvoice, updateInvoice). */
  data: AcceptedInvoice;
  /** What the payer's app shows and pays: taken when scanned, refreshed by the merchant's acknowledgement. */
  payerView?: AcceptedInvoice;
  status: KnownInvoiceStatus;
  /** Starts at 1; +1 on every status change and every change of the tokens reported to the merchant. */
  version: number;
  /** Tokens reported to the merchant (getPaymentStatus customerTokens). */
  customerTokens: CustomerToken[];
  /** Tokens the merchant sent with the invoice (a card swiped at the till); they beat the payer's card. */
  merchantTokens: CustomerToken[];
  scanned: boolean;
  /** The merchant acknowledged once (T4); scanning again does not ask again. */
  acknowledged: boolean;
  /** Between the payer's PIN and the bank's answer: cancel answers 51, update 48. */
  inProgress: boolean;
  /** A getPaymentStatus reported PAID (or the merchant committed): the acknowledgement rule is satisfied. */
  paymentConfirmed: boolean;
  payment?: Payment;
  receipt?: PaymentReceipt;
  /** The amount the payer approved for a reservation; a commit may not exceed it. */
  reservedAmount?: Big;
  /** The one pending timer: expiry, acknowledgement window or reservation commit timeout. */
  timer?: NodeJS.Timeout;
}

const FINAL: ReadonlySet<KnownInvoiceStatus> = new Set(['PAID', 'CANCELED', 'FAILED', 'EXPIRED']);

interface Dependencies {
  options: ResolvedOptions;
  ids: IdFactory;
  timers: Timers;
  ledger: Ledger;
  notifier: Notifier;
  payerTerminalId: string;
  log: (line: string) => void;
}

/**
 * The invoices of the emulated SEQR and their state machine (spec §5.2, transitions T1–T14). Merchant
 * operations throw ResultCodeError; payer actions throw PayerError.
 */
export class InvoiceBook {
  private readonly invoices = new Map<string, Invoice>();
  /** Invoices that are not final, for the payer's list and unregisterTerminal. */
  private readonly open = new Set<Invoice>();
  /** Each terminal's newest invoice: the one a cash register may hold, a sticker pays, a reference-less poll reads. */
  private readonly newest = new Map<Terminal, Invoice>();
  /** Called when an invoice (again) waits for the payer: T1 and T4 (the auto-payer listens). */
  onIssued: (invoice: Invoice) => void = () => undefined;

  constructor(private readonly deps: Dependencies) {}

  // ---- merchant side -------------------------------------------------------------------------------------

  /** T1 sendInvoice; on a cash-register terminal it also cancels the previous open invoice (T11). */
  send(terminal: Terminal, data: AcceptedInvoice, tokens: CustomerToken[]): Invoice {
    const previous = this.newest.get(terminal);
    if (terminal.type === 'cash-register' && previous && waitsForPayer(previous) && !previous.inProgress) {
      this.transition(previous, 'CANCELED', 'a new invoice on the same cash register');
    }
    const reference = this.deps.ids.invoiceReference();
    const invoice: Invoice = {
      reference,
      qrCode: `HTTP://SEQR.SE/R${reference}`,
      terminal,
      createdAt: new Date(),
      data,
      status: 'ISSUED',
      version: 1,
      customerTokens: [],
      merchantTokens: tokens,
      scanned: false,
      acknowledged: false,
      inProgress: false,
      paymentConfirmed: false,
    };
    this.invoices.set(reference, invoice);
    this.open.add(invoice);
    this.newest.set(terminal, invoice);
    const expiry = this.deps.options.invoiceExpiryMs;
    if (expiry > 0) invoice.timer = this.deps.timers.after(expiry, () => this.expireUnpaid(invoice));
    this.deps.log(`invoice ${reference} ISSUED (v1) ${data.wire.totalAmount.value} ${data.currency} at ${terminal.id}`);
    this.onIssued(invoice);
    return invoice;
  }

  /** updateInvoice: T4 acknowledgement, T2 change while ISSUED, T8 change while RESERVED; 48 in progress, 90 when final. */
  update(terminal: Terminal, reference: string | undefined, data: AcceptedInvoice, tokens: CustomerToken[]): void {
    const invoice = this.find(terminal, reference);
    switch (invoice.status) {
      case 'PENDING_ISSUER_ACKNOWLEDGE':
        invoice.data = data;
        invoice.payerView = data;
        if (tokens.length > 0) invoice.customerTokens = tokens;
        invoice.acknowledged = true;
        this.transition(invoice, 'ISSUED', 'acknowledged by the merchant');
        this.onIssued(invoice);
        return;
      case 'ISSUED':
        if (invoice.inProgress) throw new ResultCodeError(48, 'the payer is paying this invoice');
        // A payer who already scanned still pays what the app shows (§3.2 "Success (not updated)").
        invoice.data = data;
        this.replaceTokens(invoice, tokens);
        return;
      case 'RESERVED':
        if (data.currency !== invoice.data.currency) throw new ResultCodeError(49, 'a reservation cannot change currency');
        if (invoice.reservedAmount && data.total.gt(invoice.reservedAmount)) {
          throw new ResultCodeError(11, 'the amount exceeds the reservation');
        }
        invoice.data = data;
        this.replaceTokens(invoice, tokens);
        return;
      default:
        // The loyalty diagram shows a system error for an update after payment (§5.6).
        throw new ResultCodeError(90, `invoice is ${invoice.status}`);
    }
  }

  /** getPaymentStatus: reporting PAID is what confirms the payment (acknowledgement rule, §5.4). */
  status(terminal: Terminal, reference: string | undefined): Invoice {
    const invoice = this.find(terminal, reference);
    if (invoice.status === 'PAID' && !invoice.paymentConfirmed) {
      invoice.paymentConfirmed = true;
      this.deps.timers.cancel(invoice.timer);
      invoice.timer = undefined;
    }
    return invoice;
  }

  /** cancelInvoice: T11/T13; 51 while the payer is paying, 50 when paid, 95 when already final. */
  cancel(terminal: Terminal, reference: string | undefined): void {
    const invoice = this.find(terminal, reference);
    if (invoice.inProgress) throw new ResultCodeError(51, 'the payer is paying this invoice');
    if (invoice.status === 'PAID') throw new ResultCodeError(50, 'invoice is paid');
    // CANCELED, FAILED and EXPIRED all count as "already cancelled" (WooCommerce treats 95 as success).
    if (FINAL.has(invoice.status)) throw new ResultCodeError(95, `invoice is ${invoice.status}`);
    this.transition(invoice, 'CANCELED', 'cancelled by the merchant');
  }

  /** commitReservation: T9 with an optional final amount (at most the reservation, 11 otherwise); 96 when not RESERVED. */
  commit(terminal: Terminal, reference: string | undefined, amount: unknown): void {
    const invoice = this.find(terminal, reference);
    if (invoice.status !== 'RESERVED') throw new ResultCodeError(96, `invoice is ${invoice.status}`);
    let final = invoice.data.total;
    if (amount !== undefined && amount !== null) {
      const given = readAmount(amount, 'amount', false);
      if (given.wire.currency !== invoice.data.currency) throw new ResultCodeError(49, 'amount is in another currency');
      final = given.value;
    }
    if (invoice.reservedAmount && final.gt(invoice.reservedAmount)) {
      throw new ResultCodeError(11, 'the amount exceeds the reservation');
    }
    // The merchant's own commit is its acknowledgement: no reversal window.
    this.settlePayment(invoice, final, invoice.data, true);
  }

  /** unregisterTerminal: its open invoices are cancelled. */
  cancelOpenInvoices(terminal: Terminal): void {
    for (const invoice of [...this.open]) {
      if (invoice.terminal === terminal) this.transition(invoice, 'CANCELED', 'terminal unregistered');
    }
  }

  // ---- payer side ----------------------------------------------------------------------------------------

  /** The payer opens the invoice in the app: T3 when the acknowledgement mode asks for it. */
  scan(invoice: Invoice, loyaltyToken?: CustomerToken): void {
    this.requireWaiting(invoice);
    invoice.scanned = true;
    invoice.payerView = invoice.data;
    if (invoice.acknowledged) return;
    // A card swiped at the till beats the card stored in the app (§5.6).
    const offered = invoice.merchantTokens.length > 0 ? invoice.merchantTokens : loyaltyToken ? [loyaltyToken] : [];
    const mode = invoice.data.acknowledgmentMode;
    if (mode === 'REQUIRE_ACKNOWLEDGMENT' || (mode === 'OPTIONAL_ACKNOWLEDGMENT' && offered.length > 0)) {
      invoice.customerTokens = offered.map((token) => customerToken(token, 0));
      this.transition(invoice, 'PENDING_ISSUER_ACKNOWLEDGE', 'scanned; waiting for the merchant to acknowledge');
    }
  }

  /** The payer confirms with the PIN: the payment is in progress until finishPayment. */
  beginPayment(invoice: Invoice): void {
    if (!invoice.scanned) this.scan(invoice);
    this.requireWaiting(invoice);
    invoice.inProgress = true;
  }

  /** The bank answers: T5 PAID, T7 RESERVED, or T12 FAILED when declined. */
  finishPayment(invoice: Invoice, outcome: 'pay' | 'decline', canReserve: boolean): void {
    invoice.inProgress = false;
    if (invoice.status !== 'ISSUED') throw new PayerError(409, `invoice ${invoice.reference} became ${invoice.status} meanwhile`);
    if (outcome === 'decline') {
      this.transition(invoice, 'FAILED', "declined by the payer's bank");
      return;
    }
    const view = invoice.payerView ?? invoice.data;
    const mode = view.paymentMode;
    const reserve = mode === 'RESERVATION_REQUIRED' || mode === 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT' || (mode === 'RESERVATION_DESIRED' && canReserve);
    if (!reserve) {
      this.settlePayment(invoice, view.total, view, false);
      return;
    }
    invoice.reservedAmount = view.total;
    this.transition(invoice, 'RESERVED', 'reservation approved by the payer');
    const lifetime = view.commitTimeoutMs ?? this.deps.options.defaultCommitTimeoutMs;
    invoice.timer = this.deps.timers.after(lifetime, () => this.expireReservation(invoice));
    if (this.deps.options.notifyOnReserved) this.notify(invoice);
  }

  /** The payer presses Cancel in the app (T11). */
  payerCancel(invoice: Invoice): void {
    this.requireWaiting(invoice, true);
    this.transition(invoice, 'CANCELED', 'cancelled by the payer');
  }

  // ---- lookups -------------------------------------------------------------------------------------------

  get(reference: string): Invoice | undefined {
    return this.invoices.get(reference);
  }

  /** The terminal's newest invoice if it still waits for the payer (what its sticker pays). */
  openInvoiceOf(terminal: Terminal): Invoice | undefined {
    const invoice = this.newest.get(terminal);
    return invoice && waitsForPayer(invoice) ? invoice : undefined;
  }

  openInvoices(): Invoice[] {
    return [...this.open];
  }

  // ---- internals -----------------------------------------------------------------------------------------

  /** 54 for an unknown reference or another terminal's invoice; no reference means the terminal's newest. */
  private find(terminal: Terminal, reference: string | undefined): Invoice {
    const invoice = reference === undefined || reference === '' ? this.newest.get(terminal) : this.invoices.get(reference);
    if (!invoice || invoice.terminal !== terminal) throw new ResultCodeError(54, 'unknown invoiceReference for this terminal');
    return invoice;
  }

  private requireWaiting(invoice: Invoice, allowPending = false): void {
    if (invoice.inProgress) throw new PayerError(409, `invoice ${invoice.reference} is being paid right now`);
    if (invoice.status === 'ISSUED') return;
    if (invoice.status === 'PENDING_ISSUER_ACKNOWLEDGE') {
      if (allowPending) return;
      throw new PayerError(409, `invoice ${invoice.reference} waits for the merchant to acknowledge it (updateInvoice)`);
    }
    throw new PayerError(409, `invoice ${invoice.reference} is ${invoice.status}`);
  }

  private replaceTokens(invoice: Invoice, tokens: CustomerToken[]): void {
    if (tokens.length === 0) return;
    invoice.merchantTokens = tokens;
    if (invoice.customerTokens.length > 0 && !sameTokens(invoice.customerTokens, tokens)) {
      invoice.customerTokens = tokens;
      invoice.version++;
    }
  }

  /** T5 / T9: books the payment, makes the receipt, starts the acknowledgement window, notifies the merchant. */
  private settlePayment(invoice: Invoice, amount: Big, paid: AcceptedInvoice, confirmed: boolean): void {
    const payment = this.deps.ledger.recordPayment(invoice.terminal, invoice.reference, amount, paid);
    const totalAmount = { currency: paid.currency, value: amount.eq(paid.total) ? paid.wire.totalAmount.value : amount.toFixed(2) };
    invoice.payment = payment;
    invoice.receipt = {
      terminalId: invoice.terminal.id,
      paymentDate: localDateTime(payment.at),
      clientInvoiceId: paid.wire.clientInvoiceId,
      invoiceReference: invoice.reference,
      paymentReference: payment.ersReference,
      payerTerminalId: this.deps.payerTerminalId,
      receiverName: invoice.terminal.name,
      invoice: withTotal(paid.wire, totalAmount),
    };
    if (invoice.receipt.clientInvoiceId === undefined) delete invoice.receipt.clientInvoiceId;
    this.transition(invoice, 'PAID', `ersReference ${payment.ersReference}`);
    invoice.paymentConfirmed = confirmed;
    if (!confirmed) {
      const window = this.deps.options.ackWindowMs;
      invoice.timer = this.deps.timers.after(window, () => this.reverse(invoice, window));
    }
    this.notify(invoice);
  }

  /** T6: nobody fetched PAID within the window, so SEQR reverses the payment. */
  private reverse(invoice: Invoice, window: number): void {
    if (invoice.status !== 'PAID' || invoice.paymentConfirmed || !invoice.payment) return;
    this.deps.ledger.reverse(invoice.payment);
    invoice.receipt = undefined;
    this.transition(invoice, 'CANCELED', `no getPaymentStatus reported PAID within ${window} ms: payment reversed`);
  }

  /** T10: the reservation was not committed in time. */
  private expireReservation(invoice: Invoice): void {
    if (invoice.status !== 'RESERVED') return;
    this.transition(invoice, this.lapsedStatus(), 'reservation not committed in time');
  }

  /** T14 (optional, §10.21): an unpaid invoice lapses. A payment under way is left to finish. */
  private expireUnpaid(invoice: Invoice): void {
    if (!waitsForPayer(invoice) || invoice.inProgress) return;
    this.transition(invoice, this.lapsedStatus(), 'not paid in time');
  }

  private lapsedStatus(): KnownInvoiceStatus {
    return this.deps.options.emitExpired ? 'EXPIRED' : 'CANCELED';
  }

  private transition(invoice: Invoice, to: KnownInvoiceStatus, why: string): void {
    const from = invoice.status;
    invoice.status = to;
    invoice.version++;
    // The expiry timer runs on while the invoice waits for the payer; any other change ends the pending timer.
    if (!waitsForPayer(invoice)) {
      this.deps.timers.cancel(invoice.timer);
      invoice.timer = undefined;
    }
    if (FINAL.has(to)) this.open.delete(invoice);
    this.deps.log(`invoice ${invoice.reference} ${from} -> ${to} (v${invoice.version}): ${why}`);
  }

  private notify(invoice: Invoice): void {
    const url = invoice.data.wire.notificationUrl;
    if (url !== undefined) this.deps.notifier.notify(url, invoice.reference);
  }
}

function waitsForPayer(invoice: Invoice): boolean {
  return invoice.status === 'ISSUED' || invoice.status === 'PENDING_ISSUER_ACKNOWLEDGE';
}

function sameTokens(a: CustomerToken[], b: CustomerToken[]): boolean {
  return a.length === b.length && a.every((token, i) => JSON.stringify(token) === JSON.stringify(b[i]));
}
