/**
 * What a configuration's payment ledger holds on disk, read back the way a restart reads it (the journal file
 * replayed line by line), so that tests see what survives a crash rather than what the process keeps in memory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ledgerFileOf, type LedgerEntry } from '../../src/ledger';

export function ledgerOnDisk(userDir: string, configId: string): Map<string, LedgerEntry> {
  const file = ledgerFileOf(userDir, configId);
  const entries = new Map<string, LedgerEntry>();
  if (!existsSync(file)) return entries;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const record = JSON.parse(line) as { k: string; e?: LedgerEntry };
    if (record.e) entries.set(record.k, record.e);
    else entries.delete(record.k);
  }
  return entries;
}
