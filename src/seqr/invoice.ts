import Big from 'big.js';
import { parseCashierAmount } from './cashier-amount';
import { InvoiceInputError, checkMoneySize, currencyDecimals, parseCurrency, parseDecimal, parseMoney, toSeqrAmount } from './money';
import {
  ACKNOWLEDGMENT_MODES,
  PAYMENT_MODES,
  type AcknowledgmentMode,
  type InvoiceRow,
  type PaymentMode,
  type SeqrInvoice,
} from './types';
import { dropUndefined } from './objects';
import { httpUrl, isWellFormedText, quoteInput, shortened } from '../values';

export { InvoiceInputError } from './money';

/** An amount as people write it: `500`, `149.9` or `"149.90"` (a number only when it is an exact decimal). */
export type AmountInput = number | string;

export interface InvoiceRowInput {
  description?: string;
  /** Default 1; more than 0, at most three decimals (e.g. 0.350 kg). */
  quantity?: number | string;
  unitPrice?: AmountInput;
  /** The row's total. Default: quantity × unitPrice − discount, rounded half up to cents like a till. */
  total?: AmountInput;
  sku?: string;
  /** GTIN/EAN: 8, 12, 13 or 14 digits. */
  ean?: string;
  /** Tax rate as a percent, e.g. 25 (SEQR's current docs); any decimal is passed on. */
  taxRate?: number | string;
  /** ISO 20022 unit, e.g. `kg`, `EA`. */
  unit?: string;
  /** Discount for the row, subtracted when the total is computed. */
  discount?: AmountInput;
}

export interface InvoiceInput {
  /** The amount to pay. Default: the sum of the rows. */
  amount?: AmountInput;
  currency?: string;
  title?: string;
  rows?: InvoiceRowInput[];
  clientInvoiceId?: string;
  cashierId?: string;
  footer?: string;
  backURL?: string;
  notificationUrl?: string;
  paymentMode?: PaymentMode;
  acknowledgmentMode?: AcknowledgmentMode;
  /** A Date, or xs:dateTime text such as 2026-11-27T10:15:00. Default: now. */
  issueDate?: string | Date;
  /** v2.6: seconds within which a reservation must be committed (required for RESERVATION_REQUIRED_PRELIMINARY_AMOUNT). */
  commitReservationTimeout?: number;
}

/** Values used where the input leaves a field out (typically from a node's configuration). */
export interface InvoiceDefaults
  extends Pick<
    InvoiceInput,
    'currency' | 'title' | 'cashierId' | 'footer' | 'backURL' | 'notificationUrl' | 'paymentMode' | 'acknowledgmentMode'
  > {
  /** The clock for the default issueDate (tests). */
  now?: () => Date;
  /**
   * Read an amount given as text the way a cashier types it ("12,50", "1 250,00 kr": see parseCashierAmount).
   * Off by default: the amount must then be a plain decimal ("149.90").
   */
  lenientAmount?: boolean;
}

/**
 * Longest text accepted per field. SEQR documents no limits for the invoice's texts (only for the context:
 * channel 40, clientComment 80, clientReference 32); these are generous limits that keep receipts and reports
 * readable and catch obvious mistakes such as a whole document pasted into a title.
 */
export const TEXT_LIMITS = {
  title: 100,
  clientInvoiceId: 64,
  cashierId: 40,
  footer: 200,
  url: 2000,
  description: 100,
  sku: 64,
  unit: 20,
} as const;

/** The modes an invoice is sent with when neither the input nor the defaults name one (see buildInvoice). */
export const DEFAULT_PAYMENT_MODE: PaymentMode = 'IMMEDIATE_DEBIT';
export const DEFAULT_ACKNOWLEDGMENT_MODE: AcknowledgmentMode = 'NO_ACKNOWLEDGMENT';

const QUANTITY_RULES = { decimals: 3, accepted: 'a quantity above 0 with at most three decimals, such as 1 or 0.350' };
const TAX_RATE_RULES = { decimals: 4, accepted: 'a tax rate in percent, such as 25 or 12.5' };

/** Characters XML 1.0 cannot carry: they would make the SOAP request unreadable. */
// eslint-disable-next-line no-control-regex
const NOT_XML_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

/**
 * Turns friendly input into a SEQR invoice: `buildInvoice(500, { currency: 'SEK' })`,
 * `buildInvoice('149.90', …)` or `buildInvoice({ amount, currency, title, rows: [...] , … }, defaults)`.
 *
 * - Money is exact (big.js); at most two decimals; the total above 0.
 * - Rows: quantity defaults to 1; a missing row total is quantity × unitPrice − discount (rounded half up to
 *   cents); rows must add up to the amount exactly (negative rows that balance are fine); without an amount the
 *   rows' sum is the amount.
 * - paymentMode and acknowledgmentMode are always sent (IMMEDIATE_DEBIT / NO_ACKNOWLEDGMENT by default: a
 *   missing acknowledgmentMode made SEQR's app wait for an acknowledgement).
 * - issueDate is local time without a zone (`2026-11-27T10:15:00`), as in SEQR's examples and every plugin.
 *
 * Throws InvoiceInputError naming the field and what would be accepted.
 */
export function buildInvoice(input: AmountInput | InvoiceInput, defaults: InvoiceDefaults = {}): SeqrInvoice {
  if (input === null || input === undefined || (typeof input !== 'object' && typeof input !== 'number' && typeof input !== 'string')) {
    throw new InvoiceInputError('invoice', `${quoteInput(input)} is not accepted; give an amount such as 149.90 or an object with amount, currency, title and rows`);
  }
  const spec: InvoiceInput = typeof input === 'object' ? input : { amount: input };

  const currency = parseCurrency(spec.currency ?? defaults.currency, 'currency');
  const paymentMode = oneOf(spec.paymentMode ?? defaults.paymentMode ?? DEFAULT_PAYMENT_MODE, PAYMENT_MODES, 'paymentMode');
  const acknowledgmentMode = oneOf(
    spec.acknowledgmentMode ?? defaults.acknowledgmentMode ?? DEFAULT_ACKNOWLEDGMENT_MODE,
    ACKNOWLEDGMENT_MODES,
    'acknowledgmentMode',
  );

  const rows = spec.rows === undefined ? undefined : buildRows(spec.rows, currency);
  const rowSum = rows?.reduce((sum, row) => sum.plus(row.total), new Big(0));
  let total: Big;
  if (spec.amount !== undefined && spec.amount !== null) {
    const typed = defaults.lenientAmount === true && typeof spec.amount === 'string' ? parseCashierAmount(spec.amount, currency) : spec.amount;
    total = parseMoney(typed, 'amount', currency);
    if (rowSum && rows!.length > 0 && !rowSum.eq(total)) {
      const difference = total.minus(rowSum);
      throw new InvoiceInputError(
        'rows',
        `the rows add up to ${rowSum.toFixed(2)} ${currency} but the amount is ${total.toFixed(2)} ${currency} ` +
          `(${difference.gt(0) ? 'rows short by' : 'rows over by'} ${difference.abs().toFixed(2)}); make them equal, ` +
          'for example with a negative discount row',
      );
    }
  } else if (rowSum && rows!.length > 0) {
    total = rowSum;
  } else {
    throw new InvoiceInputError('amount', 'is missing; give an amount such as 149.90, or rows to add up');
  }
  if (total.lte(0)) {
    throw new InvoiceInputError(rows && spec.amount === undefined ? 'rows' : 'amount',
      `the total ${total.toFixed(2)} ${currency} must be above 0`);
  }

  const invoice: SeqrInvoice = {
    paymentMode,
    acknowledgmentMode,
    issueDate: issueDateText(spec.issueDate, defaults.now),
    title: text(spec.title ?? defaults.title, 'title', TEXT_LIMITS.title),
    clientInvoiceId: text(spec.clientInvoiceId, 'clientInvoiceId', TEXT_LIMITS.clientInvoiceId),
    invoiceRows: rows && rows.length > 0 ? { invoiceRow: rows.map((row) => row.wire) } : undefined,
    totalAmount: toSeqrAmount(total, currency),
    cashierId: text(spec.cashierId ?? defaults.cashierId, 'cashierId', TEXT_LIMITS.cashierId),
    footer: text(spec.footer ?? defaults.footer, 'footer', TEXT_LIMITS.footer),
    backURL: urlField(spec.backURL ?? defaults.backURL, 'backURL'),
    notificationUrl: urlField(spec.notificationUrl ?? defaults.notificationUrl, 'notificationUrl'),
    commitReservationTimeout: reservationTimeout(spec.commitReservationTimeout, paymentMode),
  };
  return dropUndefined(invoice);
}

function buildRows(rows: unknown, currency: string): Array<{ total: Big; wire: InvoiceRow }> {
  if (!Array.isArray(rows)) throw new InvoiceInputError('rows', 'must be a list of rows');
  return rows.map((row: InvoiceRowInput, index) => {
    const at = `rows[${index}]`;
    if (typeof row !== 'object' || row === null) {
      throw new InvoiceInputError(at, 'must be an object with description, quantity, unitPrice or total');
    }
    const quantity = row.quantity === undefined ? new Big(1) : parseDecimal(row.quantity, `${at}.quantity`, QUANTITY_RULES);
    if (quantity.lte(0)) throw new InvoiceInputError(`${at}.quantity`, `${shortened(quantity.toFixed())} must be above 0`);
    const unitPrice = row.unitPrice === undefined ? undefined : parseMoney(row.unitPrice, `${at}.unitPrice`, currency);
    const discount = row.discount === undefined ? undefined : parseMoney(row.discount, `${at}.discount`, currency);
    let total: Big;
    if (row.total !== undefined) {
      total = parseMoney(row.total, `${at}.total`, currency);
    } else if (unitPrice !== undefined) {
      total = quantity.times(unitPrice).minus(discount ?? 0).round(currencyDecimals(currency), Big.roundHalfUp);
      checkMoneySize(total, `${at}.total`);
    } else {
      throw new InvoiceInputError(at, 'needs a total or a unitPrice');
    }
    const wire: InvoiceRow = dropUndefined({
      itemDescription: text(row.description, `${at}.description`, TEXT_LIMITS.description),
      itemDiscount: discount && toSeqrAmount(discount, currency),
      itemEAN: ean(row.ean, `${at}.ean`),
      itemQuantity: quantity.toFixed(),
      itemSKU: text(row.sku, `${at}.sku`, TEXT_LIMITS.sku),
      itemTaxRate: row.taxRate === undefined ? undefined : parseDecimal(row.taxRate, `${at}.taxRate`, TAX_RATE_RULES).toFixed(),
      itemTotalAmount: toSeqrAmount(total, currency),
      itemUnit: text(row.unit, `${at}.unit`, TEXT_LIMITS.unit),
      itemUnitPrice: unitPrice && toSeqrAmount(unitPrice, currency),
    });
    return { total, wire };
  });
}

function oneOf<T extends string>(value: unknown, allowed: ReadonlyArray<T>, field: string): T {
  if (typeof value === 'string' && (allowed as ReadonlyArray<string>).includes(value)) return value as T;
  throw new InvoiceInputError(field, `${quoteInput(value)} is not one of ${allowed.join(', ')}`);
}

/** Why text with a lone UTF-16 surrogate is refused (here and for every string the client sends). */
export const LONE_SURROGATE = 'contains a lone UTF-16 surrogate (half of a character such as an emoji, cut off?), which SEQR would get as U+FFFD; give well-formed text';

/** Checks optional text: a string, within `max` characters, without characters XML cannot carry, well-formed UTF-16. */
export function text(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvoiceInputError(field, `must be text, not ${typeof value}`);
  if (value.length > max) throw new InvoiceInputError(field, `is ${value.length} characters long; at most ${max} are accepted`);
  if (NOT_XML_TEXT.test(value)) throw new InvoiceInputError(field, 'contains control characters; give plain text');
  if (!isWellFormedText(value)) throw new InvoiceInputError(field, LONE_SURROGATE);
  return value;
}

function urlField(value: unknown, field: string): string | undefined {
  const url = text(value, field, TEXT_LIMITS.url);
  if (url === undefined) return undefined;
  if (!httpUrl(url)) {
    throw new InvoiceInputError(field, `${quoteInput(url)} is not an http:// or https:// URL`);
  }
  return url;
}

function ean(value: unknown, field: string): string | undefined {
  const code = text(value, field, 14);
  if (code !== undefined && !/^(\d{8}|\d{12,14})$/.test(code)) {
    throw new InvoiceInputError(field, `${quoteInput(code)} is not an EAN/GTIN; give 8, 12, 13 or 14 digits`);
  }
  return code;
}

const DATE_TIME_TEXT = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

function issueDateText(value: unknown, now: (() => Date) | undefined): string {
  if (value === undefined || value === null || value === '') return localDateTime(now ? now() : new Date());
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvoiceInputError('issueDate', 'is an invalid Date');
    return localDateTime(value);
  }
  if (typeof value === 'string' && DATE_TIME_TEXT.test(value) && !Number.isNaN(Date.parse(value))) return value;
  throw new InvoiceInputError('issueDate', `${quoteInput(value)} is not a date and time; give a Date or text such as 2026-11-27T10:15:00`);
}

/** xs:dateTime in local time without a zone, the form SEQR's examples use. */
export function localDateTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

function reservationTimeout(value: unknown, paymentMode: PaymentMode): number | undefined {
  if (value === undefined || value === null) {
    if (paymentMode === 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT') {
      throw new InvoiceInputError(
        'commitReservationTimeout',
        'is required with RESERVATION_REQUIRED_PRELIMINARY_AMOUNT; give the seconds within which you will commit, such as 3600',
      );
    }
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvoiceInputError('commitReservationTimeout', `${quoteInput(value)} is not accepted; give whole seconds above 0, such as 3600`);
  }
  return value;
}
