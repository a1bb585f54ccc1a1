import type { CustomerToken, PaymentMode } from '../seqr/types';
import { moneyText } from './amounts';
import { PayerError } from './errors';
import { customerToken } from './invoice-data';
import type { Invoice, InvoiceBook } from './invoices';
import type { Principals } from './principals';
import type { Timers } from './timers';

/** An invoice as the payer's app shows it (GET /payer/invoices and every payer answer). */
export interface PayerInvoiceView {
  invoiceReference: string;
  invoiceQRCode: string;
  status: string;
  /** What the payer pays: decimal text, e.g. "149.90". */
  amount: string;
  currency: string;
  title?: string;
  merchantName: string;
  terminalName: string;
  terminalId: string;
  paymentMode: PaymentMode;
  acknowledgmentMode: string;
  tokens: CustomerToken[];
  version: number;
}

export interface LoyaltyTokenInput {
  id?: string;
  value?: string;
  description?: string;
}

export interface ScanOptions {
  /** The loyalty card stored in the payer's app (T3 with OPTIONAL_ACKNOWLEDGMENT). */
  loyaltyToken?: LoyaltyTokenInput;
}

export interface PayOptions {
  /** false: the payer's bank cannot reserve, so RESERVATION_DESIRED falls back to an immediate debit. Default true. */
  canReserve?: boolean;
}

/** The SEQR app's side, what a person with a phone did: scan, pay (PIN), decline, cancel, list open invoices. */
export interface PayerApi {
  scan(code: string, options?: ScanOptions): Promise<PayerInvoiceView>;
  pay(code: string, options?: PayOptions): Promise<PayerInvoiceView>;
  /** The payer's bank declines the payment (T12 → FAILED). */
  decline(code: string): Promise<PayerInvoiceView>;
  /** The payer presses Cancel in the app (T11 → CANCELED). */
  cancel(code: string): Promise<PayerInvoiceView>;
  invoices(): Promise<PayerInvoiceView[]>;
}

/** Invoice QR text, deep link (any scheme, any case), sticker, or a bare reference. */
const SEQR_URL = /^[a-z][a-z0-9+.-]*:(?:\/\/)?seqr\.se\/([rq])([a-z0-9]+)$/i;

/** The payer simulation behind POST /payer/* and `emu.payer`. */
export class Payer implements PayerApi {
  constructor(
    private readonly book: InvoiceBook,
    private readonly principals: Principals,
    private readonly timers: Timers,
    private readonly processingMs: number,
  ) {}

  /**
   * Finds the invoice a code points at: `HTTP://SEQR.SE/R<ref>` (or the `SEQR://` deep link), the bare reference,
   * or a terminal sticker `HTTP://SEQR.SE/Q<seqrId>`, which means that terminal's open invoice.
   */
  resolve(code: unknown): Invoice {
    if (typeof code !== 'string' || code.trim() === '') throw new PayerError(400, 'give the scanned code as "code"');
    const text = code.trim();
    const match = SEQR_URL.exec(text);
    if (match && match[1].toUpperCase() === 'Q') {
      const terminal = this.principals.terminalBySeqrId(match[2]);
      if (!terminal) throw new PayerError(404, `no terminal has the SEQR ID ${match[2]}`);
      const invoice = this.book.openInvoiceOf(terminal);
      if (!invoice) throw new PayerError(404, `terminal ${terminal.name} has no open invoice (the app would wait for the amount)`);
      return invoice;
    }
    const reference = match ? match[2] : text;
    if (!/^\d+$/.test(reference)) throw new PayerError(400, `"${text}" is not a SEQR invoice code, deep link, sticker or reference`);
    const invoice = this.book.get(reference);
    if (!invoice) throw new PayerError(404, `no invoice ${reference}`);
    return invoice;
  }

  async scan(code: string, options: ScanOptions = {}): Promise<PayerInvoiceView> {
    const invoice = this.resolve(code);
    this.book.scan(invoice, options.loyaltyToken && customerToken(options.loyaltyToken, 0));
    return this.view(invoice);
  }

  async pay(code: string, options: PayOptions = {}): Promise<PayerInvoiceView> {
    return this.confirm(code, 'pay', options.canReserve ?? true);
  }

  async decline(code: string): Promise<PayerInvoiceView> {
    return this.confirm(code, 'decline', true);
  }

  async cancel(code: string): Promise<PayerInvoiceView> {
    const invoice = this.resolve(code);
    this.book.payerCancel(invoice);
    return this.view(invoice);
  }

  async invoices(): Promise<PayerInvoiceView[]> {
    return this.book.openInvoices().map((invoice) => this.view(invoice));
  }

  /** PIN confirmed: the payment is in progress for processingMs, then the bank answers. */
  private async confirm(code: string, outcome: 'pay' | 'decline', canReserve: boolean): Promise<PayerInvoiceView> {
    const invoice = this.resolve(code);
    this.book.beginPayment(invoice);
    try {
      await this.timers.delay(this.processingMs);
    } catch (error) {
      invoice.inProgress = false;
      throw error;
    }
    this.book.finishPayment(invoice, outcome, canReserve);
    return this.view(invoice);
  }

  view(invoice: Invoice): PayerInvoiceView {
    const shown = invoice.payerView ?? invoice.data;
    return {
      invoiceReference: invoice.reference,
      invoiceQRCode: invoice.qrCode,
      status: invoice.status,
      amount: moneyText(shown.total),
      currency: shown.currency,
      title: shown.wire.title,
      merchantName: invoice.terminal.reseller.name,
      terminalName: invoice.terminal.name,
      terminalId: invoice.terminal.id,
      paymentMode: shown.paymentMode,
      acknowledgmentMode: shown.acknowledgmentMode,
      tokens: invoice.customerTokens,
      version: invoice.version,
    };
  }
}

