/**
 * FileLedgerStore: the embedded LedgerStore, an append-only journal file of JSON lines, one per change
 * (`{"k":ref,"e":entry}` for a new state, `{"k":ref}` for a removal).
 *
 * Durable before it answers: a write resolves only after its line is written and `fdatasync`ed. Group commit:
 * the changes asked for while one flush is on its way to the disk go out together in the next, so a thousand
 * watches cost a few syncs, not a thousand (each waits a few ms at most). No cache that could lose a PAID: a
 * `kill -9` at any instant leaves at most one torn last line, which loading skips.
 *
 * Compacted as it goes: once the file holds more superseded lines than live ones (and at least COMPACT_AFTER),
 * the live entries are written to a new file that replaces the journal atomically, and appends go on there. So
 * the file stays about the size of the open invoices, under thousands of watches for days. The atomic rewrite is
 * write-file-atomic's (npm's own: a temporary file, fsync, rename, the temporary removed on failure, concurrent
 * writes to one path serialised), the one piece of file handling here that is easy to get subtly wrong.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { LedgerChange, LedgerEntry, LedgerStore, LoadedLedger } from './ledger-store';
import { isRecord, isValidReference } from '../values';

/** Superseded lines tolerated before a compaction (and never fewer than the live ones). */
const COMPACT_AFTER = 1000;

interface Batch {
  lines: string[];
  done: Array<{ resolve(): void; reject(err: Error): void }>;
}

export class FileLedgerStore implements LedgerStore {
  readonly location: string;
  /** The last line written per open invoice: what a compaction writes. */
  private readonly live = new Map<string, string>();
  private handle: fs.FileHandle | undefined;
  private lineCount = 0;
  private pending: Batch = { lines: [], done: [] };
  private flushing: Promise<void> | undefined;
  /** A failed write may have left a partial line: the next flush rewrites the file from `live` first. */
  private damaged = false;
  private closed = false;

  constructor(file: string) {
    this.location = path.resolve(file);
  }

  async load(): Promise<LoadedLedger> {
    await fs.mkdir(path.dirname(this.location), { recursive: true });
    let text = '';
    let lastWriteAt: number | undefined;
    try {
      text = await fs.readFile(this.location, 'utf8');
      lastWriteAt = (await fs.stat(this.location)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let unreadable = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = parseRecord(line);
      if (!record) {
        unreadable++;
        continue;
      }
      if (record.entry) this.live.set(record.key, line);
      else this.live.delete(record.key);
    }
    // Start from a clean file: no torn tail for the next line to be appended to, no superseded lines.
    await this.compact();
    const entries = [...this.live.values()].map((line) => (parseRecord(line) as { entry: LedgerEntry }).entry);
    return { entries, lastWriteAt, unreadable };
  }

  write(changes: LedgerChange[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the payment ledger ${this.location} is closed`));
    return new Promise<void>((resolve, reject) => {
      for (const { invoiceReference, entry } of changes) {
        const line = JSON.stringify(entry ? { k: invoiceReference, e: entry } : { k: invoiceReference });
        if (entry) this.live.set(invoiceReference, line);
        else this.live.delete(invoiceReference);
        this.pending.lines.push(line);
      }
      this.pending.done.push({ resolve, reject });
      this.flushing ??= new Promise<void>((next) => setImmediate(next)).then(() => this.flushAll());
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Flushes batch after batch until nothing is pending. */
  private async flushAll(): Promise<void> {
    while (this.pending.done.length > 0) {
      const batch = this.pending;
      this.pending = { lines: [], done: [] };
      try {
        if (this.damaged) await this.compact();
        else await this.append(batch.lines);
        if (this.lineCount > Math.max(COMPACT_AFTER, 2 * this.live.size)) await this.compact();
        for (const waiter of batch.done) waiter.resolve();
      } catch (err) {
        this.damaged = true;
        for (const waiter of batch.done) waiter.reject(err as Error);
      }
    }
    this.flushing = undefined;
  }

  private async append(lines: string[]): Promise<void> {
    this.handle ??= await fs.open(this.location, 'a');
    await this.handle.write(lines.join('\n') + '\n');
    await this.handle.datasync();
    this.lineCount += lines.length;
  }

  /** Replaces the journal with the live entries alone (atomically, synced), then appends go to the new file. */
  private async compact(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    const lines = [...this.live.values()];
    await writeFileAtomic(this.location, lines.length > 0 ? lines.join('\n') + '\n' : '', { fsync: true });
    await syncDirectory(path.dirname(this.location));
    this.lineCount = lines.length;
    this.damaged = false;
  }
}

/** The rename of a compaction is durable only once the directory is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseRecord(line: string): { key: string; entry?: LedgerEntry } | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(record) || !isValidReference(record.k)) return undefined;
  if (record.e === undefined) return { key: record.k };
  return isLedgerEntry(record.e) && record.e.invoiceReference === record.k ? { key: record.k, entry: record.e } : undefined;
}

export function isLedgerEntry(value: unknown): value is LedgerEntry {
  return (
    isRecord(value) &&
    value.v === 1 &&
    isValidReference(value.invoiceReference) &&
    typeof value.startedAt === 'number' &&
    typeof value.version === 'number'
  );
}
