/**
 * LedgerWatches over a PaymentLedger on a real journal file and the emulator as SEQR: what a crash at each step
 * leaves, and what the next start does with it. A "crash" here is the old objects abandoned with their store
 * frozen (no write reaches the disk any more, as after kill -9) and new ones opened on the same file; the crash
 * suite (npm run test:crash) does the same with a real Node-RED process and kill -9.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileLedgerStore, LedgerWatches, PaymentLedger, ledgerFileOf, type WatchOutlet } from '../src/ledger';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { invoice, startRig, type Rig } from './helpers/seqr';
import { eventually } from './helpers/time';

type Msg = Record<string, unknown> & { seqr?: Record<string, unknown> };

interface Sent {
  output: 1 | 2;
  msg: Msg;
}

/** An outlet that writes the outcome into msg.payload and records what it sends. */
function recordingOutlet(sent: Sent[]): WatchOutlet<Msg> {
  const route = { send: (outputs: Array<Msg | null>) => record(outputs), done: () => undefined };
  function record(outputs: Array<Msg | null>): void {
    if (outputs[0]) sent.push({ output: 1, msg: outputs[0] });
    if (outputs[1]) sent.push({ output: 2, msg: outputs[1] });
  }
  return {
    paid(watch, event) {
      watch.msg.payload = { status: 'PAID', ersReference: event.ersReference };
      return [watch.msg, null, null];
    },
    failed(watch, event) {
      watch.msg.payload = { status: event.status, reason: event.reason };
      return [null, watch.msg, null];
    },
    update: () => undefined,
    outputs: (output, msg) => (output === 1 ? [msg, null, null] : [null, msg, null]),
    resumedRoute: () => route,
    markResumed: (msg, lost) => (msg.seqr = { ...msg.seqr, resumed: true, lostProperties: lost }),
    markRedelivered: (msg) => (msg.seqr = { ...msg.seqr, redelivered: true }),
    changed: () => undefined,
    resumed: () => undefined,
    retrying: () => undefined,
    cancelRefused: () => undefined,
    error: (err) => {
      throw err;
    },
  };
}

describe('LedgerWatches: exactly-once outcomes across crashes (journal file, emulator)', function () {
  let rig: Rig;
  let dir: string;
  let file: string;
  const running: Array<LedgerWatches<Msg>> = [];
  const ledgers: PaymentLedger[] = [];

  function openLedger(): PaymentLedger {
    // Sent outcomes leave the ledger 50 ms after they were sent (SENT_SETTLE_MS in real use).
    const ledger = new PaymentLedger(new FileLedgerStore(file), { onStoreError: (err) => assert.fail(err), sentSettleMs: 50 });
    ledgers.push(ledger);
    return ledger;
  }

  before(async function () {
    rig = await startRig({ terminals: [{ ...PUBLIC_TEST_TERMINAL, type: 'webshop' }], ackWindowMs: 3000 });
  });
  after(async function () {
    await rig.stop();
  });
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'seqr-ledger-watches-'));
    file = ledgerFileOf(dir, 'cfg');
  });
  afterEach(async function () {
    for (const watches of running.splice(0)) watches.close(false);
    await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process start: a ledger on the file and a status node's watches (owner "ps") on it. */
  function start(sent: Sent[], owner = 'ps'): { ledger: PaymentLedger; watches: LedgerWatches<Msg> } {
    const ledger = openLedger();
    const watches = new LedgerWatches<Msg>(ledger, rig.terminal, { owner, intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel' }, recordingOutlet(sent));
    running.push(watches);
    return { ledger, watches };
  }

  /** kill -9: nothing the old objects do reaches the disk any more, and they stop polling. */
  function crash(ledger: PaymentLedger, watches: LedgerWatches<Msg>): void {
    const store = (ledger as unknown as { store: { write(): Promise<void>; handle?: { close(): Promise<void> } } }).store;
    store.write = () => new Promise(() => undefined);
    watches.close(false);
    // The kernel closes a dead process's files; here the test does (else Node warns when it collects the handle).
    void store.handle?.close();
  }

  async function issued(): Promise<string> {
    return (await rig.terminal.sendInvoice(invoice('42.00'))).invoiceReference;
  }

  it('a crash right after a PAID was sent sends it again after the restart, marked redelivered, and only it', async function () {
    const sent: Sent[] = [];
    const first = start(sent);
    await first.watches.start();
    const paidRef = await issued();
    const openRef = await issued();
    first.watches.watch(paidRef, { order: 1 }, { send: (outputs) => {
      sent.push({ output: 1, msg: outputs[0] as Msg });
      // The process dies right after sending, before the ledger notes that it was sent.
      crash(first.ledger, first.watches);
    }, done: () => undefined }, {});
    first.watches.watch(openRef, { order: 2 }, { send: () => assert.fail('not paid'), done: () => undefined }, {});
    await first.ledger.flush();
    await rig.emu.payer.pay(paidRef);
    await eventually(() => assert.equal(sent.length, 1), 3000);
    assert.equal(sent[0].msg.seqr, undefined, 'the first delivery is not marked');

    const after: Sent[] = [];
    const second = start(after);
    await second.watches.start();
    assert.equal(after.length, 1, 'the recorded outcome is sent at once, without a poll');
    assert.equal(after[0].output, 1);
    assert.deepEqual(after[0].msg.payload, sent[0].msg.payload);
    assert.equal(after[0].msg.order, 1);
    assert.equal(after[0].msg.seqr?.redelivered, true);
    assert.equal(second.watches.get(openRef)?.msg.order, 2, 'the open invoice is watched again with its message');
    assert.equal(second.watches.get(openRef)?.msg.seqr?.redelivered, undefined);
    assert.ok(second.ledger.get(paidRef)?.sent, 'sent: kept while the flow acts on it, never sent again');
    second.watches.adopt(second.ledger.ownedBy('ps'));
    assert.equal(after.length, 1);
    await eventually(() => assert.equal(second.ledger.get(paidRef), undefined, 'then gone from the ledger'));
  });

  it('a payment made while the process was down is fetched at once after the start, not one interval later', async function () {
    const sent: Sent[] = [];
    const first = start(sent);
    await first.watches.start();
    const ref = await issued();
    first.watches.watch(ref, { order: 'R' }, { send: () => assert.fail('down'), done: () => undefined }, {});
    await first.ledger.flush();
    crash(first.ledger, first.watches);
    await rig.emu.payer.pay(ref);

    const after: Sent[] = [];
    const second = start(after);
    const started = Date.now();
    await second.watches.start();
    // The interval is 1000 ms: the first poll of a resumed watch must not wait for its slot.
    await eventually(() => assert.equal(after.length, 1), 900);
    assert.ok(Date.now() - started < 900);
    assert.equal((after[0].msg.payload as Record<string, unknown>).status, 'PAID');
    assert.equal(after[0].msg.seqr?.resumed, true);
    assert.equal(after[0].msg.seqr?.redelivered, undefined, 'polled, not redelivered: this is its first delivery');
  });

  it('an invoice recorded by send invoice for a status node that never got the message is watched by that node after the start', async function () {
    const first = start([]);
    await first.watches.start();
    const ref = await issued();
    await first.ledger.recordInvoice(ref, { amount: '42.00', currency: 'SEK', owner: 'ps', msg: { payload: { invoiceReference: ref }, order: 'W' } });
    crash(first.ledger, first.watches);
    await rig.emu.payer.pay(ref);

    const after: Sent[] = [];
    const second = start(after);
    await second.watches.start();
    await eventually(() => assert.equal(after.length, 1), 2000);
    assert.equal(after[0].msg.order, 'W');
    assert.equal((after[0].msg.payload as Record<string, unknown>).status, 'PAID');
    const status = await rig.terminal.getPaymentStatus(ref, 0);
    assert.equal(status.status, 'PAID');
  });

  it('orphans go to a stand-in, which yields an invoice to a node that claims it later', async function () {
    const first = start([]);
    await first.watches.start();
    const ref = await issued();
    await first.ledger.recordInvoice(ref, { owner: 'gone', msg: { order: 'O' } });
    crash(first.ledger, first.watches);

    const logged: Sent[] = [];
    const ledger = openLedger();
    await ledger.ready;
    let standIn: LedgerWatches<Msg> | undefined;
    const adopted = ledger.adoptOrphans(() => {
      standIn = new LedgerWatches<Msg>(ledger, rig.terminal, { owner: 'cfg', intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel', standIn: true }, recordingOutlet(logged));
      running.push(standIn);
      return standIn;
    });
    assert.deepEqual(adopted, [ref]);
    assert.ok(standIn?.get(ref), 'the stand-in watches it');

    const sent: Sent[] = [];
    const node = new LedgerWatches<Msg>(ledger, rig.terminal, { owner: 'late', intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel' }, recordingOutlet(sent));
    running.push(node);
    assert.equal(node.watch(ref, { order: 'late' }, { send: (outputs) => sent.push({ output: 1, msg: outputs[0] as Msg }), done: () => undefined }, {}), 'started');
    assert.equal(standIn?.get(ref), undefined, 'the stand-in let it go');
    await rig.emu.payer.pay(ref);
    await eventually(() => assert.equal(sent.length, 1), 3000);
    assert.equal(sent[0].msg.order, 'late');
    assert.equal(logged.length, 0, 'one outcome, on the node that claimed it');
    // A running status node keeps what it claimed.
    const other = new LedgerWatches<Msg>(ledger, rig.terminal, { owner: 'other', intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel' }, recordingOutlet([]));
    running.push(other);
    const second = await issued();
    node.watch(second, {}, { send: () => undefined, done: () => undefined }, {});
    assert.equal(other.watch(second, {}, { send: () => undefined, done: () => undefined }, {}), 'watched-elsewhere');
  });

  it('a node closed while its outcome was being recorded leaves it to its next instance, which sends it unmarked', async function () {
    const sent: Sent[] = [];
    const first = start(sent);
    await first.watches.start();
    const ref = await issued();
    const store = (first.ledger as unknown as { store: { write(changes: unknown[]): Promise<void> } }).store;
    const write = store.write.bind(store);
    first.watches.watch(ref, { order: 'X' }, { send: () => assert.fail('closed before sending'), done: () => undefined }, {});
    await first.ledger.flush();
    // The outcome's record is slow; the node is redeployed meanwhile.
    store.write = async (changes) => {
      if (JSON.stringify(changes).includes('"outcome"')) {
        first.watches.close(false);
      }
      return write(changes);
    };
    await rig.emu.payer.pay(ref);
    await eventually(() => assert.ok(first.ledger.get(ref)?.stored.outcome), 3000);
    store.write = write;
    const next = new LedgerWatches<Msg>(first.ledger, rig.terminal, { owner: 'ps', intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel' }, recordingOutlet(sent));
    running.push(next);
    await next.start();
    assert.equal(sent.length, 1);
    assert.equal(sent[0].msg.order, 'X');
    assert.equal(sent[0].msg.seqr?.redelivered, undefined, 'never sent before: not a redelivery');
  });
  it('a node redeployed less than the settle time after it sent an outcome leaves it to its next instance, which sends it again marked', async function () {
    // Node-RED drops the messages in flight when a redeploy stops the flow: the crash suite's R3 lost a PAID so.
    const sent: Sent[] = [];
    const ledger = new PaymentLedger(new FileLedgerStore(file), { onStoreError: (err) => assert.fail(err), sentSettleMs: 60_000 });
    ledgers.push(ledger);
    const options = { owner: 'ps', intervalMs: 1000, giveUpAfterMs: 60_000, onDeadline: 'cancel' as const };
    const first = new LedgerWatches<Msg>(ledger, rig.terminal, options, recordingOutlet(sent));
    running.push(first);
    await first.start();
    const ref = await issued();
    let redeployed = false;
    first.watch(ref, { order: 'Y' }, { send: (outputs) => {
      sent.push({ output: 1, msg: outputs[0] as Msg });
      // The redeploy comes while the PAID is on its way to the next node.
      setImmediate(() => {
        first.close(false);
        redeployed = true;
      });
    }, done: () => undefined }, {});
    await ledger.flush();
    await rig.emu.payer.pay(ref);
    await eventually(() => assert.ok(redeployed), 3000);
    assert.equal(sent.length, 1);
    const next = new LedgerWatches<Msg>(ledger, rig.terminal, options, recordingOutlet(sent));
    running.push(next);
    await next.start();
    assert.equal(sent.length, 2, 'sent again by the next instance');
    assert.equal(sent[1].output, 1);
    assert.deepEqual(sent[1].msg.payload, sent[0].msg.payload);
    assert.equal(sent[1].msg.order, 'Y');
    assert.equal(sent[1].msg.seqr?.redelivered, true, 'marked: the first may have arrived');
    assert.ok(ledger.get(ref)?.sent, 'and not a third time');
  });
});
