/**
 * seqr-payment-status: watches the invoices whose references arrive as messages and sends each message
 * on once, when its invoice reaches an outcome: output 1 paid, output 2 failed (CANCELED, FAILED,
 * EXPIRED, TIMEOUT, ERROR), output 3 each status change before that. The watches live in the configuration's
 * payment ledger and are polled by LedgerWatches (src/ledger), which also resumes them after a redeploy or a
 * crash and makes each outcome exactly-once; what each of their events writes and sends is payment-status-outlet.ts.
 * This adapter reads settings and messages, starts, stops and cancels watches, and reports through done/status.
 *
 * Message ownership: the outcome goes out on the incoming message object itself (so correlation
 * fields like msg.order survive); each update goes out on a clone, so a downstream node that keeps or
 * changes an update never sees the later outcome written into it, and vice versa.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { watchRegistry } from '../watcher';
import { LedgerWatches, type WatchRoute } from '../ledger';
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
import { amountOfMessage, notificationKeyOf } from './payment-status-messages';
import { paymentStatusOutlet } from './payment-status-outlet';

interface PaymentStatusNodeDef extends NodeDef, PaymentStatusSettingsDef {
  seqr: string;
}

type SendFn = (msg: Array<NodeMessage | null>) => void;
type DoneFn = (err?: Error) => void;

const STATUS_REFRESH_MS = 100;

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
        if (retrying > 0) return STATUS.warn(RED._('seqr-payment-status.status.retrying', { count: retrying, total: watching }));
        // A shared ledger (Redis) out of reach: polled here, taken over by nobody if this instance dies now.
        if (!watches.replicated) return STATUS.warn(RED._('seqr-payment-status.status.not-replicated', { count: watching }));
        return STATUS.busy(RED._('seqr-payment-status.status.watching', { count: watching }));
      },
      STATUS_REFRESH_MS,
    );

    const outlet = paymentStatusOutlet(RED, node, receiptWidth, {
      outcome: (shown) => (lastOutcome = shown),
      changed: () => status.refresh(),
    });

    const watches = new LedgerWatches<NodeMessage>(
      config.ledger,
      config.acquire(node),
      // The registry lets a seqr-notification node make this node poll an invoice at once.
      { owner: node.id, intervalMs, giveUpAfterMs, onDeadline, registry: watchRegistry },
      outlet,
    );
    // After every node of the deploy runs: a resumed outcome sent earlier would be dropped by Node-RED.
    const ready = flowsStarted(RED, node).then(() => watches.start()).catch((err: Error) => outlet.error(err));

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
