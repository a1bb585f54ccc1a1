/**
 * What the payment status node does with each event of its watches (LedgerWatches' outlet): the outcome written
 * into the watched message and routed to output 1 (paid) or 2 (failed), each status change before that on a clone
 * to output 3, and the logs. The payload shapes are payment-status-messages'.
 */
import type { Node, NodeAPI, NodeMessage, NodeStatus } from 'node-red';
import type { ReceiptWidth } from '../seqr';
import type { WatchOutlet, WatchRoute } from '../ledger';
import { STATUS } from './node-status';
import { failedOutcomeKey } from './payment-outcomes';
import { markRedelivered, markResumed, writeFailed, writePaid, writeUpdate } from './payment-status-messages';

/** SEQR's acknowledgement window (protocol §5.4): down longer than this, a payment may have been reversed. */
const ACK_WINDOW_MS = 20_000;

/** How the node shows its watches: the last outcome's status, and a refresh when the watches changed. */
export interface WatchesShown {
  outcome(status: NodeStatus): void;
  changed(): void;
}

/** Finishes a resumed message the way `done()` would have (so Complete nodes see it), if the runtime allows. */
function completeResumed(node: Node, msg: NodeMessage): (err?: Error) => void {
  const internal = node as unknown as { _complete?: (msg: NodeMessage, err?: Error) => void };
  return (err?: Error) => {
    if (typeof internal._complete === 'function') internal._complete.call(node, msg, err);
  };
}

export function paymentStatusOutlet(RED: NodeAPI, node: Node, receiptWidth: ReceiptWidth, shown: WatchesShown): WatchOutlet<NodeMessage> {
  return {
    paid(watch, event) {
      const { amount, currency } = writePaid(watch.msg, event, watch.given, receiptWidth, (paid) =>
        RED._(`seqr-payment-status.outcome.${paid.amount && paid.currency ? 'paid-amount' : 'paid'}`, { ...paid }));
      shown.outcome(STATUS.ok(RED._('seqr-payment-status.status.paid', { amount: amount ?? '', currency: currency ?? '' }).trim()));
      return [watch.msg, null, null];
    },
    failed(watch, event) {
      // Cancelled while Node-RED was down longer than SEQR waits: a payment made then was reversed by SEQR.
      const reversed = event.status === 'CANCELED' && watch.downtimeMs !== undefined && watch.downtimeMs > ACK_WINDOW_MS;
      const reason = reversed ? RED._('seqr-payment-status.reason.maybe-reversed', { seconds: Math.round(watch.downtimeMs! / 1000) }) : event.reason;
      writeFailed(watch.msg, { ...event, reason }, watch.given, RED._(`seqr-payment-status.outcome.${failedOutcomeKey(event, reversed)}`));
      shown.outcome(STATUS.error(RED._('seqr-payment-status.status.failed', { status: event.status })));
      return [null, watch.msg, null];
    },
    update(watch, event) {
      const update = RED.util.cloneMessage(watch.msg);
      writeUpdate(update, event, watch.given);
      watch.route.send([null, null, update]);
    },
    outputs: (output, msg) => (output === 1 ? [msg, null, null] : [null, msg, null]),
    resumedRoute: (msg): WatchRoute<NodeMessage> => ({ send: (out) => node.send(out), done: completeResumed(node, msg) }),
    markResumed,
    markRedelivered,
    changed: () => shown.changed(),
    resumed: (count, redelivered) => node.log(RED._('seqr-payment-status.log.resumed', { count: count + redelivered, redelivered })),
    retrying: (event) => node.debug(RED._('seqr-payment-status.log.retrying', { reference: event.invoiceReference, reason: event.reason })),
    cancelRefused: (event) =>
      node.log(RED._('seqr-payment-status.log.cancel-refused', { reference: event.invoiceReference, code: event.code, name: event.codeName })),
    error: (err) => node.error(RED._('seqr-payment-status.errors.ledger-failed', { error: err.message })),
  };
}
