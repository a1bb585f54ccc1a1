/**
 * seqr-payment-status: watches the invoices whose references arrive as messages and sends each message
 * on once, when its invoice reaches an outcome: output 1 paid, output 2 failed (CANCELED, FAILED,
 * EXPIRED, TIMEOUT, ERROR), output 3 each status change before that. The polling is PaymentWatcher's;
 * this adapter reads settings and messages, keeps every open watch in the node's context so that a
 * restart or redeploy resumes it, and reports through send/done/status.
 *
 * Message ownership: the outcome goes out on the incoming message object itself (so correlation
 * fields like msg.order survive); each update goes out on a clone, so a downstream node that keeps or
 * changes an update never sees the later outcome written into it, and vice versa.
 *
 * Exactly once: an open watch is stored (node context, in the store the node names) when it starts and
 * whenever its status or version changes, and removed only after its outcome has been sent. A node that
 * closes drops any answer still in flight and waits for its context writes, so the instance that resumes
 * polls again and sends the outcome itself: after a redeploy from the in-process handover (live message,
 * nothing lost) or the store, after a restart from the store (what could be stored of the message). Only
 * a crash between sending and removing can repeat an outcome (at least once, never lost).
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
import { InvoiceInputError, RECEIPT_WIDTHS, receiptText } from '../seqr';
import type { CustomerToken, InvoiceStatus, PaymentReceipt } from '../seqr/types';
import { STATUS, catchableError, failEveryInput, invoiceReferenceOf, isRecord, isValidReference, useSeqrConfig } from './adapter-helpers';
import type { SeqrConfigProblem } from './config-types';
import { fromStorable, toStorable, type StoredMessage } from './storable-message';

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

/** One watched invoice as this node sees it. */
interface WatchRecord {
  invoiceReference: string;
  msg: NodeMessage;
  send: SendFn;
  done: DoneFn;
  stored: StoredWatch;
  retrying: boolean;
}

/** What the node context holds per open watch (JSON-safe). */
interface StoredWatch {
  v: 1;
  invoiceReference: string;
  startedAt: number;
  status?: InvoiceStatus;
  version: number;
  cancelRequested?: boolean;
  amount?: string;
  currency?: string;
  stored: StoredMessage;
}

const DEFAULT_INTERVAL_MS = 1000;
/** SEQR reverses a payment nobody fetched within ~20 s: polls further apart than this get a warning. */
const SLOW_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 50;
const MAX_INTERVAL_MS = 10_000;
const DEFAULT_GIVE_UP_AFTER_S = 120;
const MAX_GIVE_UP_AFTER_S = 24 * 60 * 60;
const STORE_KEY_PREFIX = 'seqrWatch_';

/**
 * Open watches handed from a closing node to the instance that replaces it on a redeploy, with their live
 * messages. Needed because Node-RED deletes a node's context when the node closes unless settings.js
 * configures a context store (runtime nodes/context deleteContext): with the default, unconfigured memory
 * context a redeploy would otherwise forget every open watch. Keyed by the runtime's global context object,
 * which lives exactly as long as one start of the runtime, so nothing carries over a runtime restart
 * in the same process (the test helper does that) and entries nobody claims go with it.
 */
const handovers = new WeakMap<object, Map<string, Array<{ msg: NodeMessage; stored: StoredWatch }>>>();
const STATUS_REFRESH_MS = 100;

/** A context key per invoice: Node-RED reads `.`, `[`, `]` and quotes in keys as paths, so escape them. */
function storeKey(invoiceReference: string): string {
  return STORE_KEY_PREFIX + invoiceReference.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

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
      failEveryInput(node, (problem ?? configProblem) as SeqrConfigProblem);
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
    const records = new Map<string, WatchRecord>();
    const context = node.context();
    let closed = false;
    let lastOutcome: NodeStatus | undefined;

    // ---- persistence: writes per key stay in order; close waits for all of them ----
    const writes = new Map<string, Promise<void>>();
    function write(key: string, value: StoredWatch | undefined): void {
      const previous = writes.get(key) ?? Promise.resolve();
      const next = previous.then(
        () =>
          new Promise<void>((resolve) => {
            context.set(key, value, store, (err?: Error) => {
              if (err) node.error(RED._('seqr-payment-status.errors.store-failed', { error: err.message }));
              resolve();
            });
          }),
      );
      writes.set(key, next);
      void next.then(() => {
        if (writes.get(key) === next) writes.delete(key);
      });
    }
    function persist(record: WatchRecord): void {
      write(storeKey(record.invoiceReference), { ...record.stored });
    }
    function forget(record: WatchRecord): void {
      write(storeKey(record.invoiceReference), undefined);
    }

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
      const watching = records.size;
      if (watching > 0) {
        let retrying = 0;
        for (const record of records.values()) if (record.retrying) retrying++;
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

    // ---- outcomes ----
    function complete(record: WatchRecord, outputs: Array<NodeMessage | null>): void {
      records.delete(record.invoiceReference);
      record.send(outputs);
      forget(record);
      record.done();
      refreshStatus();
    }

    /** The invoice's amount and currency as the incoming message gave them, if it did. */
    function amountOf(record: WatchRecord): { amount?: string; currency?: string } {
      const { amount, currency } = record.stored;
      return { ...(amount !== undefined ? { amount } : {}), ...(currency !== undefined ? { currency } : {}) };
    }

    function seqrProperties(record: WatchRecord, extra: Record<string, unknown>): Record<string, unknown> {
      const previous = (record.msg as { seqr?: unknown }).seqr;
      return { ...(isRecord(previous) ? previous : {}), invoiceReference: record.invoiceReference, ...extra };
    }

    function onPaid(event: PaymentPaid): void {
      const record = records.get(event.invoiceReference);
      if (!record) return;
      const total = (event.receipt as PaymentReceipt | undefined)?.invoice?.totalAmount;
      const amount = total?.value ?? record.stored.amount;
      const currency = total?.currency ?? record.stored.currency;
      const msg = record.msg as NodeMessage & { seqr?: unknown };
      msg.payload = {
        status: 'PAID',
        invoiceReference: event.invoiceReference,
        ersReference: event.ersReference,
        amount,
        currency,
        paidAt: event.receipt?.paymentDate ?? new Date().toISOString(),
        receipt: event.receipt,
      };
      msg.seqr = seqrProperties(record, { status: 'PAID', ersReference: event.ersReference });
      const { invoiceReference, ersReference, receipt } = event;
      const money = amount && currency ? { value: amount, currency } : undefined;
      (msg as { receiptText?: string }).receiptText = receiptText(
        { invoiceReference, ersReference, receipt, amount: money, paidAt: (msg.payload as { paidAt: string }).paidAt },
        { width: receiptWidth },
      );
      lastOutcome = STATUS.ok(RED._('seqr-payment-status.status.paid', { amount: amount ?? '', currency: currency ?? '' }).trim());
      complete(record, [msg, null, null]);
    }

    function onFailed(event: PaymentFailed): void {
      const record = records.get(event.invoiceReference);
      if (!record) return;
      const msg = record.msg as NodeMessage & { seqr?: unknown };
      // status, invoiceReference, reason, and code, codeName, invoiceStatus, cancelled where they apply.
      const { startedAt: _startedAt, status, ...outcome } = event;
      msg.payload = { status, ...outcome, ...amountOf(record) };
      msg.seqr = seqrProperties(record, { status: event.status });
      lastOutcome = STATUS.error(RED._('seqr-payment-status.status.failed', { status: event.status }));
      complete(record, [null, msg, null]);
    }

    function onUpdate(event: PaymentUpdate): void {
      const record = records.get(event.invoiceReference);
      if (!record) return;
      record.stored.status = event.status;
      record.stored.version = event.version;
      persist(record);
      const update = RED.util.cloneMessage(record.msg) as NodeMessage & { seqr?: unknown };
      const payload: Record<string, unknown> = {
        status: event.status,
        invoiceReference: event.invoiceReference,
        version: event.version,
        tokens: event.tokens as CustomerToken[],
      };
      if (event.previousStatus !== undefined) payload.previousStatus = event.previousStatus;
      update.payload = { ...payload, ...amountOf(record) };
      update.seqr = seqrProperties(record, { status: event.status });
      record.send([null, null, update]);
    }

    function onRetrying(event: PaymentRetrying): void {
      const record = records.get(event.invoiceReference);
      if (!record || record.retrying) return;
      record.retrying = true;
      node.debug(RED._('seqr-payment-status.log.retrying', { reference: event.invoiceReference, reason: event.reason }));
      refreshStatus();
    }

    function onRecovered(event: PaymentRecovered): void {
      const record = records.get(event.invoiceReference);
      if (!record) return;
      record.retrying = false;
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
    function startWatch(
      invoiceReference: string,
      msg: NodeMessage,
      send: SendFn,
      done: DoneFn,
      resumed?: StoredWatch,
    ): WatchRecord {
      // The amount as seqr-send-invoice put it in msg.seqr (or msg.payload), for the outputs and the status.
      const seqr = (msg as { seqr?: unknown }).seqr;
      const amountFrom = isRecord(seqr) && seqr.amount !== undefined ? seqr : msg.payload;
      const stored: StoredWatch = resumed ?? {
        v: 1,
        invoiceReference,
        startedAt: Date.now(),
        version: 0,
        stored: toStorable(msg),
      };
      if (!resumed && isRecord(amountFrom)) {
        if (amountFrom.amount !== undefined) stored.amount = String(amountFrom.amount);
        if (typeof amountFrom.currency === 'string') stored.currency = amountFrom.currency;
      }
      const record: WatchRecord = { invoiceReference, msg, send, done, stored, retrying: false };
      records.set(invoiceReference, record);
      persist(record);
      // The key seqr-send-invoice put into the invoice's notificationUrl (also in a message resumed after a restart).
      const notificationKey = isRecord(seqr) && typeof seqr.notificationKey === 'string' ? seqr.notificationKey : undefined;
      watcher.watch(invoiceReference, { startedAt: stored.startedAt, status: stored.status, version: stored.version, notificationKey });
      refreshStatus();
      return record;
    }

    function requestCancel(record: WatchRecord): void {
      record.stored.cancelRequested = true;
      persist(record);
      watcher.cancel(record.invoiceReference);
    }

    /** Finishes a resumed message the way `done()` would have (so Complete nodes see it), if the runtime allows. */
    function completeResumed(msg: NodeMessage): DoneFn {
      const internal = node as unknown as { _complete?: (msg: NodeMessage, err?: Error) => void };
      return (err?: Error) => {
        if (typeof internal._complete === 'function') internal._complete.call(node, msg, err);
      };
    }

    async function resume(): Promise<void> {
      // After a redeploy: the closing instance's watches with their live messages (nothing lost).
      const runtime = handovers.get(context.global);
      const handedOver = runtime?.get(node.id) ?? [];
      runtime?.delete(node.id);
      let count = 0;
      for (const { msg, stored } of handedOver) {
        if (resumeWatch(msg as NodeMessage & { seqr?: unknown }, stored, [])) count++;
      }
      // After a restart (or a redeploy with a configured store): what the context store kept.
      const keys = await new Promise<string[]>((resolve) => {
        context.keys(store, (err: Error | null | undefined, found: unknown[] | undefined) => {
          if (err) node.error(RED._('seqr-payment-status.errors.store-failed', { error: err.message }));
          resolve((found ?? []).filter((key): key is string => typeof key === 'string'));
        });
      });
      const ours = keys.filter((key) => key.startsWith(STORE_KEY_PREFIX));
      const entries = await Promise.all(
        ours.map(
          (key) =>
            new Promise<unknown>((resolve) => {
              context.get(key, store, (err: Error | null | undefined, value: unknown) => resolve(err ? undefined : value));
            }),
        ),
      );
      if (closed) return;
      for (const entry of entries) {
        if (!isStoredWatch(entry) || records.has(entry.invoiceReference)) continue;
        if (resumeWatch(fromStorable(entry.stored) as NodeMessage & { seqr?: unknown }, entry, entry.stored.lost)) count++;
      }
      if (count > 0) node.log(RED._('seqr-payment-status.log.resumed', { count }));
    }

    /** Watches again what an earlier instance watched; the message says so and names what it lost. */
    function resumeWatch(msg: NodeMessage & { seqr?: unknown }, stored: StoredWatch, lost: string[]): boolean {
      if (records.has(stored.invoiceReference)) return false;
      const previous = msg.seqr;
      msg.seqr = { ...(isRecord(previous) ? previous : {}), resumed: true, lostProperties: [...lost] };
      startWatch(stored.invoiceReference, msg, (out) => node.send(out), completeResumed(msg), stored);
      if (stored.cancelRequested) watcher.cancel(stored.invoiceReference);
      return true;
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
      const existing = records.get(reference);
      if (topic === 'stop') {
        if (existing) {
          records.delete(reference);
          watcher.stop(reference);
          forget(existing);
          existing.done();
          refreshStatus();
          node.log(RED._('seqr-payment-status.log.stopped', { reference }));
        }
        done();
        return;
      }
      if (topic === 'cancel') {
        if (existing) {
          requestCancel(existing);
          done();
        } else {
          // Not watched (e.g. after a kept TIMEOUT): watch it with this message and cancel at once, so that
          // the outcome (CANCELED, or PAID if the payer got there first) comes out on this message.
          requestCancel(startWatch(reference, msg, send, done));
        }
        return;
      }
      if (existing) {
        node.warn(RED._('seqr-payment-status.warn.already-watching', { reference }));
        done();
        return;
      }
      startWatch(reference, msg, send, done);
    }

    node.on('input', (msg: NodeMessageInFlow, send: SendFn, done: DoneFn) => {
      ready.then(() => handleInput(msg, send, done)).catch((err: Error) => done(err));
    });

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true;
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      const references = watcher.stopAll();
      watcher.removeAllListeners();
      if (!removed && records.size > 0) {
        let runtime = handovers.get(context.global);
        if (!runtime) handovers.set(context.global, (runtime = new Map()));
        runtime.set(node.id, [...records.values()].map((record) => ({ msg: record.msg, stored: record.stored })));
      }
      records.clear();
      if (references.length > 0) {
        if (removed) {
          node.warn(RED._('seqr-payment-status.warn.stopped-on-delete', { count: references.length, references: references.join(', ') }));
        } else {
          node.log(RED._('seqr-payment-status.log.paused', { count: references.length }));
        }
      }
      config.release(node);
      void Promise.all([...writes.values()]).then(() => done());
    });
  }

  RED.nodes.registerType('seqr-payment-status', SeqrPaymentStatusNode);
};

function isStoredWatch(value: unknown): value is StoredWatch {
  if (!isRecord(value) || value.v !== 1 || !isValidReference(value.invoiceReference)) return false;
  const stored = value.stored;
  return (
    typeof value.startedAt === 'number' &&
    typeof value.version === 'number' &&
    isRecord(stored) &&
    isRecord(stored.message) &&
    Array.isArray(stored.lost) &&
    Array.isArray(stored.revive)
  );
}
