/**
 * What a configuration does with the outcomes of the invoices it watches as a stand-in (their payment status node
 * was deleted, or none was ever known): no output to send them on, so each goes to the log, a PAID as a warning
 * with the references a merchant needs to find it (and refund it, if nobody delivers the goods).
 */
import type { Node, NodeAPI } from 'node-red';
import type { WatchOutlet } from '../ledger';

interface OrphanMessage {
  invoiceReference?: string;
}

export function orphanOutlet(RED: NodeAPI, node: Node): WatchOutlet<OrphanMessage> {
  const quiet = { send: () => undefined, done: () => undefined };
  return {
    paid(watch, event) {
      const total = event.receipt?.invoice?.totalAmount;
      node.warn(
        RED._('seqr-config.ledger.orphan-paid', {
          reference: event.invoiceReference,
          ersReference: event.ersReference ?? '',
          amount: total?.value ?? watch.given.amount ?? '',
          currency: total?.currency ?? watch.given.currency ?? '',
        }),
      );
      return [null, null, null];
    },
    failed(_watch, event) {
      node.log(RED._('seqr-config.ledger.orphan-failed', { reference: event.invoiceReference, status: event.status, reason: event.reason }));
      return [null, null, null];
    },
    update: () => undefined,
    outputs: () => [null, null, null],
    resumedRoute: () => quiet,
    markResumed: () => undefined,
    markRedelivered: () => undefined,
    changed: () => undefined,
    resumed: () => undefined,
    retrying: () => undefined,
    cancelRefused: () => undefined,
    error: (err) => node.error(RED._('seqr-config.ledger.failed', { error: err.message })),
  };
}
