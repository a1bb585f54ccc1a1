/**
 * RedisLedgerStore and its leases against a real redis-server: what two instances (two stores with their own
 * instance ids and connections, as two Node-RED processes have) can and cannot do to each other's invoices.
 * Short leases (400 ms) keep the waits brief; the arithmetic is the same at 3.5 s.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { LeaseLostError, NotReplicatedError, PaymentLedger, type LedgerEntry, type LedgerOwner, type OpenEntry } from '../../src/ledger';
import { RedisLedgerStore } from '../../src/ledger/redis-ledger-store';
import { RedisServer } from '../helpers/redis-server';
import Redis from 'ioredis';
import { pause } from '../helpers/time';

const LEASE_MS = 400;

function entry(reference: string, fields: Partial<LedgerEntry> = {}): LedgerEntry {
  return { v: 1, invoiceReference: reference, startedAt: Date.now(), version: 0, ...fields };
}

describe('redis: RedisLedgerStore and leases on a real redis-server', function () {
  this.timeout(30_000);
  const PASSWORD = 'redis-test-secret-pw';
  const redis = new RedisServer(PASSWORD);
  const stores: RedisLedgerStore[] = [];
  let namespace = 0;
  /** A store as one instance has it, on this test's own keys. */
  function store(instanceId: string, options: { password?: string; ns?: string; leaseMs?: number } = {}): RedisLedgerStore {
    const made = new RedisLedgerStore({
      url: redis.url,
      password: options.password ?? PASSWORD,
      namespace: options.ns ?? `cfg-${namespace}`,
      instanceId,
      leaseMs: options.leaseMs ?? LEASE_MS,
      redis: { retryStrategy: () => 100 },
    });
    stores.push(made);
    return made;
  }

  before(() => redis.start());
  after(() => redis.dispose());
  beforeEach(() => namespace++);
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((made) => made.close().catch(() => undefined)));
  });

  it('keeps an entry leased to its writer; another instance takes it over only once the lease lapsed', async () => {
    const a = store('a');
    const b = store('b');
    assert.deepEqual((await a.load()).entries, []);
    await b.load();
    await a.write([{ invoiceReference: '1001', entry: entry('1001', { amount: '10.00' }) }]);
    assert.deepEqual(await b.takeOver(10), [], 'leased to a');
    await pause(LEASE_MS + 100);
    const taken = await b.takeOver(10);
    assert.deepEqual(taken.map((e) => [e.invoiceReference, e.amount]), [['1001', '10.00']]);
    assert.deepEqual(await b.takeOver(10), [], 'now leased to b');
  });

  it('renewal keeps a lease past its length; a lapsed one nobody took is taken again by its holder', async () => {
    // A longer lease here: renewals a quarter of it apart hold on a machine loaded enough to make timers late.
    const leaseMs = 2000;
    const a = store('a', { leaseMs });
    const b = store('b', { leaseMs });
    await Promise.all([a.load(), b.load()]);
    await a.write([{ invoiceReference: '1002', entry: entry('1002') }]);
    for (let i = 0; i < 5; i++) {
      await pause(leaseMs / 4);
      assert.deepEqual(await a.renew(['1002']), []);
    }
    assert.deepEqual(await b.takeOver(10), [], 'renewed past its length: still a’s');
    await pause(leaseMs + 200);
    assert.deepEqual(await a.renew(['1002']), [], 'nobody took it: still a’s');
    assert.deepEqual(await b.takeOver(10), []);
  });

  it('fences the instance that lost its lease: its writes are refused and its renewal says lost', async () => {
    const a = store('a');
    const b = store('b');
    await Promise.all([a.load(), b.load()]);
    await a.write([{ invoiceReference: '1003', entry: entry('1003') }]);
    await pause(LEASE_MS + 100);
    assert.equal((await b.takeOver(10)).length, 1);
    const refused = await a.write([{ invoiceReference: '1003', entry: entry('1003', { outcome: { output: 1, stored: { message: {}, lost: [], revive: [] } } }) }]).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof LeaseLostError, String(refused));
    assert.deepEqual(refused.references, ['1003']);
    assert.deepEqual(await a.renew(['1003']), ['1003']);
    // b's record is untouched: no outcome from a.
    await pause(LEASE_MS + 100);
    const c = store('c');
    const [seen] = (await c.load()).entries;
    assert.equal(seen.invoiceReference, '1003');
    assert.equal(seen.outcome, undefined);
  });

  it('a stale update cannot bring back an entry another instance finished', async () => {
    const a = store('a');
    const b = store('b');
    await Promise.all([a.load(), b.load()]);
    await a.write([{ invoiceReference: '1004', entry: entry('1004') }]);
    await pause(LEASE_MS + 100);
    await b.takeOver(10);
    await b.write([{ invoiceReference: '1004', entry: undefined }]);
    await assert.rejects(a.write([{ invoiceReference: '1004', entry: entry('1004', { status: 'PAID' }) }]), LeaseLostError);
    await pause(LEASE_MS + 100);
    assert.deepEqual(await b.takeOver(10), [], 'nothing came back');
  });

  it('hands every lapsed entry to exactly one of several instances scanning at once', async () => {
    const writer = store('writer');
    await writer.load();
    const refs = Array.from({ length: 200 }, (_, i) => String(20_000 + i));
    await writer.write(refs.map((ref) => ({ invoiceReference: ref, entry: entry(ref) })));
    await pause(LEASE_MS + 100);
    const scanners = [store('s1'), store('s2'), store('s3')];
    // load() takes over too: all three race, first in load(), then in small scans.
    const got = await Promise.all(
      scanners.map(async (s) => {
        const taken = (await s.load()).entries;
        for (let i = 0; i < 5; i++) taken.push(...(await s.takeOver(20)));
        return taken.map((e) => e.invoiceReference);
      }),
    );
    const all = got.flat();
    assert.equal(new Set(all).size, all.length, 'no entry went to two instances');
    assert.deepEqual([...all].sort(), refs, 'every entry went to one');
  });

  it('release lets another instance take the leases at once', async () => {
    const a = store('a');
    const b = store('b');
    await Promise.all([a.load(), b.load()]);
    await a.write([{ invoiceReference: '1005', entry: entry('1005') }]);
    await a.release(['1005']);
    assert.deepEqual((await b.takeOver(10)).map((e) => e.invoiceReference), ['1005']);
  });

  it('uses the credential password and shows it nowhere; a wrong one fails without naming it', async () => {
    const a = store('a');
    assert.ok(!a.location.includes(PASSWORD), a.location);
    const wrong = store('w', { password: 'not-the-redis-secret' });
    const loaded = await wrong.load();
    assert.deepEqual(loaded.entries, [], 'unreachable: starts with nothing replicated');
    const err = await wrong.write([{ invoiceReference: '1006', entry: entry('1006') }]).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof NotReplicatedError);
    assert.ok(!err.message.includes('not-the-redis-secret') && !err.message.includes(PASSWORD), err.message);
    const inUrl = new RedisLedgerStore({ url: `redis://:${PASSWORD}@127.0.0.1:${redis.port}/0`, namespace: 'x', instanceId: 'u' });
    stores.push(inUrl);
    assert.ok(!inUrl.location.includes(PASSWORD), inUrl.location);
  });

  it('Redis down: writes say not replicated, polls go on; back, the kept changes are written and it says so', async () => {
    const a = store('a');
    const b = store('b');
    await Promise.all([a.load(), b.load()]);
    const heard: boolean[] = [];
    a.onReplicated((replicated) => heard.push(replicated));
    await a.write([{ invoiceReference: '1007', entry: entry('1007') }]);
    await redis.stop();
    await pause(200);
    await assert.rejects(a.write([{ invoiceReference: '1008', entry: entry('1008', { amount: '8.00' }) }]), NotReplicatedError);
    await assert.rejects(a.write([{ invoiceReference: '1007', entry: entry('1007', { status: 'PENDING_USER_CONFIRMATION', version: 1 }) }]), NotReplicatedError);
    await assert.rejects(a.renew(['1007']), NotReplicatedError);
    assert.deepEqual(heard, [false]);
    await redis.start();
    const deadline = Date.now() + 5000;
    while (heard.length < 2 && Date.now() < deadline) await pause(50);
    assert.deepEqual(heard, [false, true], 'caught up');
    await pause(LEASE_MS + 100);
    const taken = new Map((await b.takeOver(10)).map((e) => [e.invoiceReference, e]));
    assert.equal(taken.get('1008')?.amount, '8.00', 'the invoice written while Redis was down is replicated');
    assert.equal(taken.get('1007')?.version, 1, 'and the update');
  });

  it('Redis slow: a write slower than the timeout says not replicated, and is written once Redis answers', async function () {
    const a = store('a');
    const b = store('b');
    await Promise.all([a.load(), b.load()]);
    const heard: boolean[] = [];
    a.onReplicated((replicated) => heard.push(replicated));
    const blocker = new Redis(redis.url, { password: PASSWORD });
    try {
      // Redis busy for 2.5 s, past the store's 2 s command timeout.
      const busy = blocker.call('DEBUG', 'SLEEP', '2.5');
      await pause(50);
      await assert.rejects(a.write([{ invoiceReference: '1010', entry: entry('1010', { amount: '10.10' }) }]), NotReplicatedError);
      await busy;
      const deadline = Date.now() + 5000;
      while (heard.length < 2 && Date.now() < deadline) await pause(50);
      assert.deepEqual(heard, [false, true], 'caught up without a reconnect');
      await a.release(['1010']);
      assert.equal((await b.takeOver(10)).find((e) => e.invoiceReference === '1010')?.amount, '10.10');
    } finally {
      blocker.disconnect();
    }
  });

  it('PaymentLedger cut off from Redis while another instance is not: its outcome waits, and is not sent once Redis says the invoice is taken', async function () {
    // a reaches Redis through a TCP relay the test can cut; b reaches it directly. Leases longer than the ledger's
    // 1 s renewal here, as in production (3.5 s): b must hold what it took over.
    const leaseMs = 2500;
    const sockets = new Set<net.Socket>();
    let cut = false;
    const relay = net.createServer((client) => {
      if (cut) return client.destroy();
      const upstream = net.connect(redis.port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `redis://127.0.0.1:${(relay.address() as net.AddressInfo).port}/0`;
    const aStore = new RedisLedgerStore({ url: relayUrl, password: PASSWORD, namespace: `cfg-${namespace}`, instanceId: 'a', leaseMs, redis: { retryStrategy: () => 100 } });
    stores.push(aStore);
    const a = new PaymentLedger(aStore, { onStoreError: () => undefined });
    const b = new PaymentLedger(store('b', { leaseMs }), { onStoreError: () => undefined });
    try {
      await Promise.all([a.ready, b.ready]);
      await a.recordInvoice('1011', { owner: 'status-1', msg: { payload: 'x' } });
      cut = true;
      for (const socket of sockets) socket.destroy();
      await pause(leaseMs + 300);
      const owner: LedgerOwner = { ownerId: 'status-1', adopt: () => undefined };
      b.attach(owner);
      assert.deepEqual(await b.takeOver(() => owner), ['1011'], 'b took the invoice a could not renew');
      // a fetched PAID meanwhile: its record cannot reach Redis, and a lease length has passed since Redis answered.
      const started = Date.now();
      const mine = a.recordOutcome('1011', 1, { payload: 'PAID' });
      await pause(1000);
      cut = false;
      assert.equal(await mine, false, 'a must not send: the invoice is b’s');
      assert.ok(Date.now() - started >= 1000, 'it waited for Redis instead of sending');
      assert.equal(await b.recordOutcome('1011', 1, { payload: 'PAID' }), true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it('PaymentLedger: only the lease holder records an outcome; the other is told it is not its to send', async () => {
    const errors: Error[] = [];
    const lostHeard: string[][] = [];
    const a = new PaymentLedger(store('a'), { onStoreError: (e) => errors.push(e), onLeaseLost: (refs) => lostHeard.push(refs) });
    const b = new PaymentLedger(store('b'), { onStoreError: (e) => errors.push(e) });
    await Promise.all([a.ready, b.ready]);
    await a.recordInvoice('1009', { owner: 'status-1', msg: { payload: 'x' } });
    // b takes the invoice over for its own status-1 (the same flows): a's lease is let go, as when a is paused
    // past its lease (its renewal timer would race a lapse here).
    const adopted: OpenEntry[] = [];
    const owner: LedgerOwner = { ownerId: 'status-1', adopt: (entries) => adopted.push(...entries) };
    b.attach(owner);
    await stores[0].release(['1009']);
    assert.deepEqual(await b.takeOver(() => owner), ['1009']);
    assert.equal(adopted.length, 1);
    assert.equal(await a.recordOutcome('1009', 1, { payload: 'PAID' }), false, 'a must not send');
    assert.deepEqual(lostHeard, [['1009']]);
    assert.equal(a.get('1009'), undefined, 'a dropped it');
    assert.equal(await b.recordOutcome('1009', 1, { payload: 'PAID' }), true);
    assert.deepEqual(errors, []);
    await Promise.all([a.close(), b.close()]);
  });
});
