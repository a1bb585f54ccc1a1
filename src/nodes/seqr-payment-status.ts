/**
 * seqr-payment-status: watches the invoices whose references arrive as messages and sends each message
 * on once, when its invoice reaches an outcome: output 1 paid, output 2 failed (CANCELED, FAILED,
 * EXPIRED, TIMEOUT, ERROR), output 3 each status change before that. The polling is PaymentWatcher's, the
 * keeping of open watches across restarts and redeploys (exactly-once PAID) WatchJournal's, in the node's
 * context store; the payload shapes are payment-status-messages'. This adapter reads settings and messages,
 * routes the watcher's events to the outputs, and reports through send/done/status.
 *
 * Message ownership: the outcome goes out on the incoming message object itself (so correlation
 * fields like msg.order survive); each update goes out on a clone, so a downstream node that keeps or
 * changes an update never sees the later outcome written into it, and vice versa.
 *
 * A node that closes drops any answer still in flight and waits for the journal's writes, so the instance
 * that resumes polls again and sends the outcome itself: after a redeploy from the journal's in-process
 * handover (live message, nothing lost) or the store, after a restart from the store.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import {
  PaymentWatcher,
  type CancelRefused,
  type DeadlinePolicy,
  type PaymentFailed,
  type PaymentPaid,
  type PaymentRetrying,
  type PaymentStatusSource,
  type PaymentUpdate,
  type PaymentRecovered,
  watchRegistry,
} from '../watcher';
import { WatchJournal, type KeyValueStore, type ResumableWatch } from '../watcher/watch-journal';
import { InvoiceInputError, RECEIPT_WIDTHS } from '../seqr';
import { STATUS, catchableError, failEveryInput, invoiceReferenceOf, isValidReference, refusedOversized, useSeqrConfig } from './adapter-helpers';
import type { SeqrConfigProblem } from './config-types';
import { amountOfMessage, markResumed, notificationKeyOf, writeFailed, writePaid, writeUpdate } from './payment-status-messages';

interface PaymentStatusNodeDef extends NodeDef {
  seqr: string;
  interval: number | string;
  giveUpAfter: number | string;
  onDeadline: DeadlinePolicy | '';
  store: string;
  /** Columns of the printer msg.receiptText is laid out for. */
  receiptWidth: number | string;
}

type SendFn = (msg: Array<NodeMessage | null>) => void;
type DoneFn = (err?: Error) => void;

/** What this node attaches to each watch in the journal: where its outcome goes, and whether it is retrying. */
interface WatchRoute {
  send: SendFn;
  done: DoneFn;
  retrying: boolean;
}

const DEFAULT_INTERVAL_MS = 1000;
/** SEQR reverses a payment nobody fetched within ~20 s: polls further apart than this get a warning. */
const SLOW_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 10_000;
const DEFAULT_GIVE_UP_AFTER_S = 120;
const MAX_GIVE_UP_AFTER_S = 24 * 60 * 60;
const STATUS_REFRESH_MS = 100;

function parseNumber(value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return typeof value === 'number' ? value : Number(value);
}

export = function register(RED: NodeAPI): void {
  function SeqrPaymentStatusNode(this: Node, def: PaymentStatusNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const intervalMs = parseNumber(def.interval, DEFAULT_INTERVAL_MS);
    const giveUpAfterS = parseNumber(def.giveUpAfter, DEFAULT_GIVE_UP_AFTER_S);
    const onDeadline: DeadlinePolicy = def.onDeadline === 'keep' ? 'keep' : 'cancel';
    const store = def.store ? def.store : undefined;
    const receiptWidth = RECEIPT_WIDTHS.find((width) => width === Number(def.receiptWidth)) ?? 32;

    // The node's own settings first (logged here); a configuration problem is logged by the config node.
    const settingProblem = (field: string, key: string, params: Record<string, string | number>): SeqrConfigProblem => ({
      field,
      message: RED._(`seqr-payment-status.errors.${key}`, params),
      status: RED._(`seqr-payment-status.status.${key}`),
    });
    let problem: SeqrConfigProblem | undefined;
    if (!Number.isFinite(intervalMs) || intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_INTERVAL_MS) {
      problem = settingProblem('interval', 'bad-interval', { min: MIN_INTERVAL_MS, max: MAX_INTERVAL_MS });
    } else if (!Number.isFinite(giveUpAfterS) || giveUpAfterS <= 0 || giveUpAfterS > MAX_GIVE_UP_AFTER_S) {
      problem = settingProblem('giveUpAfter', 'bad-give-up-after', { max: MAX_GIVE_UP_AFTER_S });
    }
    if (problem) node.error(problem.message);
    const { config, problem: configProblem } = useSeqrConfig(RED, def.seqr);
    if (problem || configProblem) {
      failEveryInput(RED, node, (problem ?? configProblem) as SeqrConfigProblem);
      return;
    }
    if (intervalMs > SLOW_INTERVAL_MS) {
      node.warn(RED._('seqr-payment-status.warn.slow-interval', { interval: intervalMs }));
    }

    const source: PaymentStatusSource = config.acquire(node);
    const watcher = new PaymentWatcher(source, {
      intervalMs,
      giveUpAfterMs: giveUpAfterS * 1000,
      onDeadline,
      // So that a seqr-notification node can make this node poll an invoice at once.
      registry: watchRegistry,
    });
    const context = node.context();
    // The node's context in the store the node names (the store is a node setting: memory, file, Redis…).
    const contextStore: KeyValueStore = {
      get: (key, callback) => context.get(key, store, callback),
      set: (key, value, callback) => context.set(key, value, store, callback),
      keys: (callback) => context.keys(store, callback),
    };
    const journal = new WatchJournal<NodeMessage, WatchRoute>(contextStore, {
      handover: { runtime: context.global, owner: node.id },
      onStoreError: (err) => node.error(RED._('seqr-payment-status.errors.store-failed', { error: err.message })),
    });
    let closed = false;
    let lastOutcome: NodeStatus | undefined;

    // ---- status: coalesced, because thousands of watches may start and end within a second ----
    let statusTimer: ReturnType<typeof setTimeout> | undefined;
    let shownStatus = '';
    function refreshStatus(): void {
      if (statusTimer !== undefined || closed) return;
      statusTimer = setTimeout(showStatus, STATUS_REFRESH_MS);
    }
    function showStatus(): void {
      statusTimer = undefined;
      if (closed) return;
      let status: NodeStatus = lastOutcome ?? {};
      const watching = journal.size;
      if (watching > 0) {
        let retrying = 0;
        for (const watch of journal.values()) if (watch.live.retrying) retrying++;
        status = retrying > 0
          ? STATUS.warn(RED._('seqr-payment-status.status.retrying', { count: retrying, total: watching }))
          : STATUS.busy(RED._('seqr-payment-status.status.watching', { count: watching }));
      }
      const key = JSON.stringify(status);
      if (key !== shownStatus) {
        shownStatus = key;
        node.status(status);
      }
    }

    // ---- watcher events to outputs ----
    /** Sends the outcome, then the journal forgets the watch and its message is done. */
    function complete(invoiceReference: string, route: WatchRoute, outputs: Array<NodeMessage | null>): void {
      journal.finish(invoiceReference, () => route.send(outputs));
      route.done();
      refreshStatus();
    }

    function onPaid(event: PaymentPaid): void {
      const watch = journal.get(event.invoiceReference);
      if (!watch) return;
      const { amount, currency } = writePaid(watch.msg, event, watch.stored, receiptWidth);
      lastOutcome = STATUS.ok(RED._('seqr-payment-status.status.paid', { amount: amount ?? '', currency: currency ?? '' }).trim());
      complete(watch.invoiceReference, watch.live, [watch.msg, null, null]);
    }

    function onFailed(event: PaymentFailed): void {
      const watch = journal.get(event.invoiceReference);
      if (!watch) return;
      writeFailed(watch.msg, event, watch.stored);
      lastOutcome = STATUS.error(RED._('seqr-payment-status.status.failed', { status: event.status }));
      complete(watch.invoiceReference, watch.live, [null, watch.msg, null]);
    }

    function onUpdate(event: PaymentUpdate): void {
      const watch = journal.get(event.invoiceReference);
      if (!watch) return;
      journal.update(event.invoiceReference, event.status, event.version);
      const update = RED.util.cloneMessage(watch.msg);
      writeUpdate(update, event, watch.stored);
      watch.live.send([null, null, update]);
    }

    function onRetrying(event: PaymentRetrying): void {
      const watch = journal.get(event.invoiceReference);
      if (!watch || watch.live.retrying) return;
      watch.live.retrying = true;
      node.debug(RED._('seqr-payment-status.log.retrying', { reference: event.invoiceReference, reason: event.reason }));
      refreshStatus();
    }

    function onRecovered(event: PaymentRecovered): void {
      const watch = journal.get(event.invoiceReference);
      if (!watch) return;
      watch.live.retrying = false;
      refreshStatus();
    }

    function onCancelRefused(event: CancelRefused): void {
      node.log(RED._('seqr-payment-status.log.cancel-refused', { reference: event.invoiceReference, code: event.code, name: event.codeName }));
    }

    watcher.on('paid', onPaid);
    watcher.on('failed', onFailed);
    watcher.on('update', onUpdate);
    watcher.on('retrying', onRetrying);
    watcher.on('recovered', onRecovered);
    watcher.on('cancelRefused', onCancelRefused);
    watcher.on('error', (err) => node.error(err.message));

    // ---- starting watches ----
    /** Watches an invoice for a message: a new watch, or with `resumed` one an earlier instance kept. */
    function startWatch(invoiceReference: string, msg: NodeMessage, route: WatchRoute, resumed?: ResumableWatch<NodeMessage>): void {
      const { stored } = journal.begin(invoiceReference, msg, route, resumed ? { resumed: resumed.stored } : amountOfMessage(msg));
      const notificationKey = notificationKeyOf(msg);
      watcher.watch(invoiceReference, { startedAt: stored.startedAt, status: stored.status, version: stored.version, notificationKey });
      refreshStatus();
    }

    function requestCancel(invoiceReference: string): void {
      journal.requestCancel(invoiceReference);
      watcher.cancel(invoiceReference);
    }

    /** Finishes a resumed message the way `done()` would have (so Complete nodes see it), if the runtime allows. */
    function completeResumed(msg: NodeMessage): DoneFn {
      const internal = node as unknown as { _complete?: (msg: NodeMessage, err?: Error) => void };
      return (err?: Error) => {
        if (typeof internal._complete === 'function') internal._complete.call(node, msg, err);
      };
    }

    /** Watches again what an earlier instance watched; the message says so and names what it lost. */
    function resumeWatch(resumable: ResumableWatch<NodeMessage>): boolean {
      const { msg, stored } = resumable;
      if (journal.has(stored.invoiceReference)) return false;
      markResumed(msg, resumable.lost);
      startWatch(stored.invoiceReference, msg, { send: (out) => node.send(out), done: completeResumed(msg), retrying: false }, resumable);
      if (stored.cancelRequested) watcher.cancel(stored.invoiceReference);
      return true;
    }

    async function resume(): Promise<void> {
      // After a redeploy: the closing instance's watches with their live messages, at once (nothing lost).
      let count = 0;
      for (const resumable of journal.takeHandedOver()) if (resumeWatch(resumable)) count++;
      // After a restart (or a redeploy with a configured store): what the context store kept.
      const kept = await journal.loadStored();
      if (closed) return;
      for (const resumable of kept) if (resumeWatch(resumable)) count++;
      if (count > 0) node.log(RED._('seqr-payment-status.log.resumed', { count }));
    }

    const ready = resume().catch((err: Error) => {
      node.error(RED._('seqr-payment-status.errors.store-failed', { error: err.message }));
    });

    // ---- input ----
    function handleInput(msg: NodeMessageInFlow, send: SendFn, done: DoneFn): void {
      if (closed) return;
      const reference = invoiceReferenceOf(msg);
      if (!isValidReference(reference)) {
        done(catchableError(new InvoiceInputError('invoiceReference', RED._('seqr-payment-status.errors.no-reference'))));
        return;
      }
      const topic = typeof msg.topic === 'string' ? msg.topic.toLowerCase() : '';
      const existing = journal.get(reference);
      if (topic === 'stop') {
        if (existing) {
          journal.finish(reference);
          watcher.stop(reference);
          existing.live.done();
          refreshStatus();
          node.log(RED._('seqr-payment-status.log.stopped', { reference }));
        }
        done();
        return;
      }
      if (topic === 'cancel') {
        if (existing) {
          requestCancel(reference);
          done();
        } else {
          // Not watched (e.g. after a kept TIMEOUT): watch it with this message and cancel at once, so that
          // the outcome (CANCELED, or PAID if the payer got there first) comes out on this message.
          startWatch(reference, msg, { send, done, retrying: false });
          requestCancel(reference);
        }
        return;
      }
      if (existing) {
        node.warn(RED._('seqr-payment-status.warn.already-watching', { reference }));
        done();
        return;
      }
      startWatch(reference, msg, { send, done, retrying: false });
    }

    node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      if (refusedOversized(RED, node, msg)) return;
      ready.then(() => handleInput(msg, send, done)).catch((err: Error) => done(err));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      const references = watcher.stopAll();
      watcher.removeAllListeners();
      // A redeploy hands the open watches to the next instance; a deletion ends them (they stay open at SEQR).
      const written = journal.close(!removed);
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

  RED.nodes.registerType('seqr-payment-status', SeqrPaymentStatusNode);
};
