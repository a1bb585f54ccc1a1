/**
 * The ledgers open in this process, one per journal file, shared by the configuration node instances that use it
 * (a redeploy replaces the node but must not reopen the file: the open watches' live messages are handed over in
 * the ledger). A ledger nobody uses any more is closed after a short grace, which a redeploy's new node ends by
 * taking it again.
 */
import * as path from 'node:path';
import { FileLedgerStore } from './file-ledger-store';
import { PaymentLedger } from './payment-ledger';

/** Longer than Node-RED takes from closing the old nodes of a deploy to starting the new ones. */
const CLOSE_GRACE_MS = 5_000;

interface OpenLedger {
  ledger: PaymentLedger;
  users: Set<object>;
  closeTimer?: ReturnType<typeof setTimeout>;
  /** Who hears of a failed write: the configuration nodes using the ledger. */
  errorListeners: Set<(err: Error) => void>;
}

const open = new Map<string, OpenLedger>();

/** The journal file of a configuration: `<userDir>/seqr-ledger/<config id>.jsonl`. */
export function ledgerFileOf(userDir: string, configId: string): string {
  return path.join(userDir, 'seqr-ledger', `${configId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

/** Takes the ledger of a journal file for `user` (opening it if needed); `onError` hears of failed writes. */
export function acquireLedger(file: string, user: object, onError: (err: Error) => void): PaymentLedger {
  const key = path.resolve(file);
  let entry = open.get(key);
  if (!entry) {
    const errorListeners = new Set<(err: Error) => void>();
    const ledger = new PaymentLedger(new FileLedgerStore(key), {
      onStoreError: (err) => errorListeners.forEach((listener) => listener(err)),
      // A status node of one configuration took an invoice another configuration's send invoice recorded.
      onClaim: (reference, claimer) => {
        for (const other of open.values()) if (other.ledger !== claimer) other.ledger.dropUnclaimed(reference);
      },
    });
    entry = { ledger, users: new Set(), errorListeners };
    open.set(key, entry);
  }
  if (entry.closeTimer) clearTimeout(entry.closeTimer);
  entry.closeTimer = undefined;
  entry.users.add(user);
  entry.errorListeners.add(onError);
  return entry.ledger;
}

/** `user` is done with the ledger; resolves when its writes are durable. Unused, it closes after the grace. */
export function releaseLedger(ledger: PaymentLedger, user: object, onError: (err: Error) => void): Promise<void> {
  const key = ledger.location;
  const entry = open.get(key);
  if (!entry || entry.ledger !== ledger) return ledger.flush();
  entry.users.delete(user);
  entry.errorListeners.delete(onError);
  if (entry.users.size === 0) {
    entry.closeTimer = setTimeout(() => {
      open.delete(key);
      void ledger.close().catch(() => undefined);
    }, CLOSE_GRACE_MS);
    entry.closeTimer.unref();
  }
  return ledger.flush();
}
