/**
 * The ledgers open in this process, one per journal file, shared by the configuration node instances that use it
 * (a redeploy replaces the node but must not reopen the file: the open watches' live messages are handed over in
 * the ledger). A ledger nobody uses any more is closed after a short grace, which a redeploy's new node ends by
 * taking it again.
 */
import * as path from 'node:path';
import { FileLedgerStore } from './file-ledger-store';
import type { LedgerStore, NotReplicatedError } from './ledger-store';
import { PaymentLedger } from './payment-ledger';

/** Makes the store of a ledger file: the journal file itself, unless a benchmark measures without it. */
export type LedgerStoreFactory = (file: string) => LedgerStore;
const fileStore: LedgerStoreFactory = (file) => new FileLedgerStore(file);
let makeStore: LedgerStoreFactory = fileStore;

/**
 * Replaces the store of ledgers opened from now on in this process (undefined: the journal file again). For the
 * benchmark's "without a durable ledger" run; the configuration node chooses a shared backend (Redis) with
 * `acquireLedger`'s `store` option instead.
 */
export function setLedgerStoreFactory(factory: LedgerStoreFactory | undefined): void {
  makeStore = factory ?? fileStore;
}

/** Longer than Node-RED takes from closing the old nodes of a deploy to starting the new ones. */
const CLOSE_GRACE_MS = 5_000;

/**
 * Whether the process was told to stop (SIGTERM, SIGINT: Node-RED's own shutdown closes the nodes next). A shared
 * ledger nobody uses then closes at once instead of after the grace, letting its leases go, so another instance
 * takes its invoices over on its next scan rather than when the leases lapse. Heard only once a shared ledger is
 * open; a process where nothing else listens gets the signal again, as if nobody had.
 */
let stopping = false;
let listening = false;
function listenForStop(): void {
  if (listening) return;
  listening = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

interface OpenLedger {
  ledger: PaymentLedger;
  users: Set<object>;
  closeTimer?: ReturnType<typeof setTimeout>;
  /** Who hears of a failed write: the configuration nodes using the ledger. */
  errorListeners: Set<(err: Error) => void>;
  /** Who hears of replication and of invoices taken by another instance (a shared store). */
  sharedListeners: Map<object, SharedLedgerListeners>;
}

/** What a user of a shared ledger (Redis) hears beside failed writes. */
export interface SharedLedgerListeners {
  onReplicated?(replicated: boolean, err?: NotReplicatedError): void;
  onLeaseLost?(references: string[]): void;
}

export interface AcquireOptions extends SharedLedgerListeners {
  /** A store other than the journal file: `key` names it among the open ledgers (no password in it). */
  store?: { key: string; open(): LedgerStore };
}

const open = new Map<string, OpenLedger>();
/** The file each open ledger was opened for (its key in `open`). */
const fileOf = new WeakMap<PaymentLedger, string>();

/** The journal file of a configuration: `<userDir>/seqr-ledger/<config id>.jsonl`. */
export function ledgerFileOf(userDir: string, configId: string): string {
  return path.join(userDir, 'seqr-ledger', `${configId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

/**
 * Takes the ledger of a journal file (or of `options.store`) for `user`, opening it if needed; `onError` hears
 * of failed writes.
 */
export function acquireLedger(file: string, user: object, onError: (err: Error) => void, options: AcquireOptions = {}): PaymentLedger {
  const key = options.store ? options.store.key : path.resolve(file);
  let entry = open.get(key);
  if (!entry) {
    const errorListeners = new Set<(err: Error) => void>();
    const sharedListeners = new Map<object, SharedLedgerListeners>();
    const ledger = new PaymentLedger(options.store ? options.store.open() : makeStore(key), {
      onStoreError: (err) => errorListeners.forEach((listener) => listener(err)),
      onReplicated: (replicated, err) => sharedListeners.forEach((listeners) => listeners.onReplicated?.(replicated, err)),
      onLeaseLost: (references) => sharedListeners.forEach((listeners) => listeners.onLeaseLost?.(references)),
      // A status node of one configuration took an invoice another configuration's send invoice recorded.
      onClaim: (reference, claimer) => {
        for (const other of open.values()) if (other.ledger !== claimer) other.ledger.dropUnclaimed(reference);
      },
    });
    entry = { ledger, users: new Set(), errorListeners, sharedListeners };
    if (ledger.isShared) listenForStop();
    open.set(key, entry);
    fileOf.set(ledger, key);
  }
  if (entry.closeTimer) clearTimeout(entry.closeTimer);
  entry.closeTimer = undefined;
  entry.users.add(user);
  entry.errorListeners.add(onError);
  entry.sharedListeners.set(user, { onReplicated: options.onReplicated, onLeaseLost: options.onLeaseLost });
  return entry.ledger;
}

/** `user` is done with the ledger; resolves when its writes are durable. Unused, it closes after the grace. */
export function releaseLedger(ledger: PaymentLedger, user: object, onError: (err: Error) => void): Promise<void> {
  const key = fileOf.get(ledger);
  const entry = key === undefined ? undefined : open.get(key);
  if (!entry || entry.ledger !== ledger) return ledger.flush();
  entry.users.delete(user);
  entry.errorListeners.delete(onError);
  entry.sharedListeners.delete(user);
  if (entry.users.size === 0 && stopping && ledger.isShared) {
    open.delete(key as string);
    return ledger.close().catch(() => undefined);
  }
  if (entry.users.size === 0) {
    entry.closeTimer = setTimeout(() => {
      open.delete(key as string);
      void ledger.close().catch(() => undefined);
    }, CLOSE_GRACE_MS);
    entry.closeTimer.unref();
  }
  return ledger.flush();
}
