/**
 * A paid SEQR invoice as a plain-text receipt for a receipt printer: fixed-width lines (32, 42 or 48 columns,
 * the common 58 mm and 80 mm printers' character counts), money exact (decimal strings, never floats), nothing
 * but text and newlines, so a printer node or an ESC/POS encoder can take it as is.
 *
 * Layout: the merchant (SEQR's receiverName) centred, the invoice title, the rows with quantity × unit price and
 * discounts when the receipt's invoice has rows, the total, then "SEQR payment", the date, the payment's ERS
 * reference (what the payer's app shows, and what a refund needs), the invoice reference, cashier and order id,
 * and the invoice footer. Widths count characters (code points): fine for Latin text, which is what these
 * printers print.
 */
import { formatAmount } from './money';
import type { InvoiceRow, PaymentReceipt, SeqrAmount } from './types';

export const RECEIPT_WIDTHS = [32, 42, 48] as const;
export type ReceiptWidth = (typeof RECEIPT_WIDTHS)[number];

/** The fixed words of the receipt, for printing it in another language. */
export interface ReceiptLabels {
  total: string;
  payment: string;
  date: string;
  reference: string;
  invoice: string;
  cashier: string;
  order: string;
  discount: string;
}

export const DEFAULT_RECEIPT_LABELS: ReceiptLabels = {
  total: 'TOTAL',
  payment: 'SEQR payment',
  date: 'Date',
  reference: 'Reference',
  invoice: 'Invoice',
  cashier: 'Cashier',
  order: 'Order',
  discount: 'Discount',
};

export interface ReceiptTextInput {
  /** The receipt getPaymentStatus gives with PAID. */
  receipt?: PaymentReceipt;
  /** The payment's ERS reference; the receipt's paymentReference when left out. */
  ersReference?: string;
  /** The amount paid, for a receipt without its invoice. */
  amount?: SeqrAmount;
  /** When it was paid, for a receipt without paymentDate: xs:dateTime text or a Date. */
  paidAt?: string | Date;
  /** The invoice reference, for a receipt without it. */
  invoiceReference?: string;
}

export interface ReceiptTextOptions {
  /** Characters per line. Default 32. */
  width?: ReceiptWidth;
  labels?: Partial<ReceiptLabels>;
}

/** The receipt as lines of at most `width` characters joined by "\n", with a final newline. */
export function receiptText(input: ReceiptTextInput, options: ReceiptTextOptions = {}): string {
  const width = options.width ?? 32;
  if (!RECEIPT_WIDTHS.includes(width)) throw new RangeError(`receipt width must be one of ${RECEIPT_WIDTHS.join(', ')}, not ${String(width)}`);
  const labels = { ...DEFAULT_RECEIPT_LABELS, ...options.labels };
  const { receipt } = input;
  const invoice = receipt?.invoice;
  const total = invoice?.totalAmount ?? input.amount;
  const lines: string[] = [];

  if (receipt?.receiverName) lines.push(...centred(receipt.receiverName, width));
  lines.push('='.repeat(width));
  if (invoice?.title) lines.push(...wrap(invoice.title, width));
  const rows = invoice?.invoiceRows?.invoiceRow ?? [];
  if (rows.length > 0) {
    if (invoice?.title) lines.push('-'.repeat(width));
    for (const row of rows) lines.push(...rowLines(row, width, labels));
    lines.push('-'.repeat(width));
  }
  if (total) lines.push(...pair(labels.total, formatAmount(total), width));
  lines.push('='.repeat(width));

  lines.push(...wrap(labels.payment, width));
  const paid = receipt?.paymentDate ?? input.paidAt;
  if (paid !== undefined) lines.push(...pair(labels.date, printedDate(paid), width));
  const ersReference = input.ersReference ?? receipt?.paymentReference;
  if (ersReference) lines.push(...pair(labels.reference, ersReference, width));
  const invoiceReference = receipt?.invoiceReference ?? input.invoiceReference;
  if (invoiceReference) lines.push(...pair(labels.invoice, invoiceReference, width));
  if (invoice?.cashierId) lines.push(...pair(labels.cashier, invoice.cashierId, width));
  const order = invoice?.clientInvoiceId ?? receipt?.clientInvoiceId;
  if (order) lines.push(...pair(labels.order, order, width));
  if (invoice?.footer) lines.push('', ...wrap(invoice.footer, width));
  return `${lines.join('\n')}\n`;
}

/** A row: its description with its total, then "  2 x 35.00 /pcs" and a discount when there are any. */
function rowLines(row: InvoiceRow, width: number, labels: ReceiptLabels): string[] {
  const amount = (value: SeqrAmount | undefined) => (value ? formatAmount(value, { omitCurrency: true }) : '');
  const lines = pair(row.itemDescription ?? '', amount(row.itemTotalAmount), width);
  const quantity = row.itemQuantity;
  if (row.itemUnitPrice && (quantity === undefined || quantity !== '1')) {
    const unit = row.itemUnit ? ` /${row.itemUnit}` : '';
    lines.push(...wrap(`  ${quantity ?? '1'} x ${amount(row.itemUnitPrice)}${unit}`, width));
  }
  if (row.itemDiscount) lines.push(...pair(`  ${labels.discount}`, amount(row.itemDiscount), width));
  return lines;
}

/** "2026-11-27 10:15" from SEQR's local dateTime text (its wall clock, as the payer saw it); "… UTC" for UTC. */
function printedDate(paid: string | Date): string {
  const text = paid instanceof Date ? paid.toISOString() : paid;
  const parts = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z)?/.exec(text);
  if (!parts) return clean(text);
  return `${parts[1]} ${parts[2]}${parts[3] ? ' UTC' : ''}`;
}

/** Control characters as spaces: a newline or a tab in a title would break the layout. */
function withoutControls(text: string): string {
  return [...text].map((char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
}

/** Text on one line, trimmed. */
function clean(text: string): string {
  return withoutControls(text).trim();
}

function length(text: string): number {
  return [...text].length;
}

/** Words filled into lines of at most `width`; a word longer than a line is cut. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const indent = /^ */.exec(text)?.[0] ?? '';
  for (let word of clean(text).split(/\s+/).filter(Boolean)) {
    while (length(word) > width) {
      if (line) lines.push(line);
      line = '';
      const chars = [...word];
      lines.push(chars.slice(0, width).join(''));
      word = chars.slice(width).join('');
    }
    if (!word) continue;
    if (!line) line = lines.length === 0 ? indent + word : word;
    else if (length(line) + 1 + length(word) <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** `left` and `right` on one line, `right` flush right; when they do not fit, `right` on a line of its own. */
function pair(left: string, right: string, width: number): string[] {
  const value = clean(right);
  if (!value) return wrap(left, width);
  const label = withoutControls(left).trimEnd();
  if (length(label) + 1 + length(value) <= width) return [label + ' '.repeat(width - length(label) - length(value)) + value];
  const lines = wrap(label, width);
  const last = lines.at(-1) ?? '';
  if (lines.length > 0 && length(last) + 1 + length(value) <= width) {
    lines[lines.length - 1] = last + ' '.repeat(width - length(last) - length(value)) + value;
    return lines;
  }
  return [...lines, ...wrap(value, width).map((line) => ' '.repeat(width - length(line)) + line)];
}

function centred(text: string, width: number): string[] {
  return wrap(text, width).map((line) => ' '.repeat(Math.floor((width - length(line)) / 2)) + line);
}
