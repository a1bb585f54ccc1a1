/**
 * seqr-refund: gives money back for a SEQR payment, identified by its ersReference (by default the one the
 * payment status node put in msg.payload). The whole paid amount (msg.payload.amount and currency, as the paid
 * message carries them) or a part of it; SEQR allows more refunds of one payment while they add up to at most
 * the payment (98 beyond). Each refund is a new transaction with its own ersReference, which goes out in
 * msg.payload. SEQR's refusals (97, 98, 99, 23…) go to `done(err)` for Catch nodes with their codes.
 *
 * No automatic retry: a refund call that got no answer may have paid the refund, and a second call would pay it
 * again (up to the payment's amount).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { isRecord, isValidReference } from '../values';
import { usableConfig } from './config-lookup';
import { serveMessages } from './input-lifecycle';
import { invoiceDefaultsOf, invoiceFromMessage } from './invoice-settings';
import { catchableError, inputError, noteIfMaybeProcessed } from './node-errors';
import { STATUS } from './node-status';
import { REFUND_LIMITS, editorSettings } from './shared-limits';
import { describeTypedInput, readTypedInput, type TypedInputSource } from './typed-input';

interface RefundDef extends NodeDef {
  seqr: string;
  /** Where the payment's ersReference comes from (typedInput value and type). */
  reference: string;
  referenceType: string;
  /** Where the amount to refund comes from (typedInput value and type). */
  amount: string;
  amountType: string;
  /** The currency when msg.payload.currency gives none. */
  currency: string;
  title: string;
  cashierId: string;
}

/** The amount as a message or a typedInput may give it. */
function isAmount(value: unknown): value is number | string {
  return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '');
}

export = function register(RED: NodeAPI): void {
  function SeqrRefundNode(this: Node, def: RefundDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const referenceSource = { value: def.reference || 'payload.ersReference', type: def.referenceType || 'msg' };
    const amountSource = { value: def.amount || 'payload.amount', type: def.amountType || 'msg' };
    const defaults = invoiceDefaultsOf(def, RED._('seqr-refund.label.default-title'));

    const config = usableConfig(RED, node, def.seqr, defaults);
    if (!config) return;
    const client = config.acquire(node);

    /** A typedInput's value for this message; an unreadable expression is the message's fault (`field`). */
    const read = (source: TypedInputSource, field: string, msg: NodeMessage) =>
      readTypedInput(RED, node, source, msg, (details) => inputError(field, RED._('seqr-refund.errors.unreadable', details)));

    async function refund(msg: NodeMessageInFlow, send: (msg: NodeMessage) => void): Promise<void> {
      const refundedReference = await read(referenceSource, 'ersReference', msg);
      if (!isValidReference(refundedReference)) {
        const source = describeTypedInput(RED, referenceSource.value, referenceSource.type);
        throw inputError('ersReference', RED._('seqr-refund.errors.no-reference', { source }));
      }
      const amount = await read(amountSource, 'amount', msg);
      if (!isAmount(amount)) {
        const source = describeTypedInput(RED, amountSource.value, amountSource.type);
        throw inputError('amount', RED._('seqr-refund.errors.no-amount', { source }));
      }
      // The paid message names its currency; a refund is always in the payment's currency (49 otherwise).
      const payloadCurrency = isRecord(msg.payload) && typeof msg.payload.currency === 'string' ? msg.payload.currency : undefined;
      const invoice = invoiceFromMessage({ amount, ...(payloadCurrency ? { currency: payloadCurrency } : {}) }, defaults, (err) =>
        catchableError(err, RED._('seqr-refund.errors.invalid-amount', { error: err.message })),
      );

      const refunded = await client.refundPayment(refundedReference, invoice).catch((err: unknown) => {
        throw noteIfMaybeProcessed(err, RED._('seqr-refund.errors.maybe-refunded'));
      });
      const { value, currency } = invoice.totalAmount;
      msg.payload = { ersReference: refunded.ersReference, refundedReference, amount: value, currency };
      send(msg);
      node.status(STATUS.ok(RED._('seqr-refund.status.refunded', { amount: value, currency })));
    }

    serveMessages(RED, node, config, RED._('seqr-refund.status.refunding'), refund);
  }

  RED.nodes.registerType('seqr-refund', SeqrRefundNode, { settings: editorSettings('seqrRefundLimits', REFUND_LIMITS) });
};
