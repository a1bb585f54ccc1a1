import Big from 'big.js';
import {
  ACKNOWLEDGMENT_MODES,
  PAYMENT_MODES,
  type AcknowledgmentMode,
  type CustomerToken,
  type InvoiceRow,
  type PaymentMode,
  type SeqrAmount,
  type SeqrInvoice,
} from '../seqr/types';
import { ACCEPTED_CURRENCIES, hasCents, readDecimal } from './amounts';
import { ResultCodeError } from './errors';
import { httpUrl } from '../values';

/**
 * What SEQR accepted of an invoice sent by a merchant (sendInvoice, updateInvoice, refundPayment). SEQR required
 * much less than its docs claim (§10.1): only valid credentials and a positive totalAmount in a known currency.
 */
export interface AcceptedInvoice {
  /** The invoice as it is echoed in receipts: schema order, decimals as text. */
  readonly wire: SeqrInvoice;
  readonly total: Big;
  readonly currency: string;
  readonly paymentMode: PaymentMode;
  /** The mode in force (a missing one resolved by the emulator option). */
  readonly acknowledgmentMode: AcknowledgmentMode;
  /** Reservation lifetime from commitReservationTimeout (seconds), when given. */
  readonly commitTimeoutMs?: number;
}

export interface InvoiceRules {
  missingAcknowledgmentMode: AcknowledgmentMode;
  strictRowSum: boolean;
}

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null;
}

/** A text element (also of the operations' arguments); the SOAP layer gives '' for empty ones, which SEQR treated as absent. */
export function elementText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function invalid(detail: string): ResultCodeError {
  return new ResultCodeError(49, `invalid invoice data: ${detail}`);
}

/** Reads an `amount`; `signed` allows zero and negatives (invoice rows may balance or discount). */
export function readAmount(value: unknown, field: string, signed: boolean): { wire: SeqrAmount; value: Big } {
  if (!isObject(value)) throw invalid(`${field} is missing`);
  const currency = elementText(value.currency);
  if (currency === undefined || !ACCEPTED_CURRENCIES.has(currency)) {
    throw invalid(`${field}.currency ${currency === undefined ? 'is missing' : `${currency} is not a known ISO 4217 code`}`);
  }
  const amount = readDecimal(value.value);
  if (amount === undefined) throw invalid(`${field}.value is not a decimal`);
  if (!hasCents(amount)) throw invalid(`${field}.value has more than two decimals`);
  if (!signed && amount.lte(0)) throw invalid(`${field}.value must be more than 0`);
  return { wire: { currency, value: String(value.value).trim() }, value: amount };
}

function optionalDecimal(value: unknown, field: string): string | undefined {
  const raw = elementText(value);
  if (raw === undefined) return undefined;
  if (readDecimal(raw) === undefined) throw invalid(`${field} is not a decimal`);
  return raw.trim();
}

function readRow(row: unknown, index: number): { wire: InvoiceRow; total?: { currency: string; value: Big } } {
  if (!isObject(row)) return { wire: {} };
  const field = `invoiceRows[${index}]`;
  const optionalAmount = (name: string) =>
    row[name] === undefined || row[name] === null ? undefined : readAmount(row[name], `${field}.${name}`, true);
  const discount = optionalAmount('itemDiscount');
  const total = optionalAmount('itemTotalAmount');
  const unitPrice = optionalAmount('itemUnitPrice');
  const wire: InvoiceRow = {
    itemDescription: elementText(row.itemDescription),
    itemDiscount: discount?.wire,
    itemEAN: elementText(row.itemEAN),
    itemQuantity: optionalDecimal(row.itemQuantity, `${field}.itemQuantity`),
    itemSKU: elementText(row.itemSKU),
    itemTaxRate: optionalDecimal(row.itemTaxRate, `${field}.itemTaxRate`),
    itemTotalAmount: total?.wire,
    itemUnit: elementText(row.itemUnit),
    itemUnitPrice: unitPrice?.wire,
  };
  return { wire: compact(wire), total: total && { currency: total.wire.currency, value: total.value } };
}

/** Drops undefined members so that the SOAP serialiser writes no empty elements. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

function enumValue<T extends string>(value: unknown, allowed: readonly T[], field: string): T | undefined {
  const raw = elementText(value);
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw invalid(`${field} ${raw} is not one of ${allowed.join(', ')}`);
  return raw as T;
}

/** notificationUrl must be an http(s) URL (64 otherwise). */
function readNotificationUrl(value: unknown): string | undefined {
  const raw = elementText(value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!httpUrl(raw)) {
    throw new ResultCodeError(64, 'notificationUrl is not an http(s) URL');
  }
  return raw;
}

/** Validates an invoice as SEQR did and normalises it; throws 49 INVALID_INVOICE_DATA or 64 INVALID_NOTIFICATION_URL. */
export function acceptInvoice(input: unknown, rules: InvoiceRules): AcceptedInvoice {
  if (!isObject(input)) throw invalid('invoice is missing');
  const total = readAmount(input.totalAmount, 'totalAmount', false);
  const paymentMode = enumValue(input.paymentMode, PAYMENT_MODES, 'paymentMode');
  const acknowledgmentMode = enumValue(input.acknowledgmentMode, ACKNOWLEDGMENT_MODES, 'acknowledgmentMode');
  const notificationUrl = readNotificationUrl(input.notificationUrl);

  let commitTimeoutMs: number | undefined;
  const timeout = input.commitReservationTimeout;
  if (timeout !== undefined && timeout !== null) {
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw invalid('commitReservationTimeout must be a positive number of seconds');
    }
    commitTimeoutMs = timeout * 1000;
  }
  if (paymentMode === 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT' && commitTimeoutMs === undefined) {
    throw invalid('RESERVATION_REQUIRED_PRELIMINARY_AMOUNT requires commitReservationTimeout');
  }

  const rowsInput = isObject(input.invoiceRows) ? input.invoiceRows.invoiceRow : undefined;
  const rowList = rowsInput === undefined || rowsInput === null ? [] : Array.isArray(rowsInput) ? rowsInput : [rowsInput];
  const rows = rowList.map(readRow);
  if (rules.strictRowSum && rows.length > 0) checkRowSum(rows, total.wire.currency, total.value);

  const issueDate = input.issueDate instanceof Date ? input.issueDate.toISOString() : elementText(input.issueDate);
  const wire: SeqrInvoice = compact({
    paymentMode,
    acknowledgmentMode,
    issueDate,
    title: elementText(input.title),
    clientInvoiceId: elementText(input.clientInvoiceId),
    invoiceRows: rows.length > 0 ? { invoiceRow: rows.map((row) => row.wire) } : undefined,
    totalAmount: total.wire,
    cashierId: elementText(input.cashierId),
    footer: elementText(input.footer),
    backURL: elementText(input.backURL),
    notificationUrl,
    commitReservationTimeout: commitTimeoutMs === undefined ? undefined : (timeout as number),
  });
  return {
    wire,
    total: total.value,
    currency: total.wire.currency,
    paymentMode: paymentMode ?? 'IMMEDIATE_DEBIT',
    acknowledgmentMode: acknowledgmentMode ?? rules.missingAcknowledgmentMode,
    commitTimeoutMs,
  };
}

/** §10.2 strict mode: the row totals (already net of their discounts) add up to totalAmount, in its currency. */
function checkRowSum(rows: Array<{ total?: { currency: string; value: Big } }>, currency: string, total: Big): void {
  let sum = new Big(0);
  rows.forEach((row, index) => {
    if (!row.total) throw invalid(`invoiceRows[${index}].itemTotalAmount is missing`);
    if (row.total.currency !== currency) throw invalid(`invoiceRows[${index}] is not in ${currency}`);
    sum = sum.plus(row.total.value);
  });
  if (!sum.eq(total)) throw invalid(`the rows add up to ${sum.toFixed(2)}, not to totalAmount ${total.toFixed(2)}`);
}

/** A customer token in schema order (description, id, status, value) without empty members. */
export function customerToken(token: { description?: unknown; id?: unknown; value?: unknown }, status: number): CustomerToken {
  return compact({ description: elementText(token.description), id: elementText(token.id), status, value: elementText(token.value) });
}

/** Reads repeated `tokens` elements (loyalty cards) into schema-ordered customer tokens. */
export function acceptTokens(input: unknown): CustomerToken[] {
  if (input === undefined || input === null) return [];
  const list = Array.isArray(input) ? input : [input];
  return list
    .filter(isObject)
    .map((token) => customerToken(token, typeof token.status === 'number' && Number.isFinite(token.status) ? token.status : 0));
}

/** The invoice with another total (a committed reservation's final amount), for the receipt. */
export function withTotal(invoice: SeqrInvoice, total: SeqrAmount): SeqrInvoice {
  // Spreading keeps every key where it was, so the copy stays in schema order.
  return { ...invoice, totalAmount: total };
}
