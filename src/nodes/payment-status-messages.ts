/**
 * The messages seqr-payment-status sends: what it reads from an incoming message (amount, notification key)
 * and what it writes into the outgoing ones (payload shapes per output, msg.seqr, msg.receiptText). Pure:
 * each function changes only the message it is given.
 */
import type { NodeMessage } from 'node-red';
import { receiptText, type ReceiptWidth } from '../seqr';
import type { PaymentReceipt } from '../seqr/types';
import type { PaymentFailed, PaymentPaid, PaymentUpdate } from '../watcher';
import { isRecord } from '../values';

/** The invoice's amount and currency as the incoming message gave them, if it did. */
export interface InvoiceAmount {
  amount?: string;
  currency?: string;
}

type SeqrMessage = NodeMessage & { seqr?: unknown; receiptText?: string };

/** The amount as seqr-send-invoice put it in msg.seqr (or msg.payload), for the outputs and the status. */
export function amountOfMessage(msg: NodeMessage): InvoiceAmount {
  const seqr = (msg as SeqrMessage).seqr;
  const amountFrom = isRecord(seqr) && seqr.amount !== undefined ? seqr : msg.payload;
  const found: InvoiceAmount = {};
  if (isRecord(amountFrom)) {
    if (amountFrom.amount !== undefined) found.amount = String(amountFrom.amount);
    if (typeof amountFrom.currency === 'string') found.currency = amountFrom.currency;
  }
  return found;
}

/** The key seqr-send-invoice put into the invoice's notificationUrl (also in a message resumed after a restart). */
export function notificationKeyOf(msg: NodeMessage): string | undefined {
  const seqr = (msg as SeqrMessage).seqr;
  return isRecord(seqr) && typeof seqr.notificationKey === 'string' ? seqr.notificationKey : undefined;
}

/** A message watched again after a restart or redeploy says so and names the properties it lost. */
export function markResumed(msg: NodeMessage, lost: string[]): void {
  const previous = (msg as SeqrMessage).seqr;
  (msg as SeqrMessage).seqr = { ...(isRecord(previous) ? previous : {}), resumed: true, lostProperties: [...lost] };
}

/**
 * An outcome sent again after a crash that may have come between its first sending and the ledger's note that it
 * was sent: the flow should dedupe it (on msg.payload.ersReference for a PAID, on the invoice reference otherwise).
 */
export function markRedelivered(msg: NodeMessage): void {
  const previous = (msg as SeqrMessage).seqr;
  (msg as SeqrMessage).seqr = { ...(isRecord(previous) ? previous : {}), redelivered: true };
}

/**
 * Output 1: the paid invoice on its own message, with a receipt for the printer width; `message` is the sentence
 * for people, made from what it paid. Returns what it paid.
 */
export function writePaid(
  msg: NodeMessage,
  event: PaymentPaid,
  given: InvoiceAmount,
  width: ReceiptWidth,
  message: (paid: InvoiceAmount) => string,
): InvoiceAmount {
  const total = (event.receipt as PaymentReceipt | undefined)?.invoice?.totalAmount;
  const amount = total?.value ?? given.amount;
  const currency = total?.currency ?? given.currency;
  const { invoiceReference, ersReference, receipt } = event;
  const paidAt = receipt?.paymentDate ?? new Date().toISOString();
  msg.payload = { status: 'PAID', message: message({ amount, currency }), invoiceReference, ersReference, amount, currency, paidAt, receipt };
  writeSeqr(msg, invoiceReference, { status: 'PAID', ersReference });
  const money = amount && currency ? { value: amount, currency } : undefined;
  (msg as SeqrMessage).receiptText = receiptText({ invoiceReference, ersReference, receipt, amount: money, paidAt }, { width });
  return { amount, currency };
}

/**
 * Output 2: status, the sentence for people (`message`), invoiceReference, reason, and code, codeName,
 * invoiceStatus, cancelled where they apply.
 */
export function writeFailed(msg: NodeMessage, event: PaymentFailed, given: InvoiceAmount, message: string): void {
  const { startedAt: _startedAt, status, ...outcome } = event;
  msg.payload = { status, message, ...outcome, ...knownAmount(given) };
  writeSeqr(msg, event.invoiceReference, { status: event.status });
}

/** Output 3: a status change before the outcome, written into `copy` (a clone of the watched message). */
export function writeUpdate(copy: NodeMessage, event: PaymentUpdate, given: InvoiceAmount): void {
  const payload: Record<string, unknown> = {
    status: event.status,
    invoiceReference: event.invoiceReference,
    version: event.version,
    tokens: event.tokens,
  };
  if (event.previousStatus !== undefined) payload.previousStatus = event.previousStatus;
  copy.payload = { ...payload, ...knownAmount(given) };
  writeSeqr(copy, event.invoiceReference, { status: event.status });
}

function knownAmount({ amount, currency }: InvoiceAmount): InvoiceAmount {
  return { ...(amount !== undefined ? { amount } : {}), ...(currency !== undefined ? { currency } : {}) };
}

/** msg.seqr keeps what it had (e.g. from seqr-send-invoice) and gains the reference and the outcome. */
function writeSeqr(msg: NodeMessage, invoiceReference: string, extra: Record<string, unknown>): void {
  const previous = (msg as SeqrMessage).seqr;
  (msg as SeqrMessage).seqr = { ...(isRecord(previous) ? previous : {}), invoiceReference, ...extra };
}
