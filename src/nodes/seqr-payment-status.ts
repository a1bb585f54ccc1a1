/**
 * seqr-payment-status: watches the invoices whose references arrive as messages and sends each message
 * on once, when its invoice reaches an outcome: output 1 paid, output 2 failed (CANCELED, FAILED,
 * EXPIRED, TIMEOUT, ERROR), output 3 each status change before that. The watches live in the configuration's
 * payment ledger and are polled by LedgerWatches (src/ledger), which also resumes them after a redeploy or a
 * crash and makes each outcome exactly-once; the payload shapes are payment-status-messages'. This adapter reads
 * settings and messages, writes the outputs, and reports through send/done/status.
 *
 * Message ownership: the outcome goes out on the incoming message object itself (so correlation
 * fields like msg.order survive); each update goes out on a clone, so a downstream node that keeps or
 * changes an update never sees the later outcome written into it, and vice versa.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { watchRegistry } from '../watcher';
import { LedgerWatches, type WatchOutlet, type WatchRoute } from '../ledger';
import { isValidReference } from '../values';
import { useSeqrConfig } from './config-lookup';
import type { SeqrConfigProblem } from './config-types';
import { failEveryInput, refusedOversized } from './input-lifecycle';
import { invoiceReferenceOf } from './message-fields';
import { inputError } from './node-errors';
import { STATUS } from './node-status';
import { coalescedStatus } from './coalesced-status';
import { readPaymentStatusSettings, type PaymentStatusSettingsDef } from './payment-status-settings';
import { PAYMENT_STATUS_LIMITS, editorSettings } from './shared-limits';
import { flowsStarted } from './flows-started';
import { failedOutcomeKey } from './payment-outcomes';
import {
  amountOfMessage,
  markRedelivered,
  markResumed,
  notificationKeyOf,
  writeFailed,
  writePaid,
  writeUpdate,
} from './payment-status-messages';

interface PaymentStatusNodeDef extends NodeDef, PaymentStatusSettingsDef {
  seqr: string;
}

type SendFn = (msg: Array<NodeMessage | null>) => void;
type DoneFn = (err?: Error) => void;

const STATUS_REFRESH_MS = 100;
/** SEQR's acknowledgement window (protocol §5.4): down longer than this, a payment may have been reversed. */
const ACK_WINDOW_MS = 20_000;

export = function register(RED: NodeAPI): void {
  function SeqrPaymentStatusNode(this: Node, def: PaymentStatusNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    // The node's own settings first (logged here); a configuration problem is logged by the config node.
    const read = readPaymentStatusSettings(def);
    const problem: SeqrConfigProblem | undefined = read.problem && {
      field: read.problem.field,
      message: RED._(`seqr-payment-status.errors.${read.problem.key}`, read.problem.params),
      status: RED._(`seqr-payment-status.status.${read.problem.key}`),
    };
    if (problem) node.error(problem.message);
    const { config, problem: configProblem } = useSeqrConfig(RED, def.seqr);
    if (!read.settings || configProblem) {
      failEveryInput(RED, node, (problem ?? configProblem) as SeqrConfigProblem);
      return;
    }
    const { intervalMs, giveUpAfterMs, onDeadline, receiptWidth } = read.settings;
    if (read.settings.slow) {
      node.warn(RED._('seqr-payment-status.warn.slow-interval', { interval: intervalMs }));
    }

    let closed = false;
    let lastOutcome: NodeStatus | undefined;

    // ---- status: coalesced, because thousands of watches may start and end within a second ----
    const status = coalescedStatus(
      node,
      () => {
        const watching = watches.size;
        if (watching === 0) return lastOutcome ?? {};
        let retrying = 0;
        for (const watch of watches.values()) if (watch.retrying) retrying++;
        return retrying > 0
          ? STATUS.warn(RED._('seqr-payment-status.status.retrying', { count: retrying, total: watching }))
          : STATUS.busy(RED._('seqr-payment-status.status.watching', { count: watching }));
      },
      STATUS_REFRESH_MS,
    );

    /** Finishes a resumed message the way `done()` would have (so Complete nodes see it), if the runtime allows. */
    function completeResumed(msg: NodeMessage): DoneFn {
      const internal = node as unknown as { _complete?: (msg: NodeMessage, err?: Error) => void };
      return (err?: Error) => {
        if (typeof internal._complete === 'function') internal._complete.call(node, msg, err);
      };
    }

    // ---- what each event does to the outputs ----
    const outlet: WatchOutlet<NodeMessage> = {
      paid(watch, event) {
        const { amount, currency } = writePaid(watch.msg, event, watch.given, receiptWidth, (paid) =>
          RED._(`seqr-payment-status.outcome.${paid.amount && paid.currency ? 'paid-amount' : 'paid'}`, { ...paid }));
        lastOutcome = STATUS.ok(RED._('seqr-payment-status.status.paid', { amount: amount ?? '', currency: currency ?? '' }).trim());
        return [watch.msg, null, null];
      },
      failed(watch, event) {
        // Cancelled while Node-RED was down longer than SEQR waits: a payment made then was reversed by SEQR.
        const reversed = event.status === 'CANCELED' && watch.downtimeMs !== undefined && watch.downtimeMs > ACK_WINDOW_MS;
        const reason = reversed ? RED._('seqr-payment-status.reason.maybe-reversed', { seconds: Math.round(watch.downtimeMs! / 1000) }) : event.reason;
        writeFailed(watch.msg, { ...event, reason }, watch.given, RED._(`seqr-payment-status.outcome.${failedOutcomeKey(event, reversed)}`));
        lastOutcome = STATUS.error(RED._('seqr-payment-status.status.failed', { status: event.status }));
        return [null, watch.msg, null];
      },
      update(watch, event) {
        const update = RED.util.cloneMessage(watch.msg);
        writeUpdate(update, event, watch.given);
        watch.route.send([null, null, update]);
      },
      outputs: (output, msg) => (output === 1 ? [msg, null, null] : [null, msg, null]),
      resumedRoute: (msg): WatchRoute<NodeMessage> => ({ send: (out) => node.send(out), done: completeResumed(msg) }),
      markResumed,
      markRedelivered,
      changed: () => status.refresh(),
      resumed: (count, redelivered) => node.log(RED._('seqr-payment-status.log.resumed', { count: count + redelivered, redelivered })),
      retrying: (event) => node.debug(RED._('seqr-payment-status.log.retrying', { reference: event.invoiceReference, reason: event.reason })),
      cancelRefused: (event) =>
        node.log(RED._('seqr-payment-status.log.cancel-refused', { reference: event.invoiceReference, code: event.code, name: event.codeName })),
      error: (err) => node.error(RED._('seqr-payment-status.errors.ledger-failed', { error: err.message })),
    };

    const watches = new LedgerWatches<NodeMessage>(
      config.ledger,
      config.acquire(node),
      // The registry lets a seqr-notification node make this node poll an invoice at once.
      { owner: node.id, intervalMs, giveUpAfterMs, onDeadline, registry: watchRegistry },
      outlet,
    );
    // After every node of the deploy runs: a resumed outcome sent earlier would be dropped by Node-RED.
    const ready = flowsStarted(RED, node).then(() => watches.start()).catch((err: Error) => {
      node.error(RED._('seqr-payment-status.errors.ledger-failed', { error: err.message }));
    });

    // ---- input ----
    function startWatch(reference: string, msg: NodeMessage, route: WatchRoute<NodeMessage>): boolean {
      const started = watches.watch(reference, msg, route, { ...amountOfMessage(msg), notificationKey: notificationKeyOf(msg) });
      if (started === 'started') return true;
      node.warn(RED._(`seqr-payment-status.warn.${started}`, { reference }));
      route.done();
      return false;
    }

    function handleInput(msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void {
      if (closed) return;
      const reference = invoiceReferenceOf(msg);
      if (!isValidReference(reference)) {
        done(inputError('invoiceReference', RED._('seqr-payment-status.errors.no-reference')));
        return;
      }
      const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      const watched = watches.get(reference) !== undefined;
      if (topic === 'stop') {
        if (watches.stop(reference)) node.log(RED._('seqr-payment-status.log.stopped', { reference }));
        done();
        return;
      }
      if (topic === 'cancel') {
        if (watched) {
          watches.cancel(reference);
          done();
        } else if (startWatch(reference, msg, { send, done })) {
          // Not watched (e.g. after a kept TIMEOUT): watch it with this message and cancel at once, so that
          // the outcome (CANCELED, or PAID if the payer got there first) comes out on this message.
          watches.cancel(reference);
        }
        return;
      }
      startWatch(reference, msg, { send, done });
    }

    node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (refusedOversized(RED, node, msg)) return;
      ready.then(() => handleInput(msg, send, done)).catch((err: Error) => done(err));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      status.close();
      // A redeploy or stop leaves the open watches to this node's next instance; a deletion hands them to the
      // configuration, which watches them on and logs their outcomes.
      const { references, written } = watches.close(removed);
      if (references.length > 0) {
        if (removed) {
          node.warn(RED._('seqr-payment-status.warn.stopped-on-delete', { count: references.length, references: references.join(', ') }));
        } else {
          node.log(RED._('seqr-payment-status.log.paused', { count: references.length }));
        }
      }
      config.release(node);
      void written.then(() => done());
    });
  }

  RED.nodes.registerType('seqr-payment-status', SeqrPaymentStatusNode, { settings: editorSettings('seqrPaymentStatusLimits', PAYMENT_STATUS_LIMITS) });
};
