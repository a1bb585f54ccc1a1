import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileLedgerStore, ledgerFileOf, type LedgerEntry } from '../src/ledger';
import { ledgerOnDisk } from './helpers/ledger-file';

function entry(invoiceReference: string, more: Partial<LedgerEntry> = {}): LedgerEntry {
  return { v: 1, invoiceReference, startedAt: 1_700_000_000_000, version: 0, ...more };
}

describe('FileLedgerStore (the payment ledger journal file)', function () {
  let dir: string;
  let file: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'seqr-ledger-test-'));
    file = ledgerFileOf(path.join(dir, 'userdir'), 'cfg');
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  function onDisk(): Map<string, LedgerEntry> {
    return ledgerOnDisk(path.dirname(path.dirname(file)), 'cfg');
  }

  async function reopened(): Promise<Map<string, LedgerEntry>> {
    const store = new FileLedgerStore(file);
    const { entries } = await store.load();
    await store.close();
    return new Map(entries.map((e) => [e.invoiceReference, e]));
  }

  it('has a write on disk when it resolves: a store opened afterwards (as after kill -9) reads it back', async function () {
    const store = new FileLedgerStore(file);
    assert.deepEqual((await store.load()).entries, [], 'a missing file is an empty ledger (its directory is made)');
    await store.write([{ invoiceReference: 'A1', entry: entry('A1', { status: 'ISSUED', version: 1 }) }]);
    // No close, no flush: what a process killed right now leaves behind (read without opening a store, which
    // would compact the file under this one).
    assert.equal(onDisk().get('A1')?.status, 'ISSUED');
    await store.write([{ invoiceReference: 'A1', entry: undefined }, { invoiceReference: 'B2', entry: entry('B2') }]);
    assert.deepEqual([...onDisk().keys()], ['B2'], 'a removal is durable too');
    await store.close();
    assert.deepEqual([...(await reopened()).keys()], ['B2']);
  });

  it('commits concurrent writes in groups: a thousand changes, far fewer appends, each durable when it resolves', async function () {
    const store = new FileLedgerStore(file);
    await store.load();
    const appends: number[] = [];
    const append = (store as unknown as { append(lines: string[]): Promise<void> }).append.bind(store);
    (store as unknown as { append(lines: string[]): Promise<void> }).append = (lines) => {
      appends.push(lines.length);
      return append(lines);
    };
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 1000; i++) {
      writes.push(store.write([{ invoiceReference: `R${i}`, entry: entry(`R${i}`) }]));
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    assert.equal(appends.reduce((a, b) => a + b, 0), 1000, 'every change written once');
    assert.ok(appends.length <= 20, `${appends.length} appends for 1000 changes`);
    assert.equal((await reopened()).size, 1000);
    await store.close();
  });

  it('skips a torn last line (a crash in the middle of a write) and a damaged one, counts them, and appends cleanly after', async function () {
    const store = new FileLedgerStore(file);
    await store.load();
    await store.write([{ invoiceReference: 'OK1', entry: entry('OK1') }]);
    await store.write([{ invoiceReference: 'OK2', entry: entry('OK2') }]);
    await store.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [lines[0], '{"k":"BAD","e":{"v":1', lines[1]].join('\n') + '\n{"k":"TORN","e":{"v":1,"invoiceRef');

    const again = new FileLedgerStore(file);
    const loaded = await again.load();
    assert.deepEqual(loaded.entries.map((e) => e.invoiceReference).sort(), ['OK1', 'OK2']);
    assert.equal(loaded.unreadable, 2);
    await again.write([{ invoiceReference: 'NEW', entry: entry('NEW') }]);
    await again.close();
    assert.deepEqual([...(await reopened()).keys()].sort(), ['NEW', 'OK1', 'OK2'], 'the new line did not join the torn one');
  });

  it('refuses records that are not ledger entries (wrong shape, reference that is not one, key and entry apart)', async function () {
    writeFileSync(
      path.join(dir, 'bad.jsonl'),
      [
        JSON.stringify({ k: 'X1', e: { v: 2, invoiceReference: 'X1', startedAt: 1, version: 0 } }),
        JSON.stringify({ k: 'two words', e: entry('two words') }),
        JSON.stringify({ k: 'X3', e: entry('X4') }),
        JSON.stringify(['X5']),
        JSON.stringify({ k: 'X6', e: entry('X6') }),
      ].join('\n') + '\n',
    );
    const store = new FileLedgerStore(path.join(dir, 'bad.jsonl'));
    const loaded = await store.load();
    await store.close();
    assert.deepEqual(loaded.entries.map((e) => e.invoiceReference), ['X6']);
    assert.equal(loaded.unreadable, 4);
  });

  it('stays about the size of the open invoices: compacted as it goes under thousands of watches changing status', async function () {
    this.timeout(30_000);
    const store = new FileLedgerStore(file);
    await store.load();
    const open = 200;
    let largest = 0;
    // 200 open invoices, each changing 50 times: 10,000 changes, as a day of a busy shop might make.
    for (let round = 0; round < 50; round++) {
      await store.write(Array.from({ length: open }, (_, i) => ({ invoiceReference: `R${i}`, entry: entry(`R${i}`, { version: round, message: { message: { payload: 'x'.repeat(200) }, lost: [], revive: [] } }) })));
      largest = Math.max(largest, statSync(file).size);
    }
    const lineSize = readFileSync(file, 'utf8').split('\n')[0].length + 1;
    // References may hold any printable ASCII, quotes and backslashes too: they survive compactions.
    await store.write([{ invoiceReference: 'Q"1\\x', entry: entry('Q"1\\x') }]);
    for (let round = 0; round < 12; round++) {
      await store.write(Array.from({ length: open }, (_, i) => ({ invoiceReference: `R${i}`, entry: entry(`R${i}`, { version: 100 + round }) })));
    }
    assert.ok(onDisk().has('Q"1\\x'));
    await store.write([{ invoiceReference: 'Q"1\\x', entry: undefined }]);
    assert.ok(largest < 8 * open * lineSize, `the file peaked at ${largest} bytes for ${open} entries of ${lineSize} bytes`);
    // Everything finished: the file shrinks to nothing at the next compaction.
    for (let i = 0; i < open; i++) await store.write([{ invoiceReference: `R${i}`, entry: undefined }]);
    await store.close();
    const after = await reopened();
    assert.equal(after.size, 0);
    assert.ok(statSync(file).size === 0, 'loading compacts');
  });

  it('rewrites the file after a failed write, so a partial line cannot corrupt the next one', async function () {
    const store = new FileLedgerStore(file);
    await store.load();
    await store.write([{ invoiceReference: 'A', entry: entry('A') }]);
    const internal = store as unknown as { append(lines: string[]): Promise<void> };
    const append = internal.append.bind(store);
    internal.append = async () => {
      appendFileSync(file, '{"k":"half');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await assert.rejects(store.write([{ invoiceReference: 'B', entry: entry('B') }]), /ENOSPC/);
    internal.append = append;
    await store.write([{ invoiceReference: 'C', entry: entry('C') }]);
    await store.close();
    const reread = new FileLedgerStore(file);
    const loaded = await reread.load();
    await reread.close();
    assert.deepEqual(loaded.entries.map((e) => e.invoiceReference).sort(), ['A', 'B', 'C'], 'B was kept in memory and written with the rewrite');
    assert.equal(loaded.unreadable, 0);
  });
});
