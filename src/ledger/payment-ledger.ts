/**
 * PaymentLedger: every open invoice of one SEQR configuration, kept durably through a LedgerStore, so that no
 * crash loses a PAID and none doubles one:
 * - send invoice records the invoice (`recordInvoice`) and waits for the record before the QR code leaves;
 * - a watcher (LedgerWatches, one per payment status node) claims the invoice with its message, records status,
 *   version and cancel requests as they change;
 * - an outcome is recorded (`recordOutcome`, awaited) before it is sent and the entry removed (`finish`) right
 *   after, so a restart sends again exactly the outcomes a crash may have sent already, and marks them so.
 *
 * One ledger per journal file per process (`openLedger`), shared by the configuration node instances that use
 * it: a redeploy replaces the nodes but not the ledger, which therefore also hands the live messages of open
 * watches from the closing node instance to the new one (nothing of a message is lost within one process).
 *
 * Orphans: send invoice names the payment status node its message is wired to, and after a crash between the two
 * that node takes the invoice as if the message had arrived. An entry whose owner is not running once the flows
 * have started (that node was deleted, or none was ever known) is adopted by a stand-in (`adoptOrphans`: the
 * configuration itself, which logs the outcome), so every invoice still gets one.
 *
 * Shared by several instances (a SharedLedgerStore, Redis): this ledger holds in memory only the entries whose
 * lease this instance holds. It renews them every LEASE_RENEW_MS; one it lost (another instance took it over, or
 * its write was refused) is dropped here and its owner stops polling it (`LedgerOwner.lost`). `takeOver` leases
 * the entries of instances that stopped renewing and hands them to the running owner named in them (the same
 * flows run everywhere) or to the stand-in. Only the lease holder can record an outcome: `recordOutcome` answers
 * false to any other, which then does not send it.
 *
 * Knows nothing of Node-RED.
 */
import type { InvoiceStatus } from '../seqr/types';
import { toStorable } from '../watcher/storable-message';
import { LeaseLostError, NotReplicatedError, isSharedStore, type LedgerChange, type LedgerEntry, type LedgerStore, type SharedLedgerStore, type StoredOutcome } from './ledger-store';

/** What the ledger asks of a watcher that can take entries over (LedgerWatches). */
export interface LedgerOwner {
  readonly ownerId: string;
  /** Takes the entries over and watches them (or sends their recorded outcome). */
  adopt(entries: OpenEntry[]): void;
  /**
   * A stand-in owner (the configuration watching orphans) lets a node that claims one of its invoices have it:
   * it stops polling the invoice and leaves the entry. Owners without it keep what they claimed.
   */
  surrender?(invoiceReference: string): void;
  /** Another instance holds the invoice now (shared store): stop polling it and leave the entry alone. */
  lost?(invoiceReference: string): void;
  /** The shared store became unreachable or caught up (`replicated` changed): a status to refresh. */
  replicationChanged?(): void;
}

/** An entry as the ledger holds it in memory: the stored state and what this process knows beside it. */
export interface OpenEntry {
  readonly stored: LedgerEntry;
  /** The live message, while this process has it (lost on a restart: the stored copy is used then). */
  live?: object;
  /** Loaded with a recorded outcome from a run that may have sent it before dying. */
  readonly mayHaveBeenSent: boolean;
  /** Sent by this process: only waiting for its removal (`markSent`), never to be sent again. */
  sent?: boolean;
}

export interface InvoiceRecord {
  amount?: string;
  currency?: string;
  clientInvoiceId?: string;
  notificationKey?: string;
  /** The payment status node the message is wired to, if known. */
  owner?: string;
  /** The message with the QR code, as it leaves send invoice. */
  msg: object;
}

export interface PaymentLedgerOptions {
  /** A write failed: the guarantee is at risk for that change (the caller is told too, where it waits). */
  onStoreError(err: Error): void;
  /** An owner claimed an invoice here (another ledger of the process may drop its unclaimed record of it). */
  onClaim?(invoiceReference: string, ledger: PaymentLedger): void;
  /** How long a sent outcome stays recorded (`markSent`); default SENT_SETTLE_MS. */
  sentSettleMs?: number;
  /** Shared store: changes could not be replicated (kept here, written when it is back), or it caught up. */
  onReplicated?(replicated: boolean, err?: NotReplicatedError): void;
  /** Shared store: another instance holds these invoices now (this one stopped polling them). */
  onLeaseLost?(references: string[]): void;
}

/** How often a shared ledger renews its leases (a lease lasts SharedLedgerStore.leaseMs). */
export const LEASE_RENEW_MS = 1000;
/**
 * A shared store cut off for longer than a lease: how long an outcome waits for the store to say whose the
 * invoice is before it is sent all the same (a PAID held forever is worse than a possible second copy).
 */
export const OUTCOME_HOLD_MS = 30_000;
const OUTCOME_RETRY_MS = 500;

/**
 * How long an outcome stays in the ledger after it was sent. Node-RED hands a sent message to the next nodes on a
 * later turn of the event loop and they act on it after that (a receipt printed, an order marked paid): a process
 * killed in that time loses the message with everything else in memory. Kept recorded that long, such an outcome
 * is sent again after the restart, marked redelivered, instead of lost.
 */
export const SENT_SETTLE_MS = 1000;

export class PaymentLedger {
  readonly location: string;
  /** Resolves once the store has been read; rejects if it cannot be used (then every write refuses too). */
  readonly ready: Promise<void>;
  /** How long (ms) the previous run had not written when this one loaded: a bound on Node-RED's downtime. */
  quietBeforeStartMs = 0;
  /** Records the store could not read back (named in the configuration node's log). */
  unreadable = 0;
  private readonly entries = new Map<string, OpenEntry>();
  private readonly owners = new Map<string, LedgerOwner>();
  private replicatedNow = true;
  /** Removals of sent outcomes, waiting out the settle time. */
  private readonly settling = new Map<string, ReturnType<typeof setTimeout>>();
  /** The store, when several instances share it. */
  private readonly shared: SharedLedgerStore | undefined;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  private renewing = false;

  constructor(
    private readonly store: LedgerStore,
    private readonly options: PaymentLedgerOptions,
  ) {
    this.location = store.location;
    this.ready = store.load().then(({ entries, lastWriteAt, unreadable }) => {
      for (const stored of entries) {
        this.entries.set(stored.invoiceReference, { stored, mayHaveBeenSent: stored.outcome !== undefined });
      }
      this.unreadable = unreadable;
      if (lastWriteAt !== undefined) this.quietBeforeStartMs = Math.max(0, Date.now() - lastWriteAt);
    });
    // Every user awaits `ready` and handles its rejection itself.
    this.ready.catch(() => undefined);
    this.shared = isSharedStore(store) ? store : undefined;
    if (this.shared) {
      this.shared.onReplicated((replicated) => {
        if (replicated) this.replication(true);
      });
      this.renewTimer = setInterval(() => void this.renewLeases(), LEASE_RENEW_MS);
      this.renewTimer.unref();
    }
  }

  /**
   * False while the shared store cannot be reached: what changes meanwhile is kept and polled here only, and
   * written when the store is back. Always true for a ledger of this process alone.
   */
  get replicated(): boolean {
    return this.replicatedNow;
  }

  /** Whether several instances share this ledger (leases, takeovers). */
  get isShared(): boolean {
    return this.shared !== undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  get(invoiceReference: string): OpenEntry | undefined {
    return this.entries.get(invoiceReference);
  }

  /**
   * Send invoice: the invoice SEQR just created, with the message about to leave. Resolves once durable; the
   * message must not leave before (no QR code a customer can pay without a ledger entry).
   */
  async recordInvoice(invoiceReference: string, record: InvoiceRecord): Promise<void> {
    await this.ready;
    const { msg, ...fields } = record;
    const stored: LedgerEntry = {
      v: 1,
      invoiceReference,
      startedAt: Date.now(),
      version: 0,
      ...definedOnly(fields),
      message: toStorable(msg),
    };
    const existing = this.entries.get(invoiceReference);
    // A status node may have been quicker than this write's return (it claims by reference).
    if (existing) return;
    this.entries.set(invoiceReference, { stored, live: msg, mayHaveBeenSent: false });
    // Shared store unreachable: recorded here and polled here, replicated when it is back (the listener says so).
    await this.store.write([{ invoiceReference, entry: stored }]).catch((err: Error) => {
      if (!(err instanceof NotReplicatedError)) throw err;
      this.replication(false, err);
    });
  }

  /**
   * A watcher takes the invoice with the message it came with: a new entry, or the one send invoice recorded (its
   * startedAt kept). Returns the entry, or undefined when another running owner holds it.
   */
  claim(invoiceReference: string, owner: string, msg: object, fields: { amount?: string; currency?: string; notificationKey?: string }): OpenEntry | undefined {
    let existing = this.entries.get(invoiceReference);
    if (existing?.sent) {
      // Its last watch ended and was sent (e.g. a TIMEOUT that kept the invoice open): this is a new watch.
      clearTimeout(this.settling.get(invoiceReference));
      this.settling.delete(invoiceReference);
      existing = undefined;
    }
    const holder = existing?.stored.claimed && existing.stored.owner !== owner ? this.owners.get(existing.stored.owner ?? '') : undefined;
    if (holder) {
      if (!holder.surrender) return undefined;
      holder.surrender(invoiceReference);
    }
    if (!existing) this.options.onClaim?.(invoiceReference, this);
    const stored: LedgerEntry = {
      ...(existing?.stored ?? { v: 1, invoiceReference, startedAt: Date.now(), version: 0 }),
      ...definedOnly(fields),
      owner,
      claimed: true,
      message: toStorable(msg),
    };
    const entry: OpenEntry = { stored, live: msg, mayHaveBeenSent: false };
    this.entries.set(invoiceReference, entry);
    this.persist(stored);
    return entry;
  }

  /** A status change or a cancel request: recorded so a resumed watch neither repeats it nor forgets it. */
  update(invoiceReference: string, change: { status?: InvoiceStatus; version?: number; cancelRequested?: boolean }): void {
    const entry = this.entries.get(invoiceReference);
    if (!entry) return;
    Object.assign(entry.stored, definedOnly(change));
    this.persist(entry.stored);
  }

  /**
   * The outcome, durably, before it is sent. Resolves false when the invoice is another instance's (a shared
   * store refused the write): that instance sends the outcome, this one must not. Rejects when the write failed
   * (the caller sends all the same). A shared store that cannot be reached, but answered within a lease length,
   * counts as recorded: nobody can have taken the invoice over yet. Cut off longer, the outcome waits (up to
   * OUTCOME_HOLD_MS) for the store to say whether the invoice is still this instance's: an instance cut off from
   * Redis while the others are not must not send a PAID another instance took over.
   */
  async recordOutcome(invoiceReference: string, output: StoredOutcome['output'], msg: object): Promise<boolean> {
    const entry = this.entries.get(invoiceReference);
    if (!entry) return !this.shared;
    entry.stored.outcome = { output, stored: toStorable(msg) };
    const holdUntil = Date.now() + OUTCOME_HOLD_MS;
    for (;;) {
      try {
        await this.store.write([{ invoiceReference, entry: { ...entry.stored } }]);
        return true;
      } catch (err) {
        if (err instanceof LeaseLostError) {
          this.lose(err.references);
          return false;
        }
        if (!(err instanceof NotReplicatedError)) throw err;
        this.replication(false, err);
        const shared = this.shared as SharedLedgerStore;
        if (Date.now() - shared.lastAnsweredAt < shared.leaseMs || Date.now() > holdUntil) return true;
      }
      await new Promise((resolve) => setTimeout(resolve, OUTCOME_RETRY_MS));
      // Taken over meanwhile (a renewal said so): the other instance sends it.
      if (this.entries.get(invoiceReference) !== entry) return false;
    }
  }

  /**
   * The outcome has been sent: it is never sent again by this process, and its entry goes once the flow has had
   * SENT_SETTLE_MS to act on the message (a crash before that sends it again, marked redelivered).
   */
  markSent(invoiceReference: string): void {
    const entry = this.entries.get(invoiceReference);
    if (!entry || entry.sent) return;
    entry.sent = true;
    const timer = setTimeout(() => {
      this.settling.delete(invoiceReference);
      this.finish(invoiceReference);
    }, this.options.sentSettleMs ?? SENT_SETTLE_MS);
    timer.unref();
    this.settling.set(invoiceReference, timer);
  }

  /** The watch was stopped, or its outcome has settled: the entry goes. Not awaited by anyone. */
  finish(invoiceReference: string): void {
    if (!this.entries.delete(invoiceReference)) return;
    this.write([{ invoiceReference, entry: undefined }]);
  }

  /** The entries an owner holds (claimed, or recorded for it by send invoice). */
  ownedBy(owner: string): OpenEntry[] {
    return [...this.entries.values()].filter((entry) => entry.stored.owner === owner);
  }

  /** Whether `id` is a running owner of this ledger (a payment status node on this configuration). */
  hasOwner(id: string): boolean {
    return this.owners.has(id);
  }

  attach(owner: LedgerOwner): void {
    this.owners.set(owner.ownerId, owner);
  }

  /** The owner stops; with `release` (deleted, not redeployed) its entries become orphans to adopt. */
  detach(owner: LedgerOwner, release: boolean): void {
    if (this.owners.get(owner.ownerId) === owner) this.owners.delete(owner.ownerId);
    this.unsettle(owner.ownerId);
    if (!release) return;
    for (const entry of this.ownedBy(owner.ownerId)) {
      entry.stored.owner = undefined;
      entry.stored.claimed = false;
      this.persist(entry.stored);
    }
  }

  /**
   * An owner that stops (a redeploy, a deletion) may have sent an outcome that never reached the next node: Node-RED
   * drops the messages in flight when it stops a flow (the crash suite's R3 saw a PAID lost so). Its outcomes sent
   * less than SENT_SETTLE_MS ago are sent again by whoever takes the entries next, marked redelivered, as after a
   * crash in that second.
   */
  private unsettle(ownerId: string): void {
    for (const [reference, timer] of this.settling) {
      const entry = this.entries.get(reference);
      if (!entry || entry.stored.owner !== ownerId) continue;
      clearTimeout(timer);
      this.settling.delete(reference);
      this.entries.set(reference, { stored: entry.stored, mayHaveBeenSent: true });
    }
  }

  /** Drops a record nobody claimed (another ledger's owner took the invoice). */
  dropUnclaimed(invoiceReference: string): void {
    const entry = this.entries.get(invoiceReference);
    if (entry && !entry.stored.claimed) this.finish(invoiceReference);
  }

  /**
   * Hands to `adopter` every entry whose owner is not running: the status node it was recorded for is gone (deleted,
   * or no such node), or nobody was ever named. Called once the flows have started, when every owner that runs
   * has attached, so an entry whose node is about to resume it is never taken. With `unclaimedForMs`, also the
   * entries recorded by send invoice that no running owner has claimed for that long (their message went
   * somewhere else), so that no record waits forever.
   */
  adoptOrphans(adopter: () => LedgerOwner, unclaimedForMs?: number): string[] {
    const now = Date.now();
    const orphans = [...this.entries.values()].filter(
      ({ stored, sent }) =>
        !sent &&
        (!this.owners.has(stored.owner ?? '') ||
          (unclaimedForMs !== undefined && !stored.claimed && now - stored.startedAt > unclaimedForMs)),
    );
    if (orphans.length === 0) return [];
    const owner = adopter();
    for (const entry of orphans) {
      entry.stored.owner = owner.ownerId;
      this.persist(entry.stored);
    }
    owner.adopt(orphans);
    return orphans.map((entry) => entry.stored.invoiceReference);
  }

  /** Waits for the writes under way. */
  flush(): Promise<void> {
    return this.store.write([]).catch(() => undefined);
  }

  /**
   * Shared store: leases the entries of instances that stopped renewing (died, or cut off from Redis) and hands
   * them over: to the running owner each names, else to the stand-in `adopter`. Call once the flows have started
   * (every owner attached), then every second or so. Resolves with the references taken over.
   */
  async takeOver(adopter: () => LedgerOwner, max = 500): Promise<string[]> {
    if (!this.shared) return [];
    await this.ready;
    let taken: LedgerEntry[];
    try {
      taken = await this.shared.takeOver(max);
    } catch (err) {
      if (err instanceof NotReplicatedError) return [];
      throw err;
    }
    const byOwner = new Map<LedgerOwner, OpenEntry[]>();
    for (const stored of taken) {
      // Its own lease lapsed (renewals late) and nobody else took it: still watched here.
      if (this.entries.has(stored.invoiceReference)) continue;
      const entry: OpenEntry = { stored, mayHaveBeenSent: stored.outcome !== undefined };
      this.entries.set(stored.invoiceReference, entry);
      let owner = this.owners.get(stored.owner ?? '');
      if (!owner) {
        owner = adopter();
        stored.owner = owner.ownerId;
        this.persist(stored);
      }
      byOwner.set(owner, [...(byOwner.get(owner) ?? []), entry]);
    }
    for (const [owner, entries] of byOwner) owner.adopt(entries);
    return taken.map((stored) => stored.invoiceReference);
  }

  /** Closes the store; outcomes still settling stay recorded (the next start sends them again, marked). */
  async close(): Promise<void> {
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    clearInterval(this.renewTimer);
    // Another instance takes them over on its next scan instead of waiting for the leases to lapse.
    await this.shared?.release([...this.entries.keys()]).catch(() => undefined);
    return this.store.close();
  }

  /** Renews the shared leases of every entry here; drops those another instance holds now. */
  private async renewLeases(): Promise<void> {
    if (!this.shared || this.renewing || this.entries.size === 0) return;
    this.renewing = true;
    try {
      this.lose(await this.shared.renew([...this.entries.keys()]));
    } catch (err) {
      // Unreachable: nobody can take the leases over meanwhile, so the polls go on here.
      if (err instanceof NotReplicatedError) this.replication(false, err);
      else this.options.onStoreError(err as Error);
    } finally {
      this.renewing = false;
    }
  }

  /** These invoices are another instance's now: dropped here, their owners stop polling them. */
  private lose(references: string[]): void {
    const lost: string[] = [];
    for (const reference of references) {
      const entry = this.entries.get(reference);
      if (!entry) continue;
      this.entries.delete(reference);
      clearTimeout(this.settling.get(reference));
      this.settling.delete(reference);
      this.owners.get(entry.stored.owner ?? '')?.lost?.(reference);
      if (!entry.sent) lost.push(reference);
    }
    if (lost.length > 0) this.options.onLeaseLost?.(lost);
  }

  private persist(stored: LedgerEntry): void {
    this.write([{ invoiceReference: stored.invoiceReference, entry: { ...stored } }]);
  }

  private write(changes: LedgerChange[]): void {
    this.store.write(changes).catch((err: Error) => {
      if (err instanceof LeaseLostError) this.lose(err.references);
      else if (err instanceof NotReplicatedError) this.replication(false, err);
      else this.options.onStoreError(err);
    });
  }

  /** The shared store's reachability as the ledger's users see it: the option's listener, then each owner. */
  private replication(replicated: boolean, err?: NotReplicatedError): void {
    const changed = replicated !== this.replicatedNow;
    this.replicatedNow = replicated;
    this.options.onReplicated?.(replicated, err);
    if (changed) for (const owner of this.owners.values()) owner.replicationChanged?.();
  }
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
