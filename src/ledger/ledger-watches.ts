/**
 * LedgerWatches: the open watches of one watching node (a payment status node, or a configuration's fallback for
 * orphans), kept in the configuration's PaymentLedger and polled by one PaymentWatcher. It owns the order of
 * things that makes an outcome exactly-once:
 *   poll answers PAID → the outcome is written into the message → recorded durably → sent → the entry removed.
 * A crash before the record repeats the poll (SEQR still says PAID), a crash between the record and the removal
 * (which waits SENT_SETTLE_MS after the send, while the flow acts on the message) sends the recorded outcome again
 * with `redelivered` marked: nothing is lost, and a repeat is always marked.
 *
 * On start (after a restart, a redeploy, or an adoption) every open entry of this owner is watched again and
 * polled at once, not one interval later: a payment made while Node-RED was down must be fetched within
 * SEQR's 20 s (protocol §5.4). Its message is the live one when this process still has it (a redeploy), else
 * the stored copy, marked resumed with the properties that could not be stored.
 *
 * What a message looks like on each output is the outlet's business (the Node-RED adapter); this module knows
 * nothing of Node-RED.
 */
import {
  PaymentWatcher,
  type CancelRefused,
  type DeadlinePolicy,
  type PaymentFailed,
  type PaymentPaid,
  type PaymentRetrying,
  type PaymentStatusSource,
  type PaymentUpdate,
  type WatchRegistry,
} from '../watcher';
import { fromStorable } from '../watcher/storable-message';
import type { LedgerOwner, OpenEntry, PaymentLedger } from './payment-ledger';

/** Where a watch's messages go: the input handler's send/done, or the node's own for a resumed watch. */
export interface WatchRoute<Msg> {
  send(outputs: Array<Msg | null>): void;
  done(err?: Error): void;
}

export interface InvoiceAmount {
  amount?: string;
  currency?: string;
}

/** One open watch. */
export interface OpenWatch<Msg> {
  readonly invoiceReference: string;
  readonly msg: Msg;
  readonly route: WatchRoute<Msg>;
  /** The amount the incoming message named (the outputs fall back to it). */
  readonly given: InvoiceAmount;
  /** Resumed from the ledger after a restart: how long the ledger had been quiet (a bound on the downtime). */
  readonly downtimeMs?: number;
  retrying: boolean;
}

/** What the watching node does with each event; the module decides when. */
export interface WatchOutlet<Msg> {
  /** Writes PAID into the watch's message; returns the outputs to send it on. */
  paid(watch: OpenWatch<Msg>, event: PaymentPaid): Array<Msg | null>;
  /** Writes the failure into the watch's message; returns the outputs to send it on. */
  failed(watch: OpenWatch<Msg>, event: PaymentFailed): Array<Msg | null>;
  /** A status change before the outcome (the node sends a copy of the message). */
  update(watch: OpenWatch<Msg>, event: PaymentUpdate): void;
  /** The outputs for a recorded outcome of `output` (1 paid, 2 failed). */
  outputs(output: 1 | 2, msg: Msg): Array<Msg | null>;
  /** How a watch resumed from the ledger sends and finishes its message. */
  resumedRoute(msg: Msg): WatchRoute<Msg>;
  /** Marks a message watched again (`lost`: its properties that could not be stored). */
  markResumed(msg: Msg, lost: string[]): void;
  /** Marks an outcome that a process which died may have sent already. */
  markRedelivered(msg: Msg): void;
  /** The number of watches or of retrying ones changed (a status to refresh). */
  changed(): void;
  resumed(count: number, redelivered: number): void;
  retrying(event: PaymentRetrying): void;
  cancelRefused(event: CancelRefused): void;
  /** Something failed that nobody waits for (a ledger write, a listener). */
  error(err: Error): void;
}

export interface LedgerWatchesOptions {
  /** The watching node's id: it owns its entries in the ledger. */
  owner: string;
  intervalMs: number;
  giveUpAfterMs: number;
  onDeadline: DeadlinePolicy;
  registry?: WatchRegistry;
  /** A stand-in (the configuration watching orphans): a node that claims one of its invoices takes it over. */
  standIn?: boolean;
}

/** What `watch` did with a message. */
export type WatchStart = 'started' | 'already-watching' | 'watched-elsewhere';

interface Watch<Msg> extends OpenWatch<Msg> {
  /** The outcome is being recorded and sent: the watch is over, but its entry not yet gone. */
  finishing: boolean;
}

export class LedgerWatches<Msg extends object> implements LedgerOwner {
  readonly ownerId: string;
  private readonly watcher: PaymentWatcher;
  private readonly watches = new Map<string, Watch<Msg>>();
  private closed = false;

  constructor(
    private readonly ledger: PaymentLedger,
    source: PaymentStatusSource,
    options: LedgerWatchesOptions,
    private readonly outlet: WatchOutlet<Msg>,
  ) {
    this.ownerId = options.owner;
    this.watcher = new PaymentWatcher(source, {
      intervalMs: options.intervalMs,
      giveUpAfterMs: options.giveUpAfterMs,
      onDeadline: options.onDeadline,
      registry: options.registry,
    });
    this.watcher.on('paid', (event) => this.complete(event.invoiceReference, (watch) => outlet.paid(watch, event)));
    this.watcher.on('failed', (event) => this.complete(event.invoiceReference, (watch) => outlet.failed(watch, event)));
    this.watcher.on('update', (event) => this.onUpdate(event));
    this.watcher.on('retrying', (event) => this.setRetrying(event.invoiceReference, true, event));
    this.watcher.on('recovered', (event) => this.setRetrying(event.invoiceReference, false));
    this.watcher.on('cancelRefused', (event) => outlet.cancelRefused(event));
    this.watcher.on('error', (err) => outlet.error(err));
    if (options.standIn) {
      this.surrender = (invoiceReference: string) => {
        if (this.watches.delete(invoiceReference)) this.watcher.stop(invoiceReference);
      };
    }
    ledger.attach(this);
  }

  readonly surrender?: (invoiceReference: string) => void;

  get size(): number {
    return this.watches.size;
  }

  get(invoiceReference: string): OpenWatch<Msg> | undefined {
    return this.watches.get(invoiceReference);
  }

  values(): IterableIterator<OpenWatch<Msg>> {
    return this.watches.values();
  }

  /** Watches again what this owner left open in the ledger (after the ledger has been read). */
  async start(): Promise<void> {
    await this.ledger.ready;
    if (!this.closed) this.adopt(this.ledger.ownedBy(this.ownerId));
  }

  /** Takes entries over: a recorded outcome is sent, anything else watched and polled at once. */
  adopt(entries: OpenEntry[]): void {
    if (this.closed) return;
    let resumed = 0;
    let redelivered = 0;
    for (const entry of entries) {
      const reference = entry.stored.invoiceReference;
      // Being watched here, or sent by this process and only settling before its removal.
      if (this.watches.has(reference) || entry.sent) continue;
      if (entry.stored.outcome) {
        this.redeliver(entry);
        redelivered++;
      } else if (this.resume(entry)) {
        resumed++;
      }
    }
    if (resumed + redelivered > 0) {
      this.outlet.resumed(resumed, redelivered);
      this.outlet.changed();
    }
  }

  /** Watches an invoice for a message that just arrived. */
  watch(invoiceReference: string, msg: Msg, route: WatchRoute<Msg>, given: InvoiceAmount & { notificationKey?: string }): WatchStart {
    if (this.watches.has(invoiceReference)) return 'already-watching';
    const entry = this.ledger.claim(invoiceReference, this.ownerId, msg, given);
    if (!entry) return 'watched-elsewhere';
    this.begin(entry, route, { amount: given.amount, currency: given.currency });
    return 'started';
  }

  /** Cancels the invoice at SEQR; the outcome comes out on the watch's message. False when not watched. */
  cancel(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch || watch.finishing) return false;
    this.ledger.update(invoiceReference, { cancelRequested: true });
    this.watcher.cancel(invoiceReference);
    return true;
  }

  /**
   * Another instance holds the invoice now (a shared ledger): polling stops here and the entry is left alone;
   * the message is done (its outcome comes out on the other instance, on its stored copy).
   */
  lost(invoiceReference: string): void {
    const watch = this.watches.get(invoiceReference);
    if (!watch) return;
    this.watches.delete(invoiceReference);
    this.watcher.stop(invoiceReference);
    watch.route.done();
    this.outlet.changed();
  }

  /** The ledger's shared store went away or came back: what the node shows of its watches changed. */
  replicationChanged(): void {
    this.outlet.changed();
  }

  /** False while the shared ledger cannot be reached: these watches are polled here only, not replicated. */
  get replicated(): boolean {
    return this.ledger.replicated;
  }

  /** Stops watching without cancelling; the watch's message is done. False when not watched. */
  stop(invoiceReference: string): boolean {
    const watch = this.watches.get(invoiceReference);
    if (!watch || watch.finishing) return false;
    this.watches.delete(invoiceReference);
    this.watcher.stop(invoiceReference);
    this.ledger.finish(invoiceReference);
    watch.route.done();
    this.outlet.changed();
    return true;
  }

  /**
   * Stops polling. With `release` (the node was deleted or disabled) the entries are left for another owner to
   * adopt; otherwise (a redeploy or a stop) they stay this owner's, for its next instance or the next start.
   * Resolves when the ledger's writes are durable. Returns the references that were open.
   */
  close(release: boolean): { references: string[]; written: Promise<void> } {
    this.closed = true;
    const references = this.watcher.stopAll();
    this.watcher.removeAllListeners();
    this.watches.clear();
    this.ledger.detach(this, release);
    return { references, written: this.ledger.flush() };
  }

  /** Polls a claimed entry; `downtimeMs` for one resumed from the ledger (it is polled at once). */
  private begin(entry: OpenEntry, route: WatchRoute<Msg>, given: InvoiceAmount, resumed?: { downtimeMs?: number }): void {
    const { stored } = entry;
    const msg = entry.live as Msg;
    const watch: Watch<Msg> = {
      invoiceReference: stored.invoiceReference,
      msg,
      route,
      given,
      retrying: false,
      finishing: false,
      downtimeMs: resumed?.downtimeMs,
    };
    this.watches.set(stored.invoiceReference, watch);
    this.watcher.watch(stored.invoiceReference, {
      startedAt: stored.startedAt,
      status: stored.status,
      version: stored.version,
      notificationKey: stored.notificationKey,
    });
    if (resumed) {
      // At once: a payment made while nobody polled is reversed 20 s after it was made.
      this.watcher.pollNow(stored.invoiceReference);
      if (stored.cancelRequested) this.watcher.cancel(stored.invoiceReference);
    }
    this.outlet.changed();
  }

  /** An entry left by an earlier owner or process: watched with its live message, or the stored copy. */
  private resume(entry: OpenEntry): boolean {
    const { stored } = entry;
    const live = entry.live as Msg | undefined;
    const msg = live ?? (fromStorable(stored.message ?? { message: {}, lost: [], revive: [] }) as Msg);
    this.outlet.markResumed(msg, live ? [] : (stored.message?.lost ?? []));
    // Claimed again by this owner (an orphan, or send invoice's record, becomes this node's own).
    const claimed = this.ledger.claim(stored.invoiceReference, this.ownerId, msg, {});
    if (!claimed) return false;
    const downtimeMs = live ? undefined : this.ledger.quietBeforeStartMs;
    this.begin(claimed, this.outlet.resumedRoute(msg), { amount: stored.amount, currency: stored.currency }, { downtimeMs });
    return true;
  }

  /** An outcome recorded but maybe not sent: sent now, marked when a process that died may have sent it. */
  private redeliver(entry: OpenEntry): void {
    const outcome = entry.stored.outcome!;
    const live = entry.live as Msg | undefined;
    const msg = !entry.mayHaveBeenSent && live ? live : (fromStorable(outcome.stored) as Msg);
    if (entry.mayHaveBeenSent) this.outlet.markRedelivered(msg);
    const route = this.outlet.resumedRoute(msg);
    route.send(this.outlet.outputs(outcome.output, msg));
    this.ledger.markSent(entry.stored.invoiceReference);
    route.done();
  }

  private onUpdate(event: PaymentUpdate): void {
    const watch = this.watches.get(event.invoiceReference);
    if (!watch) return;
    this.ledger.update(event.invoiceReference, { status: event.status, version: event.version });
    this.outlet.update(watch, event);
  }

  private setRetrying(invoiceReference: string, retrying: boolean, event?: PaymentRetrying): void {
    const watch = this.watches.get(invoiceReference);
    if (!watch || watch.retrying === retrying) return;
    watch.retrying = retrying;
    if (event) this.outlet.retrying(event);
    this.outlet.changed();
  }

  /** The outcome: written into the message, recorded durably, sent, and the entry removed. */
  private complete(invoiceReference: string, write: (watch: Watch<Msg>) => Array<Msg | null>): void {
    const watch = this.watches.get(invoiceReference);
    if (!watch || watch.finishing) return;
    watch.finishing = true;
    const outputs = write(watch);
    const output = outputs[0] ? 1 : 2;
    this.ledger
      .recordOutcome(invoiceReference, output, watch.msg)
      // Not durable: still send it (holding a PAID back is worse); only a crash now could repeat it unmarked.
      .catch((err: Error) => {
        this.outlet.error(err);
        return true;
      })
      .then((mine) => {
        // Closed meanwhile (a redeploy or stop): the entry keeps its outcome, and whoever resumes it sends it.
        // Not mine: another instance holds the invoice (shared ledger) and sends the outcome; `lost` ended the watch.
        if (this.closed || !mine) return;
        this.watches.delete(invoiceReference);
        watch.route.send(outputs);
        this.ledger.markSent(invoiceReference);
        watch.route.done();
        this.outlet.changed();
      });
  }
}
