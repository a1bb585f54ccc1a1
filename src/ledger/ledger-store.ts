/**
 * What a payment ledger keeps, and the interface of the store that keeps it durably. The ledger (payment-ledger.ts)
 * holds every open invoice of one seqr-config in memory and writes each change through a LedgerStore; a change
 * is durable once `write` resolves. The embedded store is an append-only journal file (file-ledger-store.ts); a
 * networked store (Redis) implements the same three calls, keyed by invoice reference, so the nodes need not change.
 */
import type { InvoiceStatus } from '../seqr/types';
import type { StoredMessage } from '../watcher/storable-message';

/** An outcome decided and about to be sent (or sent, if the process died before marking it). */
export interface StoredOutcome {
  /** 1 paid, 2 failed: the output of the payment status node. */
  output: 1 | 2;
  /** The outgoing message as far as it could be stored. */
  stored: StoredMessage;
}

/** One open invoice, JSON-safe. */
export interface LedgerEntry {
  v: 1;
  invoiceReference: string;
  /** Wall-clock time (epoch ms) the invoice was sent or first watched: the watch's deadline counts from it. */
  startedAt: number;
  /**
   * The payment status node watching it, or (recorded by send invoice) the one its message is wired to. Absent:
   * nobody known; the entry is adopted after a restart (see PaymentLedger.adoptOrphans).
   */
  owner?: string;
  /** Whether `owner` took the invoice (false: send invoice recorded it and the message is on its way). */
  claimed?: boolean;
  status?: InvoiceStatus;
  version: number;
  cancelRequested?: boolean;
  amount?: string;
  currency?: string;
  clientInvoiceId?: string;
  notificationKey?: string;
  /** The message the watch goes out on, as far as it could be stored. */
  message?: StoredMessage;
  /** Set durably before the outcome is sent; the entry is removed once it has been. */
  outcome?: StoredOutcome;
}

/** A change to one entry: its new state, or its removal (`entry` undefined). */
export interface LedgerChange {
  invoiceReference: string;
  entry: LedgerEntry | undefined;
}

export interface LoadedLedger {
  entries: LedgerEntry[];
  /** When the previous run last wrote (epoch ms), if known: how long Node-RED was down, at most. */
  lastWriteAt?: number;
  /** Records that could not be read (a torn last line after a crash, or damage): named, never fatal. */
  unreadable: number;
}

export interface LedgerStore {
  /** Where the ledger lives, for logs and the config node's help (a file path, a Redis URL). */
  readonly location: string;
  /** Reads what the store holds; called once, before any write. */
  load(): Promise<LoadedLedger>;
  /** Resolves once every change is durable (on disk, or acknowledged by the server). */
  write(changes: LedgerChange[]): Promise<void>;
  /** Waits for the writes under way, then releases the store. */
  close(): Promise<void>;
}

/**
 * A store several Node-RED instances share (Redis), running the same flows: each open invoice is leased to one
 * instance at a time, which alone polls it and writes it. A lease lasts a few seconds and is renewed while the
 * instance runs; one that lapses is taken over by another instance. Every write is fenced by the lease: a write
 * of an instance that lost it is refused (LeaseLostError), so an instance that was too slow to renew can record
 * no outcome, and only one instance ever sends a given PAID.
 */
export interface SharedLedgerStore extends LedgerStore {
  /** This process's name in the leases: unique per process start. */
  readonly instanceId: string;
  /** How long a lease lasts unrenewed (ms). */
  readonly leaseMs: number;
  /** When the store last answered (epoch ms): cut off longer than a lease, this instance's leases may be another's. */
  readonly lastAnsweredAt: number;
  /**
   * Renews this instance's leases of `references` (an own lease that lapsed with nobody taking it is taken
   * again). Resolves with the references this instance no longer holds: another instance took them, or they are
   * gone. Rejects with NotReplicatedError while the store cannot be reached (the leases are then nobody's to take).
   */
  renew(references: string[]): Promise<string[]>;
  /** Leases to this instance, atomically, up to `max` open entries whose lease lapsed, and returns them. */
  takeOver(max: number): Promise<LedgerEntry[]>;
  /** Lets the leases go at once (a graceful stop): another instance takes them over on its next scan. */
  release(references: string[]): Promise<void>;
  /** Hears whether changes are replicated: false when the store became unreachable, true when it caught up. */
  onReplicated(listener: (replicated: boolean) => void): void;
}

export function isSharedStore(store: LedgerStore): store is SharedLedgerStore {
  return typeof (store as Partial<SharedLedgerStore>).takeOver === 'function';
}

/** Writes refused because another instance holds these invoices' leases (or they are no longer open). */
export class LeaseLostError extends Error {
  constructor(readonly references: string[]) {
    super(`invoice(s) ${references.join(', ')} are held by another Node-RED instance`);
    this.name = 'LeaseLostError';
  }
}

/**
 * A shared store could not be reached (down, or slower than its timeout): the changes are kept in this process
 * and written when it is back. The invoices stay this instance's to poll meanwhile.
 */
export class NotReplicatedError extends Error {
  constructor(location: string, cause: string) {
    super(`${location} is unreachable (${cause}); kept here and replicated when it is back`);
    this.name = 'NotReplicatedError';
  }
}
