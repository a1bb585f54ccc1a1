/**
 * MemoryLedgerStore: a LedgerStore that keeps nothing beyond the process. Not for payments (a restart forgets every
 * open invoice): it is the "without a durable ledger" side of the benchmark, which measures what the journal
 * file costs, and a store for tests of the ledger's logic that need no disk.
 */
import type { LedgerChange, LedgerEntry, LedgerStore, LoadedLedger } from './ledger-store';

export class MemoryLedgerStore implements LedgerStore {
  readonly location: string;
  private readonly entries = new Map<string, string>();

  constructor(name = 'memory') {
    this.location = `memory:${name}`;
  }

  async load(): Promise<LoadedLedger> {
    return { entries: [...this.entries.values()].map((text) => JSON.parse(text) as LedgerEntry), unreadable: 0 };
  }

  async write(changes: LedgerChange[]): Promise<void> {
    // Serialised as the file store does, so that the comparison differs only in the disk.
    for (const { invoiceReference, entry } of changes) {
      if (entry) this.entries.set(invoiceReference, JSON.stringify(entry));
      else this.entries.delete(invoiceReference);
    }
  }

  async close(): Promise<void> {}
}
