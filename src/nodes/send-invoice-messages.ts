/**
 * The message seqr-send-invoice sends on: msg.payload for the flow (reference, QR text, deep link, amount) and
 * msg.seqr for the payment status node it is wired to. Pure: changes only the message it is given.
 */
import type { NodeMessage } from 'node-red';
import { deepLink, invoiceQrText, type SendInvoiceResult, type SeqrInvoice } from '../seqr';

/** What an issued invoice's message carries. */
export type IssuedMessage = NodeMessage & {
  payload: { invoiceReference: string; qrCode: string; deepLink: string; amount: string; currency: string; title?: string; status: 'ISSUED' };
  seqr: {
    invoiceReference: string;
    amount: string;
    currency: string;
    sentAt: string;
    paymentMode?: SeqrInvoice['paymentMode'];
    acknowledgmentMode?: SeqrInvoice['acknowledgmentMode'];
    clientInvoiceId?: string;
    notificationKey?: string;
  };
  qr?: unknown;
};

/**
 * Writes the issued invoice into `msg` (the same object, returned): `notify` is the notificationUrl and key this
 * node chose, whose key goes into msg.seqr only when the invoice went out with that URL (not the message's own).
 */
export function writeIssued(
  msg: NodeMessage,
  sent: SendInvoiceResult,
  invoice: SeqrInvoice,
  appScheme: string,
  notify: { url: string; key: string } | undefined,
): IssuedMessage {
  const qrCode = invoiceQrText(sent);
  const { value: amount, currency } = invoice.totalAmount;
  const out = msg as IssuedMessage;
  const payload: Record<string, unknown> = {
    invoiceReference: sent.invoiceReference,
    qrCode,
    deepLink: deepLink(qrCode, appScheme),
    amount,
    currency,
  };
  if (invoice.title !== undefined) payload.title = invoice.title;
  payload.status = 'ISSUED';
  const seqr: Record<string, unknown> = {
    invoiceReference: sent.invoiceReference,
    amount,
    currency,
    sentAt: new Date().toISOString(),
    paymentMode: invoice.paymentMode,
    acknowledgmentMode: invoice.acknowledgmentMode,
  };
  if (invoice.clientInvoiceId !== undefined) seqr.clientInvoiceId = invoice.clientInvoiceId;
  if (notify && invoice.notificationUrl === notify.url) seqr.notificationKey = notify.key;
  out.payload = payload as IssuedMessage['payload'];
  out.seqr = seqr as IssuedMessage['seqr'];
  return out;
}
