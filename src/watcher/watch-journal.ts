/**
 * WatchJournal: keeps every open watch of one watching node in a key-value store (a Node-RED context store,
 * which may be memory, a file or Redis), so that after a restart or a redeploy the node that takes over can
 * watch each invoice again with its original message, and a PAID still comes out exactly once.
 *
 * Exactly once: a watch is written when it begins and whenever its status, version or cancel request changes,
 * and removed only after its outcome has been sent (`finish`). Writes to one key stay in order and `close`
 * waits for all of them, so the instance that resumes reads what this one last knew and polls again itself.
 * Only a crash between sending and removing can repeat an outcome (at least once, never lost).
 *
 * A message is stored as far as it can be (storable-message): what could not be stored is named when the
 * watch is loaded back (`lost`). Within one run of the runtime a redeploy hands the live messages over whole.
 *
 * Knows nothing of Node-RED: the store is a callback-style get/set/keys, as Node-RED's context API offers it.
 */
import type { InvoiceStatus } from '../seqr/types';
import { isRecord, isValidReference } from '../values';
import { fromStorable, toStorable, type StoredMessage } from './storable-message';

/** A key-value store with callbacks, the shape of Node-RED's `context.get/set/keys` with a store name bound. */
export interface KeyValueStore {
  get(key: string, callback: (err: Error | null | undefined, value: unknown) => void): void;
  /** `undefined` removes the key. */
  set(key: string, value: unknown, callback: (err?: Error | null) => void): void;
  keys(callback: (err: Error | null | undefined, keys: unknown[] | undefined) => void): void;
}

/** What the store holds per open watch (JSON-safe). */
export interface StoredWatch {
  v: 1;
  invoiceReference: string;
  startedAt: number;
  status?: InvoiceStatus;
  version: number;
  cancelRequested?: boolean;
  /** The invoice's amount and currency as the incoming message gave them, if it did. */
  amount?: string;
  currency?: string;
  stored: StoredMessage;
}

/** An open watch as the journal keeps it: the live message, what the caller attaches to it, what is stored. */
export interface JournalEntry<Msg extends object, Live> {
  readonly invoiceReference: string;
  readonly msg: Msg;
  readonly live: Live;
  readonly stored: Readonly<StoredWatch>;
}

/** A watch an earlier journal kept, to begin again: its message and the top-level properties it lost. */
export interface ResumableWatch<Msg extends object> {
  msg: Msg;
  stored: StoredWatch;
  lost: string[];
}

/** Where a journal that closes for a redeploy leaves its open watches for the next one of the same owner. */
export interface HandoverPlace {
  /** An object that lives exactly as long as one start of the runtime (Node-RED's global context object). */
  runtime: object;
  /** Who takes the watches over (the node id). */
  owner: string;
}

export interface WatchJournalOptions {
  handover?: HandoverPlace;
  /** A write or a listing of the store failed (the watch goes on; only its resumption is at risk). */
  onStoreError(err: Error): void;
}

const STORE_KEY_PREFIX = 'seqrWatch_';

/**
 * Open watches handed from a closing journal to the one that replaces it on a redeploy, with their live
 * messages. Needed because Node-RED deletes a node's context when the node closes unless settings.js
 * configures a context store (runtime nodes/context deleteContext): with the default, unconfigured memory
 * context a redeploy would otherwise forget every open watch. Keyed by the runtime's global context object,
 * which lives exactly as long as one start of the runtime, so nothing carries over a runtime restart in the
 * same process (the test helper does that) and entries nobody claims go with it.
 */
const handovers = new WeakMap<object, Map<string, Array<{ msg: object; stored: StoredWatch }>>>();

/** A store key per invoice: Node-RED reads `.`, `[`, `]` and quotes in keys as paths, so escape them. */
export function storeKey(invoiceReference: string): string {
  return STORE_KEY_PREFIX + invoiceReference.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class WatchJournal<Msg extends object, Live> {
  private readonly entries = new Map<string, JournalEntry<Msg, Live> & { stored: StoredWatch }>();
  /** The last write per key; writes to one key stay in order and close waits for all of them. */
  private readonly writes = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly options: WatchJournalOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(invoiceReference: string): boolean {
    return this.entries.has(invoiceReference);
  }

  get(invoiceReference: string): JournalEntry<Msg, Live> | undefined {
    return this.entries.get(invoiceReference);
  }

  values(): IterableIterator<JournalEntry<Msg, Live>> {
    return this.entries.values();
  }

  /**
   * Keeps a watch and stores it: a new one (its message made storable, with the amount the message gave) or,
   * with `resumed`, one an earlier journal kept (stored again: a redeploy may have deleted the context).
   */
  begin(
    invoiceReference: string,
    msg: Msg,
    live: Live,
    from: { resumed: StoredWatch } | { amount?: string; currency?: string },
  ): JournalEntry<Msg, Live> {
    const stored: StoredWatch =
      'resumed' in from
        ? from.resumed
        : {
            v: 1,
            invoiceReference,
            startedAt: Date.now(),
            version: 0,
            stored: toStorable(msg),
            ...(from.amount !== undefined ? { amount: from.amount } : {}),
            ...(from.currency !== undefined ? { currency: from.currency } : {}),
          };
    const entry = { invoiceReference, msg, live, stored };
    this.entries.set(invoiceReference, entry);
    this.persist(entry.stored);
    return entry;
  }

  /** The invoice's status changed: stored, so that a resumed watch does not report it again. */
  update(invoiceReference: string, status: InvoiceStatus, version: number): void {
    const entry = this.entries.get(invoiceReference);
    if (!entry) return;
    entry.stored.status = status;
    entry.stored.version = version;
    this.persist(entry.stored);
  }

  /** A cancel was asked for: stored, so that a resumed watch asks again. */
  requestCancel(invoiceReference: string): void {
    const entry = this.entries.get(invoiceReference);
    if (!entry) return;
    entry.stored.cancelRequested = true;
    this.persist(entry.stored);
  }

  /**
   * Ends a watch: it leaves the journal, `sendOutcome` runs, and only then is it removed from the store, so
   * that a crash in between repeats the outcome rather than losing it. Without `sendOutcome` (a stop) it
   * is simply forgotten.
   */
  finish(invoiceReference: string, sendOutcome?: () => void): void {
    if (!this.entries.delete(invoiceReference)) return;
    sendOutcome?.();
    this.write(storeKey(invoiceReference), undefined);
  }

  /** The watches the journal before this one handed over on a redeploy, live messages and all (nothing lost). */
  takeHandedOver(): Array<ResumableWatch<Msg>> {
    const place = this.options.handover;
    const runtime = place && handovers.get(place.runtime);
    const handedOver = runtime?.get(place!.owner) ?? [];
    runtime?.delete(place!.owner);
    return handedOver.map(({ msg, stored }) => ({ msg: msg as Msg, stored, lost: [] }));
  }

  /**
   * The watches the store kept (after a restart, or a redeploy with a configured store) that this journal does
   * not hold yet, each with a fresh message from what could be stored. Empty once the journal has closed.
   */
  async loadStored(): Promise<Array<ResumableWatch<Msg>>> {
    const keys = await new Promise<string[]>((resolve) => {
      this.store.keys((err, found) => {
        if (err) this.options.onStoreError(err);
        resolve((found ?? []).filter((key): key is string => typeof key === 'string'));
      });
    });
    const values = await Promise.all(
      keys
        .filter((key) => key.startsWith(STORE_KEY_PREFIX))
        .map((key) => new Promise<unknown>((resolve) => this.store.get(key, (err, value) => resolve(err ? undefined : value)))),
    );
    if (this.closed) return [];
    return values
      .filter((value): value is StoredWatch => isStoredWatch(value) && !this.entries.has(value.invoiceReference))
      // The stored copy is only read; a message of a plain-object shape is what a Node-RED message is.
      .map((stored) => ({ msg: fromStorable(stored.stored) as Msg, stored, lost: stored.stored.lost }));
  }

  /**
   * Closes the journal: with `handOver` (a redeploy, not a deletion) the open watches are left for the next
   * journal of the same owner. The returned promise settles when every write has reached the store.
   */
  close(handOver: boolean): Promise<void> {
    this.closed = true;
    const place = this.options.handover;
    if (handOver && place && this.entries.size > 0) {
      let runtime = handovers.get(place.runtime);
      if (!runtime) handovers.set(place.runtime, (runtime = new Map()));
      runtime.set(place.owner, [...this.entries.values()].map(({ msg, stored }) => ({ msg, stored })));
    }
    this.entries.clear();
    return Promise.all([...this.writes.values()]).then(() => undefined);
  }

  private persist(stored: StoredWatch): void {
    this.write(storeKey(stored.invoiceReference), { ...stored });
  }

  private write(key: string, value: StoredWatch | undefined): void {
    const previous = this.writes.get(key) ?? Promise.resolve();
    const next = previous.then(
      () =>
        new Promise<void>((resolve) => {
          this.store.set(key, value, (err) => {
            if (err) this.options.onStoreError(err);
            resolve();
          });
        }),
    );
    this.writes.set(key, next);
    void next.then(() => {
      if (this.writes.get(key) === next) this.writes.delete(key);
    });
  }
}

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
