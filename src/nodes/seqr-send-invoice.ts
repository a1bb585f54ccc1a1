/**
 * seqr-send-invoice: one SEQR invoice per message. Reads an amount or an invoice object (a typedInput, by
 * default msg.payload), fills in the node's settings where the message leaves a field out, sends it with the
 * configuration's shared client, and sends the same message on with the reference, the QR text, the deep link
 * and optionally the QR image. Invalid input and SEQR's refusals go to `done(err)` for Catch nodes; nothing is
 * sent on then.
 *
 * No automatic retry of sendInvoice: when the call fails without an answer (a timeout, a reset connection),
 * SEQR may have created the invoice anyway, and sending it again makes a second invoice. The error says so
 * (`msg.error.cause.maybeProcessed`, `retryable`) and the flow decides; a new invoice is harmless for the payer
 * (only the QR shown can be paid), and a cash-register terminal cancels its previous invoice by itself.
 *
 * Durability: the message with the QR code leaves only after the configuration's payment ledger holds the invoice
 * on disk (with the payment status node the message is wired to), so no QR code a customer can pay exists
 * without a ledger entry, and a crash on the way to the status node cannot lose the payment. The one window
 * left, a crash between SEQR's answer and the record, is harmless to customers: nobody has seen that invoice's QR
 * code, so nobody can pay it; it stays open at SEQR until it lapses (a cash-register terminal's next invoice
 * cancels it), and its clientInvoiceId (in msg.payload, when the flow gives one) names it in SEQR's records.
 *
 * Notify "node": each invoice's notificationUrl is the public URL of the configuration's seqr-notification node
 * plus a fresh key (msg.seqr.notificationKey), by which the payment status node's watch is found when SEQR calls.
 * Without a usable notification node the invoice goes out without notificationUrl (a warning says why): the
 * status node finds the payment by polling all the same.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { InvoiceInputError, qrDataUrl, qrPng, qrSvg, type AcknowledgmentMode, type InvoiceDefaults, type PaymentMode } from '../seqr';
import { settingText } from '../values';
import { usableConfig } from './config-lookup';
import { firstDownstream } from './flow-wiring';
import { withCashierHint } from './cashier-hints';
import { serveMessages } from './input-lifecycle';
import { invoiceDefaultsOf, invoiceFromMessage } from './invoice-settings';
import { catchableError, noteIfMaybeProcessed } from './node-errors';
import { STATUS } from './node-status';
import { newNotificationKey, notificationEndpointOf, urlWithKey, type EndpointProblem } from './notification-endpoints';
import { writeIssued } from './send-invoice-messages';
import { SEND_INVOICE_LIMITS, editorSettings } from './shared-limits';
import { describeTypedInput, readTypedInput } from './typed-input';

type QrImageFormat = 'none' | 'png' | 'dataurl' | 'svg';

interface SendInvoiceDef extends NodeDef {
  seqr: string;
  /** Where the amount or invoice comes from (typedInput value and type). */
  invoice: string;
  invoiceType: string;
  title: string;
  currency: string;
  cashierId: string;
  paymentMode: PaymentMode | '';
  acknowledgmentMode: AcknowledgmentMode | '';
  footer: string;
  notificationUrl: string;
  /** `node`: notificationUrl from the configuration's seqr-notification node, with a key; else the field above. */
  notify: 'url' | 'node' | '';
  backURL: string;
  qr: QrImageFormat | '';
  /** Read a text amount the way a cashier types it ("12,50 kr"): see parseCashierAmount. */
  cashierAmount?: boolean | 'true' | 'false';
}

type SendFn = (msg: NodeMessage) => void;

const QR_IMAGES: Record<Exclude<QrImageFormat, 'none'>, (text: string) => Promise<Buffer | string>> = {
  png: qrPng,
  dataurl: qrDataUrl,
  svg: qrSvg,
};

/** The node's settings as buildInvoice defaults (empty fields left out, so they are not sent). */
function invoiceDefaults(def: SendInvoiceDef): InvoiceDefaults {
  return {
    ...invoiceDefaultsOf(def),
    footer: settingText(def.footer),
    notificationUrl: settingText(def.notificationUrl),
    backURL: settingText(def.backURL),
    paymentMode: settingText(def.paymentMode) as PaymentMode | undefined,
    acknowledgmentMode: settingText(def.acknowledgmentMode) as AcknowledgmentMode | undefined,
    lenientAmount: def.cashierAmount === true || def.cashierAmount === 'true',
  };
}


export = function register(RED: NodeAPI): void {
  /** A message whose amount or invoice cannot be read at all (the error names the field `invoice`). */
  function invalidInput(message: string): Error {
    return withCashierHint(RED, catchableError(new InvoiceInputError('invoice', message), message), 'invoice');
  }

  function SeqrSendInvoiceNode(this: Node, def: SendInvoiceDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const source = { value: def.invoice || 'payload', type: def.invoiceType || 'msg' };
    const sourceLabel = describeTypedInput(RED, source.value, source.type);
    const notifyNode = def.notify === 'node';
    const defaults = invoiceDefaults(notifyNode ? { ...def, notificationUrl: '' } : def);
    const qrFormat: QrImageFormat = def.qr && def.qr in QR_IMAGES ? def.qr : 'none';

    const config = usableConfig(RED, node, def.seqr, defaults);
    if (!config) return;

    const appScheme = config.appScheme;
    const client = config.acquire(node);
    const ledger = config.ledger;
    const configId = def.seqr;
    /** The payment status node (of this configuration) the messages are wired to: fixed for a deploy. */
    let statusNode: { id?: string } | undefined;
    function wiredStatusNode(): string | undefined {
      statusNode ??= { id: firstDownstream(RED, node, (id) => ledger.hasOwner(id)) };
      return statusNode.id;
    }

    /** Warned once per deploy and problem: a missing notification node slows payments down, it does not stop them. */
    const warned = new Set<EndpointProblem>();
    /** With notify "node": this invoice's notificationUrl and its key, or nothing (and a warning) without an endpoint. */
    function notification(): { url: string; key: string } | undefined {
      if (!notifyNode) return undefined;
      const endpoint = notificationEndpointOf(configId);
      if (endpoint.url === undefined) {
        if (!warned.has(endpoint.problem)) {
          warned.add(endpoint.problem);
          node.warn(RED._(`seqr-send-invoice.warn.notify-${endpoint.problem}`));
        }
        return undefined;
      }
      const key = newNotificationKey();
      return { url: urlWithKey(endpoint.url, key), key };
    }

    async function sendInvoice(msg: NodeMessageInFlow, send: SendFn): Promise<void> {
      const input = await readTypedInput(RED, node, source, msg, (details) => invalidInput(RED._('seqr-send-invoice.errors.unreadable', details)));
      if (Buffer.isBuffer(input) || Array.isArray(input)) {
        throw invalidInput(RED._('seqr-send-invoice.errors.not-an-invoice', { source: sourceLabel }));
      }
      // An invoice the ledger cannot record must not be created: its payment could be lost.
      await ledger.ready.catch((err: Error) => {
        throw catchableError(err, RED._('seqr-send-invoice.errors.ledger-unusable', { file: ledger.location, error: err.message }));
      });
      const notify = notification();
      const invoice = invoiceFromMessage(input, notify ? { ...defaults, notificationUrl: notify.url } : defaults, (err) =>
        withCashierHint(RED, catchableError(err, RED._('seqr-send-invoice.errors.invalid-invoice', { source: sourceLabel, error: err.message })), err.field),
      );

      const sent = await client.sendInvoice(invoice).catch((err: unknown) => {
        throw noteIfMaybeProcessed(err, RED._('seqr-send-invoice.errors.maybe-created'));
      });

      const out = writeIssued(msg, sent, invoice, appScheme, notify);
      const { amount, currency } = out.seqr;
      if (qrFormat !== 'none') out.qr = await QR_IMAGES[qrFormat](out.payload.qrCode);
      await ledger
        .recordInvoice(sent.invoiceReference, {
          amount,
          currency,
          clientInvoiceId: invoice.clientInvoiceId,
          notificationKey: out.seqr.notificationKey,
          owner: wiredStatusNode(),
          msg: out,
        })
        .catch((err: Error) => {
          // SEQR holds the invoice, but without a record its payment could be lost: its QR code must not leave.
          throw catchableError(err, RED._('seqr-send-invoice.errors.ledger-failed', { reference: sent.invoiceReference, error: err.message }));
        });
      send(out);
      node.status(STATUS.ok(RED._('seqr-send-invoice.status.sent', { amount, currency })));
    }

    // Calls under way finish before the client is released: their invoices exist at SEQR.
    serveMessages(RED, node, config, RED._('seqr-send-invoice.status.sending'), sendInvoice);
  }

  RED.nodes.registerType('seqr-send-invoice', SeqrSendInvoiceNode, { settings: editorSettings('seqrSendInvoiceLimits', SEND_INVOICE_LIMITS) });
};
