import Big from 'big.js';
import type { ReceiptDocument } from '../seqr/types';
import { ResultCodeError } from './errors';
import type { IdFactory } from './ids';
import type { AcceptedInvoice } from './invoice-data';
import type { Terminal } from './principals';

/** A money movement with its own ERS reference: a payment (positive) or a refund (negative). */
export interface Transaction {
  readonly kind: 'payment' | 'refund';
  readonly ersReference: string;
  /** Order of booking; reconciliation periods are ranges of it. */
  readonly seq: number;
  readonly at: Date;
  readonly terminal: Terminal;
  readonly cashierId?: string;
  /** Signed: refunds are negative. */
  readonly amount: Big;
  readonly currency: string;
  readonly documents: ReceiptDocument[];
  /** A payment reversed by the acknowledgement rule (§5.4); it no longer counts anywhere. */
  reversed: boolean;
}

export interface Payment extends Transaction {
  readonly kind: 'payment';
  readonly invoiceReference: string;
  /** Sum refunded so far. */
  refunded: Big;
}

/** The emulated SEQR's books: payments, refunds and the receipt documents merchants attached to them. */
export class Ledger {
  private readonly byReference = new Map<string, Transaction>();
  /** Every transaction in booking order (reports read ranges of it). */
  readonly transactions: Transaction[] = [];
  private seq = 0;

  constructor(private readonly ids: IdFactory) {}

  private book<T extends Transaction>(entry: Omit<T, 'ersReference' | 'seq' | 'at' | 'documents' | 'reversed'>): T {
    const at = new Date();
    const transaction = {
      ...entry,
      ersReference: this.ids.ersReference(at),
      seq: ++this.seq,
      at,
      documents: [],
      reversed: false,
    } as unknown as T;
    this.byReference.set(transaction.ersReference, transaction);
    this.transactions.push(transaction);
    return transaction;
  }

  recordPayment(terminal: Terminal, invoiceReference: string, amount: Big, invoice: AcceptedInvoice): Payment {
    return this.book<Payment>({
      kind: 'payment',
      terminal,
      invoiceReference,
      cashierId: invoice.wire.cashierId,
      amount,
      currency: invoice.currency,
      refunded: new Big(0),
    });
  }

  /** The acknowledgement rule reversed the payment: its ERS reference is gone (23 from now on). */
  reverse(payment: Payment): void {
    payment.reversed = true;
  }

  /**
   * refundPayment: 97 when the reseller may not refund, 23 for an unknown (or reversed, or another terminal's)
   * payment, 99 when the receiving terminal does not allow refunds, 49 for another currency, 98 when the refunds
   * would add up to more than the payment. Returns the refund's own transaction (§10.7).
   */
  refund(terminal: Terminal, ersReference: string | undefined, refund: AcceptedInvoice): Transaction {
    if (!terminal.reseller.refundsAllowed) throw new ResultCodeError(97, 'refunds are disabled for this reseller');
    const payment = this.payment(terminal, ersReference);
    if (!terminal.refundsAllowed) throw new ResultCodeError(99, 'the receiving account does not allow refunds');
    if (refund.currency !== payment.currency) {
      throw new ResultCodeError(49, `refund currency ${refund.currency} differs from the payment's ${payment.currency}`);
    }
    const refunded = payment.refunded.plus(refund.total);
    if (refunded.gt(payment.amount)) {
      throw new ResultCodeError(98, `refunds would add up to ${refunded.toFixed(2)} of ${payment.amount.toFixed(2)}`);
    }
    payment.refunded = refunded;
    return this.book<Transaction>({
      kind: 'refund',
      terminal,
      cashierId: refund.wire.cashierId,
      amount: refund.total.neg(),
      currency: refund.currency,
    });
  }

  /** submitPaymentReceipt: attaches a document to one of this terminal's payments or refunds (23 otherwise). */
  attachDocument(terminal: Terminal, ersReference: string | undefined, document: ReceiptDocument): void {
    this.transaction(terminal, ersReference).documents.push(document);
  }

  /** A live transaction of this terminal, by ERS reference. */
  transaction(terminal: Terminal, ersReference: string | undefined): Transaction {
    const transaction = ersReference === undefined ? undefined : this.byReference.get(ersReference);
    if (!transaction || transaction.reversed || transaction.terminal !== terminal) {
      throw new ResultCodeError(23, 'unknown ersReference');
    }
    return transaction;
  }

  private payment(terminal: Terminal, ersReference: string | undefined): Payment {
    const transaction = this.transaction(terminal, ersReference);
    if (transaction.kind !== 'payment') throw new ResultCodeError(23, 'ersReference is a refund, not a payment');
    return transaction as Payment;
  }

  /** Looks up any transaction (for tools and tests), including reversed ones. */
  find(ersReference: string): Transaction | undefined {
    return this.byReference.get(ersReference);
  }
}
