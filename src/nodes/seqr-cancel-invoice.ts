/**
 * seqr-cancel-invoice: cancels the open invoice a message names (msg.seqr.invoiceReference, as send invoice sets
 * it, msg.payload.invoiceReference, or msg.payload itself), for flows that cancel outside a payment status node:
 * a "cancel" button on a till, an order withdrawn. SEQR's refusals (50 already paid, 51 and 48 the payer is paying
 * now) go to `done(err)` for Catch nodes with their codes.
 *
 * 95 INVOICE_ALREADY_CANCELED counts as success (as SEQR's WooCommerce plugin treats it): the invoice cannot be
 * paid, which is what the flow asked for; the output says `alreadyCanceled: true`. A cancel is safe to send again.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { SeqrError, resultCode } from '../seqr';
import { isValidReference } from '../values';
import { usableConfig } from './config-lookup';
import { serveMessages } from './input-lifecycle';
import { invoiceReferenceOf } from './message-fields';
import { inputError } from './node-errors';
import { STATUS } from './node-status';

interface CancelInvoiceDef extends NodeDef {
  seqr: string;
}

const INVOICE_ALREADY_CANCELED = resultCode('INVOICE_ALREADY_CANCELED');

export = function register(RED: NodeAPI): void {
  function SeqrCancelInvoiceNode(this: Node, def: CancelInvoiceDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = usableConfig(RED, node, def.seqr);
    if (!config) return;
    const client = config.acquire(node);

    async function cancel(msg: NodeMessageInFlow, send: (msg: NodeMessage) => void): Promise<void> {
      const invoiceReference = invoiceReferenceOf(msg);
      if (!isValidReference(invoiceReference)) {
        throw inputError('invoiceReference', RED._('seqr-cancel-invoice.errors.no-reference'));
      }
      let alreadyCanceled = false;
      try {
        await client.cancelInvoice(invoiceReference);
      } catch (err) {
        if (!(err instanceof SeqrError && err.code === INVOICE_ALREADY_CANCELED)) throw err;
        alreadyCanceled = true;
      }
      msg.payload = { invoiceReference, status: 'CANCELED', ...(alreadyCanceled ? { alreadyCanceled } : {}) };
      send(msg);
      node.status(STATUS.ok(RED._(`seqr-cancel-invoice.status.${alreadyCanceled ? 'already-canceled' : 'canceled'}`)));
    }

    serveMessages(RED, node, config, RED._('seqr-cancel-invoice.status.canceling'), cancel);
  }

  RED.nodes.registerType('seqr-cancel-invoice', SeqrCancelInvoiceNode);
};
