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
  /** Appends (each one fdatasync) and compactions so far: what group commit and compaction save, for benchmarks. */
  readonly stats = { appends: 0, compactions: 0 };
  /** Open invoices in the file (from the records' keys alone): when superseded lines outnumber them, compact. */
  private readonly liveKeys = new Set<string>();
  /** Lines of a failed append, kept until a compaction has them on disk. */
  private unwritten: string[] = [];
  private handle: fs.FileHandle | undefined;
  private lineCount = 0;
  private pending: Batch = { lines: [], done: [] };
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(file: string) {
    this.location = path.resolve(file);
  }

  async load(): Promise<LoadedLedger> {
    await fs.mkdir(path.dirname(this.location), { recursive: true });
    let lastWriteAt: number | undefined;
    try {
      lastWriteAt = (await fs.stat(this.location)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Start from a clean file: no torn tail for the next line to be appended to, no superseded lines.
    const { live, unreadable } = await this.compact();
    const entries = [...live.values()].map((line) => (parseRecord(line) as { entry: LedgerEntry }).entry);
    return { entries, lastWriteAt, unreadable };
  }

  write(changes: LedgerChange[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`the payment ledger ${this.location} is closed`));
    return new Promise<void>((resolve, reject) => {
      for (const { invoiceReference, entry } of changes) {
        this.pending.lines.push(JSON.stringify(entry ? { k: invoiceReference, e: entry } : { k: invoiceReference }));
        if (entry) this.liveKeys.add(invoiceReference);
        else this.liveKeys.delete(invoiceReference);
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
        if (this.unwritten.length > 0) {
          this.unwritten.push(...batch.lines);
          await this.compact();
        } else if (batch.lines.length > 0) {
          await this.append(batch.lines);
        }
        if (this.lineCount > Math.max(COMPACT_AFTER, 2 * this.liveKeys.size)) await this.compact(true);
        for (const waiter of batch.done) waiter.resolve();
      } catch (err) {
        // The file may now end in a partial line: the next flush rewrites it, these lines included.
        if (this.unwritten.length === 0) this.unwritten = batch.lines;
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
    this.stats.appends++;
  }

  /**
   * Replaces the journal with the live entries alone (atomically, synced), then appends go to the new file. The
   * live entries are read back from the file itself (plus the lines of a failed append), so that the store keeps
   * no copy of the ledger in memory between compactions. Returns the last line per open invoice.
   */
  private async compact(trusted = false): Promise<{ live: Map<string, string>; unreadable: number }> {
    await this.handle?.close();
    this.handle = undefined;
    let text = '';
    try {
      text = await fs.readFile(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const live = new Map<string, string>();
    let unreadable = 0;
    for (const line of [...text.split('\n'), ...this.unwritten]) {
      if (line === '') continue;
      // Lines this store appended and synced are whole: their key is enough (no entry parsed, little garbage).
      const record = trusted ? keyOf(line) : parseRecord(line);
      if (!record) {
        unreadable++;
        continue;
      }
      if (record.entry) live.set(record.key, line);
      else live.delete(record.key);
    }
    const lines = [...live.values()];
    await writeFileAtomic(this.location, lines.length > 0 ? lines.join('\n') + '\n' : '', { fsync: true });
    await syncDirectory(path.dirname(this.location));
    this.liveKeys.clear();
    for (const key of live.keys()) this.liveKeys.add(key);
    this.lineCount = lines.length;
    this.unwritten = [];
    this.stats.compactions++;
    return { live, unreadable };
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

/** The key and kind of a line written by this store (`{"k":<JSON string>,"e":…}` or `{"k":<JSON string>}`). */
function keyOf(line: string): { key: string; entry?: true } | undefined {
  const KEY_START = '{"k":"'.length - 1;
  let end = KEY_START + 1;
  while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
  try {
    const key = JSON.parse(line.slice(KEY_START, end + 1)) as string;
    return line.startsWith(',"e":', end + 1) ? { key, entry: true } : { key };
  } catch {
    return undefined;
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
