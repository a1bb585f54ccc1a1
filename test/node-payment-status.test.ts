import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SeqrClient, buildInvoice, type InvoiceInput } from '../src/seqr';
import { NodeRedProcess } from './helpers/node-red-process';
import { helper, NODE_MODULES, TAB, asText, collect, everythingLogged, nextMessage, testUserDir, type FlowNode, type TestNode } from './helpers/node-red';
import { ledgerOnDisk } from './helpers/ledger-file';
import { eventually, pause } from './helpers/time';

/*
 * seqr-payment-status under node-red-node-test-helper, against the emulator on loopback. Polls every 100 ms
 * (the emulator's acknowledgement window is 1000 ms: a payment the node failed to fetch would be reversed).
 */

const TERMINAL = { id: 'status-node-terminal', password: 'Stat-pw-5Vq8zK' };
const CREDENTIALS = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
const MODULES = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus];
/** SEQR's 20 s rule, shortened: ten poll intervals. A payment the node did not fetch in time is reversed. */
const ACK_WINDOW_MS = 1000;

type Msg = Record<string, unknown> & { payload: Record<string, unknown>; seqr?: Record<string, unknown>; _msgid?: string };

/** A flow node on the canvas: Node-RED treats nodes without x/y as config nodes (no Catch or Complete routing). */
function placed(node: FlowNode): FlowNode {
  return { x: 100, y: 100, ...node };
}

/** A seqr-config for the emulator and the node under test ("ps"), wired to nodes "paid", "failed", "update". */
function statusNodes(emulatorUrl: string, settings: Record<string, unknown>): FlowNode[] {
  return [
    { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: emulatorUrl },
    placed({
      id: 'ps',
      type: 'seqr-payment-status',
      z: 'tab1',
      seqr: 'cfg',
      interval: 100,
      giveUpAfter: 10,
      onDeadline: 'cancel',
      ...settings,
      wires: [['paid'], ['failed'], ['update']],
    }),
  ];
}

function flow(emulatorUrl: string, settings: Record<string, unknown> = {}, extra: FlowNode[] = []): FlowNode[] {
  return [
    TAB,
    ...statusNodes(emulatorUrl, settings),
    ...extra,
    placed({ id: 'paid', type: 'helper', z: 'tab1' }),
    placed({ id: 'failed', type: 'helper', z: 'tab1' }),
    placed({ id: 'update', type: 'helper', z: 'tab1' }),
    // Not ids 'catch' or 'complete': an id equal to a type reads as a config-node reference to Node-RED's parser.
    placed({ id: 'catcher', type: 'catch', z: 'tab1', scope: ['ps'], uncaught: false, wires: [['caught']] }),
    placed({ id: 'caught', type: 'helper', z: 'tab1' }),
    placed({ id: 'completer', type: 'complete', z: 'tab1', scope: ['ps'], uncaught: false, wires: [['completed']] }),
    placed({ id: 'completed', type: 'helper', z: 'tab1' }),
  ];
}

/** The nodes of a loaded flow and everything its outputs received. */
interface Loaded {
  ps: TestNode;
  paid: TestNode;
  failed: TestNode;
  update: TestNode;
  caught: TestNode;
  completed: TestNode;
  out: { paid: Msg[]; failed: Msg[]; update: Msg[]; caught: Msg[]; completed: Msg[] };
}

function nodesOfFlow(): Loaded {
  const [ps, paid, failed, update, caught, completed] = ['ps', 'paid', 'failed', 'update', 'caught', 'completed'].map((id) => helper.getNode(id));
  return {
    ps,
    paid,
    failed,
    update,
    caught,
    completed,
    out: {
      paid: collect<Msg>(paid),
      failed: collect<Msg>(failed),
      update: collect<Msg>(update),
      caught: collect<Msg>(caught),
      completed: collect<Msg>(completed),
    },
  };
}

async function load(
  emulatorUrl: string,
  settings: Record<string, unknown> = {},
  credentials: Record<string, Record<string, unknown>> = CREDENTIALS,
  extra: FlowNode[] = [],
): Promise<Loaded> {
  await helper.load(MODULES, flow(emulatorUrl, settings, extra), credentials);
  return nodesOfFlow();
}

/** The invoices the configuration's payment ledger holds on disk for a node (its open watches), once written. */
async function storedReferences(node: TestNode): Promise<string[]> {
  await (helper.getNode('cfg') as unknown as { ledger: { flush(): Promise<void> } }).ledger.flush();
  return [...ledgerOnDisk(testUserDir, 'cfg').values()].filter((entry) => entry.owner === node.id).map((entry) => entry.invoiceReference);
}

function statusTexts(node: TestNode): Array<{ fill?: string; shape?: string; text?: string }> {
  return node.status.args.map((args) => args[0] as { fill?: string; shape?: string; text?: string });
}

describe('seqr-payment-status node', function () {
  let emu: EmulatorHandle;
  let client: SeqrClient;

  before(async function () {
    emu = await startEmulator({ port: 0, ackWindowMs: ACK_WINDOW_MS, defaultCommitTimeoutMs: 300, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    client = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...TERMINAL } });
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    client.close();
    await emu.stop();
  });
  afterEach(async function () {
    await helper.unload();
  });

  async function issue(input: string | InvoiceInput = '149.90'): Promise<string> {
    return (await client.sendInvoice(buildInvoice(input, { currency: 'SEK', title: 'node test' }))).invoiceReference;
  }

  /** A loaded flow watching one new invoice, once the node has reported it ISSUED. */
  async function watchOne(message: Record<string, unknown> = {}): Promise<{ n: Loaded; ref: string }> {
    const n = await load(emu.url);
    const ref = await issue();
    n.ps.receive({ payload: ref, ...message });
    await nextMessage<Msg>(n.update);
    return { n, ref };
  }

  it('sends a paid invoice out of output 1 on the incoming message, once, and done() reaches a Complete node', async function () {
    const n = await load(emu.url);
    const ref = await issue('149.90');
    n.ps.receive({ payload: { invoiceReference: ref, amount: '149.90', currency: 'SEK' }, order: { id: 7 }, topic: 'sale' });
    const issued = await nextMessage<Msg>(n.update);
    assert.equal(issued.payload.status, 'ISSUED');
    assert.equal(issued.payload.invoiceReference, ref);
    assert.deepEqual(issued.order, { id: 7 });
    assert.deepEqual(await storedReferences(n.ps), [ref]);

    await emu.payer.pay(ref);
    const paid = await nextMessage<Msg>(n.paid);
    assert.equal(paid.payload.status, 'PAID');
    assert.equal(paid.payload.invoiceReference, ref);
    assert.match(String(paid.payload.ersReference), /^\d{25}$/);
    assert.equal(paid.payload.amount, '149.90');
    assert.equal(paid.payload.currency, 'SEK');
    assert.equal(typeof paid.payload.paidAt, 'string');
    assert.equal((paid.payload.receipt as { paymentReference: string }).paymentReference, paid.payload.ersReference);
    assert.equal(paid.seqr?.invoiceReference, ref);
    assert.equal(paid.seqr?.ersReference, paid.payload.ersReference);
    assert.deepEqual(paid.order, { id: 7 });
    assert.equal(paid._msgid, issued._msgid, 'the same message goes on');
    assert.notEqual((issued.payload as Record<string, unknown>).status, 'PAID', 'the update sent earlier was a copy');

    const completed = await nextMessage<Msg>(n.completed);
    assert.equal(completed._msgid, paid._msgid);
    // Kept for a second after it was sent (while the flow acts on it), then forgotten.
    await eventually(async () => assert.deepEqual(await storedReferences(n.ps), [], 'the watch is forgotten after its outcome'), 15_000);
    await eventually(() => {
      const texts = statusTexts(n.ps);
      assert.deepEqual(texts[0], { fill: 'blue', shape: 'ring', text: 'watching 1' });
      assert.deepEqual(texts[texts.length - 1], { fill: 'green', shape: 'dot', text: 'paid 149.90 SEK' });
    });

    // Past the acknowledgement window, SEQR has not reversed it: the node's poll fetched the PAID in time.
    await pause(ACK_WINDOW_MS + 100);
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'PAID');
    assert.equal(n.out.paid.length, 1);
    assert.equal(n.out.failed.length, 0);
    assert.equal(n.out.update.length, 1);
  });

  it('takes a payment end to end behind seqr-send-invoice: the invoice message comes out paid', async function () {
    const send = placed({ id: 'send', type: 'seqr-send-invoice', z: 'tab1', seqr: 'cfg', title: 'Coffee', wires: [['ps']] });
    const n = await load(emu.url, {}, CREDENTIALS, [send]);
    helper.getNode('send').receive({ payload: '149.90', order: { id: 9 } });
    const issued = await nextMessage<Msg>(n.update);
    await emu.payer.pay(String(issued.payload.invoiceReference));
    const paid = await nextMessage<Msg>(n.paid);
    assert.equal(paid.payload.status, 'PAID');
    assert.equal(paid.payload.amount, '149.90');
    assert.equal(paid.payload.currency, 'SEK');
    assert.deepEqual(paid.order, { id: 9 });
    assert.equal(paid.seqr?.invoiceReference, issued.payload.invoiceReference);
    assert.equal(typeof paid.seqr?.sentAt, 'string', 'what seqr-send-invoice put in msg.seqr is kept');
    assert.equal(paid.seqr?.ersReference, paid.payload.ersReference);
  });

  it('puts a plain-text receipt for the chosen printer width in msg.receiptText of the paid message', async function () {
    const n = await load(emu.url, { receiptWidth: '48' });
    const ref = await issue({
      title: 'Table 4',
      footer: 'Welcome back',
      rows: [
        { description: 'Latte', quantity: 2, unitPrice: '35.00', total: '70.00' },
        { description: 'Cinnamon bun', total: '0.10' },
      ],
    });
    n.ps.receive({ payload: ref });
    await emu.payer.pay(ref);
    const paid = await nextMessage<Msg>(n.paid);
    const text = String(paid.receiptText);
    const lines = text.split('\n');
    assert.ok(lines.every((line) => [...line].length <= 48), text);
    assert.equal(lines[0].trim(), TERMINAL.id, 'the merchant (SEQR receiverName) heads it');
    assert.ok(text.includes(`Latte${' '.repeat(38)}70.00\n  2 x 35.00\nCinnamon bun${' '.repeat(32)}0.10\n`), text);
    assert.ok(text.includes(`TOTAL${' '.repeat(34)}70.10 SEK\n`), text);
    assert.ok(text.includes(`\nSEQR payment\n`), text);
    assert.ok(text.includes(`Reference${' '.repeat(14)}${String(paid.payload.ersReference)}\n`), text);
    assert.ok(text.endsWith('\nWelcome back\n'), text);

    // The default width is 32, and a payment without rows still gets its receipt.
    await helper.unload();
    const narrow = await load(emu.url);
    const plain = await issue('12.00');
    narrow.ps.receive({ payload: plain });
    await emu.payer.pay(plain);
    const receipt = String((await nextMessage<Msg>(narrow.paid)).receiptText);
    assert.ok(receipt.includes(`TOTAL${' '.repeat(18)}12.00 SEK\n`), receipt);
    assert.ok(receipt.split('\n').every((line) => [...line].length <= 32), receipt);
  });

  it('sends declined, payer-cancelled and expired invoices out of output 2 with their status', async function () {
    const n = await load(emu.url);
    const declined = await issue();
    const cancelled = await issue();
    const reserved = await issue({ amount: '80.00', paymentMode: 'RESERVATION_REQUIRED' });
    n.ps.receive({ payload: declined });
    n.ps.receive({ seqr: { invoiceReference: cancelled } });
    n.ps.receive({ payload: { invoiceReference: reserved } });
    await eventually(() => assert.equal(n.out.update.length, 3));
    await emu.payer.decline(declined);
    await emu.payer.cancel(cancelled);
    await emu.payer.pay(reserved);
    await eventually(() => assert.equal(n.out.failed.length, 3));
    const byRef = new Map(n.out.failed.map((m) => [m.payload.invoiceReference, m.payload]));
    assert.equal(byRef.get(declined)?.status, 'FAILED');
    assert.equal(byRef.get(cancelled)?.status, 'CANCELED');
    assert.equal(byRef.get(reserved)?.status, 'EXPIRED');
    for (const payload of byRef.values()) assert.equal(typeof payload.reason, 'string');
    const reservedUpdates = n.out.update.filter((m) => m.payload.invoiceReference === reserved).map((m) => m.payload.status);
    assert.deepEqual(reservedUpdates, ['ISSUED', 'RESERVED']);
    assert.equal(n.out.completed.length, 3);
    assert.equal(n.out.paid.length, 0);
    await eventually(() => assert.deepEqual(statusTexts(n.ps).pop(), { fill: 'red', shape: 'ring', text: 'failed: EXPIRED' }));
  });

  it('words each outcome for people in payload.message beside the machine fields (status, cancelled)', async function () {
    const n = await load(emu.url);
    const [paid, declined, byCustomer, atTill, expired] = await Promise.all([
      issue('20.00'),
      issue(),
      issue(),
      issue(),
      issue({ amount: '80.00', paymentMode: 'RESERVATION_REQUIRED' }),
    ]);
    for (const ref of [paid, declined, byCustomer, atTill, expired]) n.ps.receive({ payload: { invoiceReference: ref, amount: ref === paid ? '20.00' : '149.90', currency: 'SEK' } });
    await eventually(() => assert.equal(n.out.update.length, 5));
    await emu.payer.pay(paid);
    await emu.payer.decline(declined);
    await emu.payer.cancel(byCustomer);
    n.ps.receive({ topic: 'cancel', payload: atTill });
    await emu.payer.pay(expired);
    await eventually(() => assert.equal(n.out.failed.length + n.out.paid.length, 5));
    assert.equal(n.out.paid[0]?.payload.message, 'Paid: 20.00 SEK.');
    const byRef = new Map(n.out.failed.map((m) => [m.payload.invoiceReference, m.payload]));
    assert.deepEqual(
      [declined, byCustomer, atTill, expired].map((ref) => [byRef.get(ref)?.status, byRef.get(ref)?.cancelled, byRef.get(ref)?.message]),
      [
        ['FAILED', undefined, "Declined by the customer's bank."],
        ['CANCELED', undefined, 'Cancelled by the customer.'],
        ['CANCELED', true, 'Cancelled at the till.'],
        ['EXPIRED', undefined, 'Not paid in time: the invoice expired.'],
      ],
    );
  });

  it('shows a loyalty scan with the customer token on output 3', async function () {
    const n = await load(emu.url);
    const ref = await issue({ amount: '50.00', acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
    n.ps.receive({ payload: ref });
    await nextMessage<Msg>(n.update);
    await emu.payer.scan(ref, { loyaltyToken: { id: 'CLUB', value: '4711', description: 'Club card' } });
    const pending = await nextMessage<Msg>(n.update);
    assert.equal(pending.payload.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.equal(pending.payload.previousStatus, 'ISSUED');
    assert.deepEqual(pending.payload.tokens, [{ description: 'Club card', id: 'CLUB', status: 0, value: '4711' }]);
  });

  it('at the deadline cancels the invoice and reports TIMEOUT (policy cancel)', async function () {
    const n = await load(emu.url, { giveUpAfter: 0.3 });
    const ref = await issue();
    n.ps.receive({ payload: ref });
    const timedOut = await nextMessage<Msg>(n.failed);
    assert.equal(timedOut.payload.status, 'TIMEOUT');
    assert.equal(timedOut.payload.cancelled, true);
    assert.equal(timedOut.payload.message, 'Not paid in time: the invoice is cancelled.');
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'CANCELED');
    assert.equal(n.out.completed.length, 1);
  });

  it('at the deadline reports TIMEOUT and keeps the invoice open; the same reference sent again resumes (policy keep)', async function () {
    const n = await load(emu.url, { giveUpAfter: 0.3, onDeadline: 'keep' });
    const ref = await issue();
    n.ps.receive({ payload: ref, attempt: 1 });
    const timedOut = await nextMessage<Msg>(n.failed);
    assert.equal(timedOut.payload.status, 'TIMEOUT');
    assert.equal(timedOut.payload.cancelled, false);
    assert.equal(timedOut.payload.message, 'Not paid in time: the invoice may still be open.');
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'ISSUED');
    n.ps.receive({ payload: ref, attempt: 2 });
    await nextMessage<Msg>(n.update);
    await emu.payer.pay(ref);
    const paid = await nextMessage<Msg>(n.paid);
    assert.equal(paid.attempt, 2);
  });

  it('a cancel message cancels the watched invoice: the original message comes out CANCELED, both are done', async function () {
    const { n, ref } = await watchOne({ order: 'A' });
    n.ps.receive({ topic: 'cancel', payload: ref, control: true });
    const cancelled = await nextMessage<Msg>(n.failed);
    assert.equal(cancelled.payload.status, 'CANCELED');
    assert.equal(cancelled.order, 'A');
    await eventually(() => assert.equal(n.out.completed.length, 2));
    assert.deepEqual(n.out.completed.map((m) => m.control ?? m.order).sort(), ['A', true]);
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'CANCELED');
  });

  it('a cancel racing the payment: SEQR refuses (51), the watch goes on and PAID comes out of output 1', async function () {
    // An emulator whose bank takes 300 ms, so that the payment is in progress when the cancel arrives.
    const slowBank = await startEmulator({ port: 0, processingMs: 300, ackWindowMs: ACK_WINDOW_MS, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    const slowClient = new SeqrClient({ endpoint: slowBank.url, principal: { type: 'TERMINALID', ...TERMINAL } });
    try {
      const n = await load(slowBank.url);
      const { invoiceReference: ref } = await slowClient.sendInvoice(buildInvoice('42.00', { currency: 'SEK' }));
      n.ps.receive({ payload: ref });
      await nextMessage<Msg>(n.update);
      const paying = slowBank.payer.pay(ref);
      n.ps.receive({ topic: 'cancel', payload: ref });
      await paying;
      const paid = await nextMessage<Msg>(n.paid);
      assert.equal(paid.payload.status, 'PAID');
      assert.match(everythingLogged(), /SEQR refused to cancel invoice \d+ \(51 CANNOT_CANCEL_INVOICE_IN_PROGRESS\)/);
      await pause(ACK_WINDOW_MS + 100);
      assert.equal((await slowClient.getPaymentStatus(ref, 0)).status, 'PAID');
      assert.equal(n.out.failed.length, 0);
    } finally {
      await helper.unload();
      slowClient.close();
      await slowBank.stop();
    }
  });

  it('a cancel message for an invoice not watched (after a kept TIMEOUT) watches and cancels it', async function () {
    const n = await load(emu.url);
    const ref = await issue();
    n.ps.receive({ topic: 'cancel', seqr: { invoiceReference: ref } });
    const cancelled = await nextMessage<Msg>(n.failed);
    assert.equal(cancelled.payload.status, 'CANCELED');
    assert.equal(cancelled.topic, 'cancel');
  });

  it('a stop message stops watching without cancelling: nothing comes out, both messages are done', async function () {
    const { n, ref } = await watchOne({ order: 'B' });
    n.ps.receive({ topic: 'stop', payload: ref });
    await eventually(() => assert.equal(n.out.completed.length, 2));
    assert.deepEqual(await storedReferences(n.ps), []);
    await emu.payer.pay(ref);
    await pause(ACK_WINDOW_MS + 200);
    assert.equal(n.out.paid.length + n.out.failed.length, 0);
    // Nobody fetched it, so SEQR reversed the payment after its window, as it would for any abandoned till
    // (this read comes after the window: had it come first, it would have acknowledged the payment).
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'CANCELED');
  });

  it('does not watch a reference twice: the second message draws a warning and is done', async function () {
    const n = await load(emu.url);
    const ref = await issue();
    n.ps.receive({ payload: ref, n: 1 });
    n.ps.receive({ payload: ref, n: 2 });
    await eventually(() => assert.equal(n.out.completed.length, 1));
    assert.equal(n.out.completed[0].n, 2);
    assert.match(everythingLogged(), new RegExp(`Already watching invoice ${ref}`));
    await emu.payer.pay(ref);
    const paid = await nextMessage<Msg>(n.paid);
    assert.equal(paid.n, 1);
    await pause(300);
    assert.equal(n.out.paid.length, 1);
  });

  it('watches 50 invoices at once and sends each out once with its own message', async function () {
    const n = await load(emu.url);
    const refs = await Promise.all(Array.from({ length: 50 }, (_, i) => issue(`${10 + i}.00`)));
    refs.forEach((ref, i) => n.ps.receive({ payload: { invoiceReference: ref }, order: i }));
    await eventually(() => assert.equal(n.out.update.length, 50));
    await eventually(() => assert.ok(statusTexts(n.ps).some((s) => s.text === 'watching 50'), 'status watching 50'));
    await Promise.all(refs.map((ref, i) => (i % 10 === 3 ? emu.payer.decline(ref) : emu.payer.pay(ref))));
    await eventually(() => assert.equal(n.out.paid.length + n.out.failed.length, 50), 30_000);
    await pause(300);
    assert.equal(n.out.paid.length, 45);
    assert.equal(n.out.failed.length, 5);
    for (const msg of [...n.out.paid, ...n.out.failed]) {
      assert.equal(msg.payload.invoiceReference, refs[msg.order as number], 'each outcome on its own message');
    }
    assert.equal(new Set(n.out.paid.map((m) => m.payload.invoiceReference)).size, 45);
    assert.equal(n.out.completed.length, 50);
  });

  it('polls on through an outage, shows it retrying, and still delivers PAID within the acknowledgement window', async function () {
    const { n, ref } = await watchOne();
    await emu.suspend();
    await eventually(() => assert.ok(statusTexts(n.ps).some((s) => s.fill === 'yellow' && s.text === 'retrying 1 of 1'), 'status retrying'));
    await emu.payer.pay(ref);
    await pause(150);
    await emu.resume();
    await eventually(() => assert.equal(n.out.paid.length, 1));
    await eventually(() => assert.deepEqual(statusTexts(n.ps).pop(), { fill: 'green', shape: 'dot', text: 'paid 149.90 SEK' }));
    await pause(ACK_WINDOW_MS + 100);
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'PAID');
  });

  it("polls on through SEQR's transient codes (93 busy, 94 unavailable) and delivers PAID", async function () {
    const { n, ref } = await watchOne();
    emu.failNext(3, 93);
    await eventually(() => assert.ok(statusTexts(n.ps).some((s) => s.fill === 'yellow'), 'status retrying'));
    emu.failNext(1, 94);
    await emu.payer.pay(ref);
    const paid = await nextMessage<Msg>(n.paid);
    assert.equal(paid.payload.status, 'PAID');
    assert.equal(n.out.failed.length, 0);
  });

  it('ends the watch with ERROR and the SEQR code on a refusal that will not go away', async function () {
    const { n } = await watchOne();
    emu.failNext(1, 90);
    const error = await nextMessage<Msg>(n.failed);
    assert.equal(error.payload.status, 'ERROR');
    assert.equal(error.payload.code, 90);
    assert.equal(error.payload.codeName, 'SYSTEM_ERROR');
    assert.equal(error.payload.invoiceStatus, 'ISSUED');
  });

  it('resumes every open watch after a redeploy, with its original message, and delivers PAID once', async function () {
    // The helper runs Node-RED with the default, unconfigured memory context, which the runtime deletes when a
    // node closes: this is the case the in-process handover exists for.
    const n = await load(emu.url);
    const ref = await issue('25.00');
    const other = await issue('26.00');
    n.ps.receive({ payload: { invoiceReference: ref, amount: '25.00', currency: 'SEK' }, order: { id: 'R1' }, qr: Buffer.from('png'), callback: () => 1 });
    n.ps.receive({ payload: other, order: { id: 'R2' } });
    await eventually(() => assert.equal(n.out.update.length, 2));
    const firstId = n.out.update.find((m) => m.payload.invoiceReference === ref)?._msgid;

    await helper.setFlows(flow(emu.url), 'full', CREDENTIALS);
    const m = nodesOfFlow();
    assert.notEqual(m.ps, n.ps, 'a new node instance');
    await emu.payer.pay(ref);
    await emu.payer.pay(other);
    await eventually(() => assert.equal(m.out.paid.length, 2));
    await pause(400);
    assert.equal(m.out.paid.length + n.out.paid.length, 2, 'each PAID exactly once');
    const paid = m.out.paid.find((msg) => msg.payload.invoiceReference === ref) as Msg;
    assert.equal(paid._msgid, firstId);
    assert.deepEqual(paid.order, { id: 'R1' });
    // Within one run of Node-RED the live message is handed over whole (the restart test shows what is lost).
    assert.ok(Buffer.isBuffer(paid.qr), 'msg.qr is still a Buffer');
    assert.equal(typeof paid.callback, 'function');
    assert.equal(paid.seqr?.resumed, true);
    assert.deepEqual(paid.seqr?.lostProperties, []);
    assert.equal(paid.payload.amount, '25.00');
    assert.deepEqual(m.out.update, [], 'no status repeated after the resume');
    await eventually(() => assert.equal(m.out.completed.length, 2), 15_000);
    assert.match(everythingLogged(), /Resumed watching 2 invoice\(s\)/);
  });

  it('hands its invoices to the configuration when deleted: it watches them on and logs the PAID, which SEQR keeps', async function () {
    // The configuration polls at SEQR's 1 s, so this emulator keeps SEQR's window longer than that (3 s, not the
    // 1 s the 100 ms status node is tested against).
    const seqr = await startEmulator({ port: 0, ackWindowMs: 3000, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    const seqrClient = new SeqrClient({ endpoint: seqr.url, principal: { type: 'TERMINALID', ...TERMINAL } });
    try {
      const n = await load(seqr.url);
      const ref = (await seqrClient.sendInvoice(buildInvoice('149.90', { currency: 'SEK', title: 'node test' }))).invoiceReference;
      n.ps.receive({ payload: ref });
      await nextMessage<Msg>(n.update);
      await helper.setFlows(flow(seqr.url).filter((node) => node.id !== 'ps'), 'full', CREDENTIALS);
      assert.match(everythingLogged(), new RegExp(`Stopped watching 1 invoice\\(s\\) because this node was deleted or disabled: ${ref}\\. The configuration watches them on`));
      await eventually(() => assert.match(everythingLogged(), new RegExp(`Watching 1 open invoice\\(s\\) that no running payment status node owns .*: ${ref}\\.`)));
      await seqr.payer.pay(ref);
      await eventually(() => assert.match(everythingLogged(), new RegExp(`Invoice ${ref} was PAID \\(ersReference \\d{25}, 149.90 SEK\\), but no payment status node owns it`)), 15_000);
      assert.equal(n.out.paid.length, 0, 'the deleted node sends nothing');
      // The configuration's poll fetched the PAID: past the acknowledgement window SEQR has not reversed it.
      await pause(3100);
      assert.equal((await seqrClient.getPaymentStatus(ref, 0)).status, 'PAID');
      assert.equal(ledgerOnDisk(testUserDir, 'cfg').size, 0, 'the ledger is empty after the outcome');
    } finally {
      await helper.unload();
      seqrClient.close();
      await seqr.stop();
    }
  });

  it('rejects a message without a usable reference with an error a Catch node sees', async function () {
    const n = await load(emu.url);
    for (const bad of [{ payload: 42 }, { payload: {} }, { payload: '' }, { payload: 'two words' }, { seqr: { invoiceReference: ['x'] } }]) {
      n.ps.receive(bad);
    }
    await eventually(() => assert.equal(n.out.caught.length, 5));
    for (const caught of n.out.caught) {
      const error = caught.error as { message: string; source: { id: string } };
      assert.match(error.message, /invoiceReference: missing or not a reference/);
      assert.equal(error.source.id, 'ps');
    }
    assert.deepEqual(statusTexts(n.ps), []);
  });

  it('warns at deploy when polling slower than SEQR allows, and refuses bad settings with a catchable error', async function () {
    await load(emu.url, { interval: 2000 });
    assert.match(everythingLogged(), /Polling every 2000 ms: SEQR reverses a payment/);
    await helper.unload();

    const n = await load(emu.url, { interval: 20 });
    n.ps.receive({ payload: '12345' });
    const caught = await nextMessage<Msg>(n.caught);
    assert.match((caught.error as { message: string }).message, /poll interval must be a number of milliseconds from 50 to 10000/);
    assert.deepEqual(statusTexts(n.ps)[0], { fill: 'red', shape: 'ring', text: 'bad interval' });
  });

  it('never shows the password: a wrong one ends the watch with ERROR 20 and appears nowhere', async function () {
    const wrong = 'Wrong-pw-Zx81Lk';
    const n = await load(emu.url, {}, { cfg: { principalId: TERMINAL.id, password: wrong } });
    const ref = await issue();
    n.ps.receive({ payload: ref });
    const error = await nextMessage<Msg>(n.failed);
    assert.equal(error.payload.status, 'ERROR');
    assert.equal(error.payload.code, 20);
    assert.equal(error.payload.codeName, 'AUTHENTICATION_FAILED');
    const everything = [everythingLogged(), ...Object.values(n.out).flat().map(asText)].join('\n');
    assert.ok(!everything.includes(wrong), 'wrong password leaked');
    assert.ok(!everything.includes(TERMINAL.password), 'password leaked');
  });
});

describe('seqr-payment-status node: a full Node-RED restart mid-payment (real runtime, no context store needed)', function () {
  this.timeout(40_000);
  let emu: EmulatorHandle;
  let client: SeqrClient;
  let collector: http.Server;
  let collectorUrl = '';
  const received: Array<{ output: number; payload: Record<string, unknown>; seqr?: Record<string, unknown>; order?: string; hasReq: boolean }> = [];
  let nodeRed: NodeRedProcess | undefined;

  before(async function () {
    emu = await startEmulator({ port: 0, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    client = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...TERMINAL } });
    collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/outcome`;
  });
  after(async function () {
    await nodeRed?.dispose();
    client.close();
    await emu.stop();
    collector.closeAllConnections();
    await new Promise((resolve) => collector.close(resolve));
  });

  function restartFlow(): FlowNode[] {
    const report = (output: number, id: string): FlowNode =>
      placed({
        id,
        type: 'function',
        z: 'tab1',
        outputs: 1,
        func: `return { payload: { output: ${output}, payload: msg.payload, seqr: msg.seqr, order: msg.order, hasReq: !!msg.req } };`,
        wires: [['post']],
      });
    return [
      TAB,
      ...statusNodes(emu.url, { giveUpAfter: 60 }),
      placed({ id: 'in', type: 'http in', z: 'tab1', url: '/watch', method: 'post', upload: false, wires: [['prep', 'resp']] }),
      placed({ id: 'resp', type: 'http response', z: 'tab1', statusCode: '', headers: {}, wires: [] }),
      placed({ id: 'prep', type: 'function', z: 'tab1', outputs: 1, func: 'msg.order = msg.payload.order; return msg;', wires: [['ps']] }),
      report(1, 'paid'),
      report(2, 'failed'),
      report(3, 'update'),
      placed({ id: 'post', type: 'http request', z: 'tab1', method: 'POST', ret: 'txt', paytoqs: 'ignore', url: collectorUrl, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [[]] }),
    ];
  }

  it('resumes the watch with what could be stored of its message and delivers PAID exactly once', async function () {
    const { invoiceReference: ref } = await client.sendInvoice(buildInvoice('77.00', { currency: 'SEK', title: 'restart' }));
    nodeRed = new NodeRedProcess({ flows: restartFlow(), credentials: { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } } });
    await nodeRed.start();
    const answer = await fetch(`${nodeRed.url}/watch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ invoiceReference: ref, order: 'R-1' }),
    });
    assert.equal(answer.status, 200);
    await eventually(() => assert.ok(received.some((r) => r.output === 3 && r.payload.status === 'ISSUED'), 'ISSUED reported'), 15_000);
    assert.equal(received.find((r) => r.output === 3)?.hasReq, true, 'the live message carries the request');

    await nodeRed.stop();
    // The customer pays while Node-RED is down; the restarted node must fetch it before SEQR's 20 s window ends.
    await emu.payer.pay(ref);
    await nodeRed.start();
    const started = Date.now();
    await eventually(() => assert.ok(received.some((r) => r.output === 1), 'PAID reported'), 15_000);
    const resumedWithin = Date.now() - started;
    await pause(1000);

    const outcomes = received.filter((r) => r.output !== 3);
    assert.equal(outcomes.length, 1, 'exactly one outcome');
    const [paid] = outcomes;
    assert.equal(paid.output, 1);
    assert.equal(paid.payload.status, 'PAID');
    assert.equal(paid.payload.invoiceReference, ref);
    assert.match(String(paid.payload.ersReference), /^\d{25}$/);
    assert.equal(paid.order, 'R-1', 'the stored message came back');
    assert.equal(paid.hasReq, false);
    assert.equal(paid.seqr?.resumed, true);
    assert.deepEqual(paid.seqr?.lostProperties, ['req', 'res']);
    // What matters is SEQR's 20 s window; the node's first poll comes within one interval of its start (see the
    // watcher's phase test), the rest is the report's way to the collector (slow under coverage).
    assert.ok(resumedWithin < 5000, `resumed and paid ${resumedWithin} ms after the start`);
    assert.equal(received.filter((r) => r.output === 3).length, 1, 'no status repeated after the restart');
    assert.match(nodeRed.output, /Resumed watching 1 invoice\(s\)/);
    assert.ok(!nodeRed.output.includes(TERMINAL.password), 'the password is in no log line');
    assert.equal((await client.getPaymentStatus(ref, 0)).status, 'PAID');
  });
});
