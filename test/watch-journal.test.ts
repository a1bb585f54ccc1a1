import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { requireFromNodeRed } from './helpers/node-red-runtime';
import { WatchJournal, storeKey, type KeyValueStore, type StoredWatch } from '../src/watcher/watch-journal';

/**
 * Node-RED's own context stores (runtime/lib/nodes/context): the journal runs against the real ones, of the
 * Node-RED under test (SEQR_NODE_RED_PATH may name another than the checkout's).
 */
interface ContextStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(scope: string, key: string, callback: (err: Error | null | undefined, value: unknown) => void): void;
  set(scope: string, key: string, value: unknown, callback: (err?: Error | null) => void): void;
  keys(scope: string, callback: (err: Error | null | undefined, keys: unknown[] | undefined) => void): void;
}
const memoryStore = requireFromNodeRed('@node-red/runtime/lib/nodes/context/memory') as (config: object) => ContextStore;
const localFileSystemStore = requireFromNodeRed('@node-red/runtime/lib/nodes/context/localfilesystem') as (config: object) => ContextStore;

/** A node's scope in a context store, as the runtime names it (node id : flow id). */
const SCOPE = 'ps:tab1';

/** The store bound to one node's scope: what the status node hands its journal. */
function nodeScope(store: ContextStore): KeyValueStore {
  return {
    get: (key, callback) => store.get(SCOPE, key, callback),
    set: (key, value, callback) => store.set(SCOPE, key, value, callback),
    keys: (callback) => store.keys(SCOPE, callback),
  };
}

function keysOf(store: KeyValueStore): Promise<unknown[]> {
  return new Promise((resolve, reject) => store.keys((err, keys) => (err ? reject(err) : resolve(keys ?? []))));
}

function valueOf(store: KeyValueStore, key: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(key, (err, value) => (err ? reject(err) : resolve(value))));
}

type Msg = Record<string, unknown>;
type Route = { sent: unknown[] };

function journalOn(store: KeyValueStore, options: { handover?: { runtime: object; owner: string }; errors?: Error[] } = {}) {
  return new WatchJournal<Msg, Route>(store, { handover: options.handover, onStoreError: (err) => options.errors?.push(err) });
}

/** A reference Node-RED's context would read as a path if the key were not escaped. */
const AWKWARD_REFERENCE = 'inv.1[0]"x\'';

describe('WatchJournal against Node-RED memory context', function () {
  let store: KeyValueStore;
  beforeEach(async function () {
    const memory = memoryStore({});
    await memory.open();
    store = nodeScope(memory);
  });

  it('stores a new watch with what can be stored of its message and the amount the message gave', async function () {
    const journal = journalOn(store);
    const before = Date.now();
    const entry = journal.begin('1001', { payload: '1001', order: { id: 'R1' }, callback: () => 1 }, { sent: [] }, { amount: '25.00', currency: 'SEK' });
    await journal.close(false);
    assert.equal(entry.invoiceReference, '1001');
    assert.deepEqual(await keysOf(store), ['seqrWatch_1001']);
    const stored = (await valueOf(store, storeKey('1001'))) as StoredWatch;
    assert.equal(stored.v, 1);
    assert.equal(stored.invoiceReference, '1001');
    assert.equal(stored.version, 0);
    assert.equal(stored.status, undefined);
    assert.equal(stored.amount, '25.00');
    assert.equal(stored.currency, 'SEK');
    assert.ok(stored.startedAt >= before && stored.startedAt <= Date.now());
    assert.deepEqual(stored.stored.message, { payload: '1001', order: { id: 'R1' } });
    assert.deepEqual(stored.stored.lost, ['callback']);
  });

  it('stores status changes and a cancel request; the outcome is sent before the watch leaves the store', async function () {
    const journal = journalOn(store);
    journal.begin('1002', { payload: '1002' }, { sent: [] }, {});
    journal.update('1002', 'ISSUED', 3);
    journal.requestCancel('1002');
    await journal.close(false);
    const stored = (await valueOf(store, storeKey('1002'))) as StoredWatch;
    assert.equal(stored.status, 'ISSUED');
    assert.equal(stored.version, 3);
    assert.equal(stored.cancelRequested, true);
    assert.equal(stored.amount, undefined, 'no amount when the message gave none');

    const next = journalOn(store);
    const [kept] = await next.loadStored();
    next.begin('1002', kept.msg, { sent: [] }, { resumed: kept.stored });
    let keysWhileSending: unknown[] = [];
    let heldWhileSending = true;
    next.finish('1002', () => {
      heldWhileSending = next.has('1002');
      store.keys((_err, keys) => (keysWhileSending = keys ?? []));
    });
    assert.equal(heldWhileSending, false, 'the watch has left the journal when its outcome is sent');
    assert.deepEqual(keysWhileSending, ['seqrWatch_1002'], 'still stored while the outcome is sent');
    await next.close(false);
    assert.deepEqual(await keysOf(store), [], 'removed after the outcome');
  });

  it('a stop forgets the watch; calls for invoices it does not hold change nothing', async function () {
    const journal = journalOn(store);
    journal.begin('1003', { payload: '1003' }, { sent: [] }, {});
    journal.finish('1003');
    journal.update('1003', 'PAID', 9);
    journal.requestCancel('1003');
    let called = false;
    journal.finish('1003', () => (called = true));
    await journal.close(false);
    assert.equal(called, false);
    assert.equal(journal.size, 0);
    assert.deepEqual(await keysOf(store), []);
  });

  it('loads back kept watches not held yet, skipping other keys and entries that are not watches, and nothing once closed', async function () {
    const first = journalOn(store);
    first.begin('2001', { payload: '2001' }, { sent: [] }, {});
    first.begin(AWKWARD_REFERENCE, { payload: AWKWARD_REFERENCE }, { sent: [] }, {});
    await first.close(false);
    await new Promise<void>((resolve) => store.set('counter', 7, () => resolve()));
    await new Promise<void>((resolve) => store.set(storeKey('2002'), { v: 2, invoiceReference: '2002' }, () => resolve()));
    await new Promise<void>((resolve) => store.set(storeKey('bad ref'), { v: 1, invoiceReference: 'bad ref', startedAt: 1, version: 0, stored: { message: {}, lost: [], revive: [] } }, () => resolve()));

    const second = journalOn(store);
    const kept = await second.loadStored();
    assert.deepEqual(kept.map((k) => k.stored.invoiceReference).sort(), ['2001', AWKWARD_REFERENCE].sort());
    const awkward = kept.find((k) => k.stored.invoiceReference === AWKWARD_REFERENCE)!;
    assert.deepEqual(awkward.msg, { payload: AWKWARD_REFERENCE });
    second.begin('2001', kept[0].msg, { sent: [] }, { resumed: kept[0].stored });
    const again = await second.loadStored();
    assert.ok(!again.some((k) => second.has(k.stored.invoiceReference)), 'a watch the journal holds is not loaded again');

    const closing = journalOn(store);
    const loading = closing.loadStored();
    void closing.close(false);
    assert.deepEqual(await loading, [], 'a journal closed while loading begins nothing');
  });

  it('hands its open watches over on a redeploy, live messages whole, once, to the same owner in the same runtime', async function () {
    const runtime = {};
    const callback = () => 1;
    const live: Msg = { payload: '3001', qr: Buffer.from('png'), callback };
    const first = journalOn(store, { handover: { runtime, owner: 'ps' } });
    first.begin('3001', live, { sent: [] }, {});
    first.update('3001', 'ISSUED', 2);
    await first.close(true);
    assert.equal(first.size, 0);

    assert.deepEqual(journalOn(store, { handover: { runtime: {}, owner: 'ps' } }).takeHandedOver(), [], 'another runtime');
    assert.deepEqual(journalOn(store, { handover: { runtime, owner: 'other' } }).takeHandedOver(), [], 'another owner');
    const second = journalOn(store, { handover: { runtime, owner: 'ps' } });
    const [handed, ...rest] = second.takeHandedOver();
    assert.deepEqual(rest, []);
    assert.equal(handed.msg, live, 'the live message itself');
    assert.deepEqual(handed.lost, []);
    assert.equal(handed.stored.status, 'ISSUED');
    assert.equal(handed.stored.version, 2);
    assert.deepEqual(second.takeHandedOver(), [], 'taken once');
  });

  it('hands nothing over when the node is deleted', async function () {
    const runtime = {};
    const first = journalOn(store, { handover: { runtime, owner: 'ps' } });
    first.begin('3002', { payload: '3002' }, { sent: [] }, {});
    await first.close(false);
    assert.deepEqual(journalOn(store, { handover: { runtime, owner: 'ps' } }).takeHandedOver(), []);
  });
});

describe('WatchJournal against a store that answers out of order', function () {
  it('keeps the writes to one key in order: the next write starts only when the store has answered the last', async function () {
    // A networked store (Redis, say; none runs here) may answer a later call first. This one holds its values
    // in a Map and applies each set after a delay that shrinks with every call, so the earliest call lands last
    // unless the journal waits for each answer before the next write to the same key.
    const values = new Map<string, unknown>();
    let delay = 60;
    const store: KeyValueStore = {
      get: (key, callback) => setImmediate(() => callback(null, values.get(key))),
      set: (key, value, callback) => {
        setTimeout(() => {
          if (value === undefined) values.delete(key);
          else values.set(key, value);
          callback();
        }, (delay = Math.max(0, delay - 20)));
      },
      keys: (callback) => setImmediate(() => callback(null, [...values.keys()])),
    };
    const journal = journalOn(store);
    journal.begin('7001', { payload: '7001' }, { sent: [] }, {});
    journal.update('7001', 'ISSUED', 1);
    journal.update('7001', 'PENDING_PAYER_APPROVAL', 2);
    journal.begin('7002', { payload: '7002' }, { sent: [] }, {});
    journal.finish('7002', () => undefined);
    await journal.close(false);
    // A write still under way (the 40 ms one, if the journal had not waited) would have landed by now.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((values.get(storeKey('7001')) as StoredWatch).version, 2);
    assert.deepEqual([...values.keys()], [storeKey('7001')], 'the finished watch is gone, not written back');
  });
});

describe('WatchJournal against Node-RED localfilesystem context', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), 'seqr-journal-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  /** The node's context file as the store wrote it. */
  async function contextFile(): Promise<Record<string, unknown>> {
    return JSON.parse(await readFile(path.join(dir, 'context', 'tab1', 'ps.json'), 'utf8')) as Record<string, unknown>;
  }

  it('every write reaches the file in order before close resolves (no cache)', async function () {
    const files = localFileSystemStore({ dir, cache: false });
    await files.open();
    const journal = journalOn(nodeScope(files));
    journal.begin('4001', { payload: '4001' }, { sent: [] }, {});
    journal.begin('4002', { payload: '4002' }, { sent: [] }, {});
    for (let version = 1; version <= 5; version++) journal.update('4001', 'ISSUED', version);
    journal.finish('4002', () => undefined);
    await journal.close(false);
    const written = await contextFile();
    assert.deepEqual(Object.keys(written), ['seqrWatch_4001']);
    assert.equal((written.seqrWatch_4001 as StoredWatch).version, 5, 'the last write wins');
    await files.close();
  });

  it('after a restart resumes each watch with its stored message: Buffers and Dates back, unstorable parts named', async function () {
    const before = localFileSystemStore({ dir, flushInterval: 30 });
    await before.open();
    const first = journalOn(nodeScope(before));
    const msg = { payload: { invoiceReference: '5001' }, order: 'R-1', qr: Buffer.from('png'), at: new Date('2026-01-02T03:04:05Z'), req: { socket: new (class Socket {})() } };
    first.begin('5001', msg, { sent: [] }, { amount: '77.00', currency: 'SEK' });
    first.begin(AWKWARD_REFERENCE, { payload: AWKWARD_REFERENCE }, { sent: [] }, {});
    first.update('5001', 'ISSUED', 1);
    first.requestCancel(AWKWARD_REFERENCE);
    await first.close(false);
    await before.close(); // the runtime stopping flushes its cache to the file

    const after = localFileSystemStore({ dir, flushInterval: 30 });
    await after.open();
    const second = journalOn(nodeScope(after));
    const kept = await second.loadStored();
    assert.equal(kept.length, 2);
    const paid = kept.find((k) => k.stored.invoiceReference === '5001')!;
    assert.deepEqual(paid.lost, ['req']);
    assert.equal(paid.msg.order, 'R-1');
    assert.ok(Buffer.isBuffer(paid.msg.qr) && paid.msg.qr.toString() === 'png');
    assert.ok(paid.msg.at instanceof Date && paid.msg.at.toISOString() === '2026-01-02T03:04:05.000Z');
    assert.equal(paid.stored.status, 'ISSUED');
    assert.equal(paid.stored.amount, '77.00');
    const awkward = kept.find((k) => k.stored.invoiceReference === AWKWARD_REFERENCE)!;
    assert.equal(awkward.stored.cancelRequested, true);
    await after.close();
  });

  it('reports a store that cannot be written or listed, and still closes', async function () {
    const notADirectory = path.join(dir, 'file');
    await writeFile(notADirectory, 'x');
    const errors: Error[] = [];
    const unwritable = journalOn(nodeScope(localFileSystemStore({ dir: notADirectory, cache: false })), { errors });
    unwritable.begin('6001', { payload: '6001' }, { sent: [] }, {});
    await unwritable.close(false);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /ENOTDIR/);

    await mkdir(path.join(dir, 'context', 'tab1'), { recursive: true });
    await writeFile(path.join(dir, 'context', 'tab1', 'ps.json'), 'not json');
    const unreadable = journalOn(nodeScope(localFileSystemStore({ dir, cache: false })), { errors });
    assert.deepEqual(await unreadable.loadStored(), []);
    assert.equal(errors.length, 2);
    assert.match(errors[1].message, /JSON/);
  });
});
