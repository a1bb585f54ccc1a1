import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { startEscPosCapture, type EscPosCapture } from '../src/pos';
import { DEFAULT_ENDPOINT } from '../src/nodes/config-types';
import { SeqrClient, buildInvoice } from '../src/seqr';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { startMosquitto, type Broker } from './helpers/mosquitto';
import { resolveFromNodeRed } from './helpers/node-red-runtime';
import { helper, HttpNodeServer, NODE_MODULES, TAB, nextMessage, type FlowNode, type TestNode } from './helpers/node-red';
import { RedisServer, redisServerInstalled } from './helpers/redis-server';
import Redis from 'ioredis';
import { eventually, pause } from './helpers/time';

/*
 * Every flow in examples/ (what the editor offers under Import ▸ Examples), deployed into a Node-RED runtime
 * the way the editor deploys an import: the example's own seqr-config with its inline credentials, only its
 * endpoint moved to an emulator on a free port. Each example has a scenario below that drives it as its
 * comment node tells a user to (press the inject, pay in the payer app) and checks the documented result.
 */

const REPO_ROOT = path.join(__dirname, '..');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const PACKAGE_TYPES = Object.keys(PACKAGE['node-red'].nodes);

type NodeModule = (RED: Record<string, unknown>) => unknown;
/** The core nodes examples may use, as Node-RED ships them (examples must not need third-party nodes). */
const CORE_NODE_FILES: Record<string, string> = {
  inject: 'common/20-inject.js',
  debug: 'common/21-debug.js',
  comment: 'common/90-comment.js',
  function: 'function/10-function.js',
  switch: 'function/10-switch.js',
  change: 'function/15-change.js',
  template: 'function/80-template.js',
  delay: 'function/89-delay.js',
  trigger: 'function/89-trigger.js',
  file: 'storage/10-file.js',
  'http in': 'network/21-httpin.js',
  'http response': 'network/21-httpin.js',
  'tcp request': 'network/31-tcpin.js',
  'mqtt out': 'network/10-mqtt.js',
  'mqtt-broker': 'network/10-mqtt.js',
};
/**
 * Dashboard 2.0's node types (ui-base, ui-form, ui-template, …): the till example's screen. Node-RED loads
 * them in the demo and in a user's editor; here they stand replaced (see `deployable`): its widgets by helper
 * nodes with the same ids and wires, so the test sends what a widget sends (the till template's Charge, Cancel
 * and New sale) and reads what a widget receives (the screens' state), and the dashboard's own config nodes are left
 * out. The real widgets run in test/demo.test.ts (over the dashboard's socket.io, as its page talks) and in
 * the browser suite.
 */
const DASHBOARD_PACKAGE = '@flowfuse/node-red-dashboard';
const DASHBOARD_TYPES = new Set(
  Object.keys((JSON.parse(readFileSync(require.resolve(`${DASHBOARD_PACKAGE}/package.json`), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes),
);
/** Core nodes the test helper loads by itself (loading them again would register them twice). */
const PRELOADED_CORE_TYPES = new Set(['catch', 'status', 'complete']);
function coreModule(type: string): NodeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(path.dirname(resolveFromNodeRed('@node-red/nodes/package.json')), 'core', CORE_NODE_FILES[type])) as NodeModule;
}

interface Example {
  name: string;
  nodes: FlowNode[];
}

const EXAMPLES: Example[] = readdirSync(EXAMPLES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ name: path.basename(file, '.json'), nodes: JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as FlowNode[] }));

type Msg = Record<string, unknown> & { payload: Record<string, unknown> };

/** A value made in a function node (another realm's Object prototype) as plain data for deepEqual. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The credentials an example's configuration may carry: SEQR's published test terminal and test shop (spec §7.1). */
const PUBLIC_CREDENTIALS: Record<string, Record<string, string>> = {
  TERMINALID: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password },
  RESELLERUSER: { principalId: PUBLIC_TEST_RESELLER.id, password: PUBLIC_TEST_RESELLER.password },
};

/** An example deployed against the emulator: its nodes found by name, as a user finds them on the canvas. */
class DeployedExample {
  constructor(
    readonly example: Example,
    readonly emu: EmulatorHandle,
  ) {}

  node(type: string, name: string): TestNode {
    const found = this.example.nodes.filter((n) => n.type === type && n.name === name);
    assert.equal(found.length, 1, `one ${type} node named "${name}" in ${this.example.name}`);
    return helper.getNode(found[0].id);
  }

  /** Presses an inject node's button (the editor's POST /inject/:id does exactly this). */
  press(name: string): void {
    this.node('inject', name).receive({});
  }

  /** A Dashboard 2.0 widget of the example (a helper node in the test), by name. */
  widget(name: string): TestNode {
    const found = this.example.nodes.filter((n) => DASHBOARD_TYPES.has(n.type) && n.name === name);
    assert.equal(found.length, 1, `one dashboard widget named "${name}" in ${this.example.name}`);
    return helper.getNode(found[0].id);
  }

  /** The next message the debug node `name` shows. */
  debug(name: string, check?: (msg: Msg) => void, timeoutMs = 8000): Promise<Msg> {
    return nextMessage<Msg>(this.node('debug', name), check, timeoutMs);
  }
}

/** Presses the inject `button`; the customer's bank declines the invoice; the failed debug shows FAILED. */
async function chargeDeclined(run: DeployedExample, button: string): Promise<void> {
  const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
  run.press(button);
  const failed = run.debug('failed');
  await run.emu.payer.decline(String((await issued).payload.invoiceReference));
  assert.equal((await failed).payload.status, 'FAILED');
}

/** What each example documents, driven as a user would. A new example needs its scenario here. */
const SCENARIOS: Record<string, (run: DeployedExample) => Promise<void>> = {
  async '01 Basic payment'(run) {
    const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Charge 149.90 SEK');
    const reference = String((await issued).payload.invoiceReference);
    const [invoice] = (await run.emu.payer.invoices()).filter((open) => open.invoiceReference === reference);
    assert.equal(invoice?.amount, '149.90', 'the payer sees the amount of the inject');

    const paid = run.debug('paid');
    await run.emu.payer.pay(reference);
    const msg = await paid;
    assert.equal(msg.payload.status, 'PAID');
    assert.equal(msg.payload.invoiceReference, reference);
    assert.equal(msg.payload.amount, '149.90');
    assert.equal(msg.payload.currency, 'SEK');
    assert.match(String(msg.payload.ersReference), /^\d+$/);
  },
  async '02 Refund'(run) {
    const paid = run.debug('paid', (msg) => assert.equal(msg.payload.status, 'PAID'));
    const refunded = run.debug('refunded');
    const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Charge 100.00 SEK');
    await run.emu.payer.pay(String((await issued).payload.invoiceReference));
    const payment = await paid;
    const refund = await refunded;
    assert.deepEqual(refund.payload, {
      ersReference: refund.payload.ersReference,
      refundedReference: payment.payload.ersReference,
      amount: '100.00',
      currency: 'SEK',
    });
    assert.notEqual(refund.payload.ersReference, payment.payload.ersReference, 'the refund has its own reference');
  },
  async '03 Cancel an invoice'(run) {
    const issued = run.debug('issued');
    run.press('Charge 25.00 SEK');
    const reference = String((await issued).payload.invoiceReference);
    assert.ok((await run.emu.payer.invoices()).some((open) => open.invoiceReference === reference), 'the payer sees it open');

    const canceled = run.debug('canceled');
    run.press('Cancel the last invoice');
    assert.deepEqual((await canceled).payload, { invoiceReference: reference, status: 'CANCELED' });
    assert.ok(!(await run.emu.payer.invoices()).some((open) => open.invoiceReference === reference), 'the payer no longer sees it');

    const again = run.debug('canceled');
    run.press('Cancel the last invoice');
    assert.deepEqual((await again).payload, { invoiceReference: reference, status: 'CANCELED', alreadyCanceled: true });
  },
  async '04 Reservation captured later'(run) {
    const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Reserve 120.00 SEK');
    const reference = String((await issued).payload.invoiceReference);
    const reserved = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'RESERVED'));
    const committed = run.debug('committed');
    const paid = run.debug('paid');
    await run.emu.payer.pay(reference);
    await reserved;
    assert.deepEqual((await committed).payload, { operation: 'commitReservation', invoiceReference: reference, amount: '95.50', currency: 'SEK' });
    const msg = await paid;
    assert.equal(msg.payload.status, 'PAID');
    assert.equal(msg.payload.invoiceReference, reference);
  },
  async '05 Terminal registration and SEQR ID'(run) {
    const registered = run.debug('registered');
    run.press('Register till 1 with sticker DEMO1001');
    const msg = await registered;
    const terminalId = String(msg.payload.terminalId);
    assert.match(terminalId, /^[0-9a-f]{32}$/);
    assert.deepEqual(msg.payload, { operation: 'registerTerminal', terminalId, externalTerminalId: 'Store 1/Till 1', name: 'Example shop, till 1', seqrId: 'DEMO1001' });

    // The new till works with the node's password, and its sticker finds its open invoice.
    const password = String((run.node('seqr-api', 'register till').credentials as { terminalPassword?: string }).terminalPassword);
    const till = new SeqrClient({ endpoint: run.emu.url, principal: { type: 'TERMINALID', id: terminalId, password } });
    try {
      const { invoiceReference } = await till.sendInvoice(buildInvoice('25.00', { currency: 'SEK', title: 'Till 1' }));
      assert.equal((await run.emu.payer.scan('HTTP://SEQR.SE/QDEMO1001')).invoiceReference, invoiceReference);
    } finally {
      till.close();
    }

    // Pressed again: another till is registered, but the sticker is taken (53), caught.
    const refused = run.debug('refused');
    run.press('Register till 1 with sticker DEMO1001');
    const error = (await refused).error as { code?: number; message?: string };
    assert.equal(error.code, 53);
    assert.match(String(error.message), /registered terminal [0-9a-f]{32}/);
    assert.ok(!String(error.message).includes(terminalId), 'a second terminal');
  },
  async '06 Day close'(run) {
    // What came before this example on the shared emulator goes into a first close.
    let report = run.debug('day report');
    run.press('Close the day');
    await report;

    const payments: string[] = [];
    for (let i = 0; i < 2; i++) {
      const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
      const paid = run.debug('paid');
      run.press('Charge 100.00 SEK');
      await run.emu.payer.pay(String((await issued).payload.invoiceReference));
      payments.push(String((await paid).payload.ersReference));
    }
    const refunded = run.debug('refunded');
    run.press('Refund 30.00 of the last payment');
    const refund = (await refunded).payload;
    assert.equal(refund.refundedReference, payments[1], 'the last payment');
    assert.equal(refund.amount, '30.00');

    report = run.debug('day report');
    run.press('Close the day');
    const day = plain((await report).payload) as Record<string, unknown> & { rows: Array<Record<string, string>> };
    assert.match(String(day.transactionPeriodId), /^\d+$/);
    assert.deepEqual(day.payments, { count: 2, total: '200.00' });
    assert.deepEqual(day.refunds, { count: 1, total: '-30.00' });
    assert.equal(day.net, '170.00');
    assert.deepEqual(day.rows.map((row) => [row.ErsReference, row.SalesAmount]), [
      [payments[0], '100.00000'],
      [payments[1], '100.00000'],
      [String(refund.ersReference), '-30.00000'],
    ]);
  },
  async '07 Loyalty card at the till'(run) {
    const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Charge 200.00 SEK');
    const reference = String((await issued).payload.invoiceReference);
    const pending = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'PENDING_ISSUER_ACKNOWLEDGE'));
    const acknowledged = run.debug('acknowledged');
    const card = { id: 'CLUB_CARD', value: '4711', description: 'Club card' };
    await run.emu.payer.scan(reference, { loyaltyToken: card });
    assert.deepEqual((await pending).payload.tokens, [{ ...card, status: 0 }], 'the card on the update output');
    assert.deepEqual(plain((await acknowledged).payload), { operation: 'updateInvoice', invoiceReference: reference, amount: '180.00', currency: 'SEK', tokens: [{ ...card, status: 1 }] });

    const paid = run.debug('paid');
    const view = await run.emu.payer.pay(reference);
    assert.equal(view.amount, '180.00', 'the payer pays the member price');
    const msg = await paid;
    assert.equal(msg.payload.status, 'PAID');
    assert.equal(msg.payload.invoiceReference, reference);
  },
  async '10 Cancel and timeout'(run) {
    // Unpaid past the deadline: TIMEOUT, kept open, watched again, and paid on the second watch.
    let issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    const timedOut = run.debug('timed out');
    run.press('Charge 49.00 SEK');
    const first = String((await issued).payload.invoiceReference);
    issued = run.debug('updates', (msg) => assert.equal(msg.payload.invoiceReference, first));
    const timeout = await timedOut;
    assert.equal(timeout.payload.status, 'TIMEOUT');
    assert.equal(timeout.payload.invoiceReference, first);
    await issued;
    assert.ok((await run.emu.payer.invoices()).some((open) => open.invoiceReference === first), 'the kept invoice is still payable');
    const paid = run.debug('paid');
    await run.emu.payer.pay(first);
    assert.equal((await paid).payload.invoiceReference, first);

    // The cashier cancels the next one: CANCELED on failed, nothing on paid.
    const second = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Charge 49.00 SEK');
    const reference = String((await second).payload.invoiceReference);
    const failed = run.debug('failed');
    run.press('Cancel the open invoice');
    const cancelled = await failed;
    assert.equal(cancelled.payload.status, 'CANCELED');
    assert.equal(cancelled.payload.invoiceReference, reference);
    assert.ok(!(await run.emu.payer.invoices()).some((open) => open.invoiceReference === reference));
  },
  async '11 Cash drawer on PAID'(run) {
    const relay = await broker.subscribe('seqr-till/drawer/relay');
    try {
      const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
      run.press('Charge 25.00 SEK');
      const reference = String((await issued).payload.invoiceReference);
      const kicked = printer.nextJob();
      await run.emu.payer.pay(reference);
      // Through the receipt printer: the drawer kick alone, nothing printed.
      assert.deepEqual((await kicked).events, [{ type: 'drawer', pin: 2, onMs: 50, offMs: 500 }]);
      // Through the MQTT relay, on a real broker: on, then off about 500 ms later.
      await eventually(async () => relay.messages.length === 2, 5000);
      assert.deepEqual(relay.messages.map((m) => m.payload), ['on', 'off'], 'the relay closes, then opens');
      assert.ok(relay.messages[1].at - relay.messages[0].at >= 400, 'a pulse of about 500 ms');

      // A declined payment opens nothing.
      const jobs = printer.jobs.length;
      await chargeDeclined(run, 'Charge 25.00 SEK');
      await pause(700);
      assert.equal(printer.jobs.length, jobs, 'no drawer kick');
      assert.equal(relay.messages.length, 2, 'no relay command');
    } finally {
      await relay.close();
    }
  },
  async '12 Receipt printer'(run) {
    const issued = run.debug('updates', (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    run.press('Charge 89.50 SEK');
    const reference = String((await issued).payload.invoiceReference);
    const paid = run.debug('paid');
    const printed = printer.nextJob();
    await run.emu.payer.pay(reference);
    const msg = await paid;
    const job = await printed;
    const receipt = String(msg.receiptText);
    // The ESC/POS job as the printer gets it: initialise, code page, the receipt, feed, cut, then the drawer kick.
    assert.deepEqual(job.events, [
      { type: 'init' },
      { type: 'command', bytes: '1b 74 10' },
      { type: 'text', text: receipt },
      { type: 'feed', lines: 4 },
      { type: 'cut', partial: true, feed: 0 },
      { type: 'drawer', pin: 2, onMs: 50, offMs: 500 },
    ]);
    const lines = receipt.trimEnd().split('\n');
    assert.ok(lines.every((line) => line.length <= 32), 'laid out for a 58 mm printer (32 columns)');
    assert.ok(lines.some((line) => /TOTAL/.test(line) && /89\.50/.test(line)), receipt);
    assert.ok(lines.some((line) => line.includes(reference)), 'the invoice reference is printed');
    assert.ok(lines.some((line) => line.includes(String((msg.seqr as { ersReference?: string }).ersReference))), `SEQR's payment reference is printed:\n${receipt}`);

    // A declined payment prints nothing.
    const jobs = printer.jobs.length;
    await chargeDeclined(run, 'Charge 89.50 SEK');
    await pause(300);
    assert.equal(printer.jobs.length, jobs, 'nothing printed');
  },
  async '20 Till dashboard'(run) {
    const screen = run.widget('till');
    const customer = run.widget('customer display');
    type Screen = Msg & {
      payload: {
        state: string; status: string; reference?: string | null; qr?: string | null; deepLink?: string | null; receipt?: string | null;
        message?: string | null; notice?: string | null; amount?: string | null; canCharge: boolean; canCancel: boolean; canNewSale: boolean;
      };
    };
    /** The next screen in `state` (states on the way to it are passed over), checked by `check`. */
    const showing = (state: string, check: (msg: Screen) => void = () => undefined, on: TestNode = screen) =>
      new Promise<Screen>((resolve, reject) => {
        const seen: string[] = [];
        const timer = setTimeout(() => {
          on.removeListener('input', onInput);
          reject(new Error(`${on.name ?? on.id} never showed "${state}"; it showed ${JSON.stringify(seen)}`));
        }, 8000);
        function onInput(msg: Screen): void {
          seen.push(msg.payload.state);
          if (msg.payload.state !== state) return;
          clearTimeout(timer);
          on.removeListener('input', onInput);
          try {
            check(msg);
            resolve(msg);
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }
        on.on('input', onInput as (...args: never[]) => void);
      });
    /** What the till's template sends on Charge: the amount as the cashier typed it. */
    const charge = async (amount: string): Promise<Screen> => {
      const waiting = showing('waiting');
      screen.send({ action: 'charge', payload: amount });
      return waiting;
    };
    const newSale = async () => {
      const idle = showing('idle');
      screen.send({ action: 'new-sale' });
      await idle;
    };

    const first = await charge('149,90');
    assert.equal(first.payload.amount, '149.90', 'typed with a decimal comma');
    assert.equal(first.payload.status, 'Waiting for payment');
    assert.match(String(first.payload.qr), /^data:image\/png;base64,/, 'the QR code as an image for <img class="seqr-qr">');
    assert.equal(first.payload.deepLink, `SEQR://SEQR.SE/R${first.payload.reference}`);
    assert.deepEqual([first.payload.canCharge, first.payload.canCancel, first.payload.canNewSale], [true, true, false]);
    // One open charge at a time: charging again cancels the first, says so, then sends the second.
    const replacing = showing('replacing', (msg) => assert.match(String(msg.payload.notice), /Cancelling the open charge of 149\.90 SEK first/));
    const second = charge('25.00');
    await replacing;
    const replaced = await second;
    assert.match(String(replaced.payload.notice), new RegExp(`The open charge of 149\\.90 SEK \\(invoice ${first.payload.reference}\\) is cancelled`));
    const open = (await run.emu.payer.invoices()).map((invoice) => invoice.invoiceReference);
    assert.ok(!open.includes(String(first.payload.reference)) && open.includes(String(replaced.payload.reference)), 'only the second is payable');
    const paid = showing('paid');
    const thanked = showing('paid', () => undefined, customer);
    await run.emu.payer.pay(String(replaced.payload.reference));
    const receipt = await paid;
    await thanked;
    assert.equal(receipt.payload.reference, replaced.payload.reference, 'the screen shows the invoice charged last');
    assert.equal(receipt.payload.message, 'Paid: 25.00 SEK.');
    assert.match(String(receipt.payload.receipt), /TOTAL\s+25\.00 SEK/);
    assert.equal(receipt.payload.qr, null, 'no QR code left to scan once paid');
    assert.deepEqual([receipt.payload.canCharge, receipt.payload.canCancel, receipt.payload.canNewSale], [false, false, true]);
    screen.send({ action: 'charge', payload: '1.00' }); // Charge is gone after an outcome: nothing happens until New sale
    await newSale();

    // The customer pays the open charge just as the cashier charges again: SEQR refuses the cancel (50, paid), the
    // till shows that payment and does not send the new charge. (Should the till's next poll see PAID before the
    // new charge arrives, the sale is simply over and the charge does nothing: the same screen, no new invoice.)
    const paidFirst = await charge('15.00');
    const seen: string[] = [];
    screen.on('input', ((msg: Screen) => seen.push(msg.payload.state)) as (...args: never[]) => void);
    const paidAfterAll = showing('paid');
    await run.emu.payer.pay(String(paidFirst.payload.reference));
    screen.send({ action: 'charge', payload: '16.00' });
    const shown = await paidAfterAll;
    assert.equal(shown.payload.reference, paidFirst.payload.reference);
    if (seen.includes('replacing')) assert.match(String(shown.payload.notice), /paid before it could be cancelled: the new charge was not sent/);
    await pause(300);
    assert.ok(!(await run.emu.payer.invoices()).some((invoice) => invoice.amount === '16.00'), 'the new charge was not sent');
    await newSale();

    // A loyalty card at the scan: SEQR waits for the till (Scanned); the till acknowledges, the customer pays.
    const carded = await charge('60.00');
    const scanned = showing('scanned');
    await run.emu.payer.scan(String(carded.payload.reference), { loyaltyToken: { id: 'CLUB_CARD', value: '4711', description: 'Club card' } });
    await scanned;
    await eventually(async () => (await run.emu.payer.invoices()).some((invoice) => invoice.invoiceReference === carded.payload.reference && invoice.status === 'ISSUED'), 8000);
    const cardPaid = showing('paid');
    await run.emu.payer.pay(String(carded.payload.reference));
    assert.match(String((await cardPaid).payload.receipt), /TOTAL\s+60\.00 SEK/, 'acknowledged as it was');
    await newSale();

    // Cancel cancels the invoice on screen at SEQR.
    const third = await charge('10.00');
    const cancelled = showing('cancelled');
    screen.send({ action: 'cancel' });
    assert.equal((await cancelled).payload.message, 'Cancelled at the till.');
    assert.ok(!(await run.emu.payer.invoices()).some((invoice) => invoice.invoiceReference === third.payload.reference), 'the payer no longer sees it');
    await newSale();

    // The customer's bank declines: the screens say so in words.
    const fourth = await charge('10.00');
    const declined = showing('declined');
    const declinedAtCustomer = showing('declined', () => undefined, customer);
    await run.emu.payer.decline(String(fourth.payload.reference));
    assert.equal((await declined).payload.message, "Declined by the customer's bank.");
    await declinedAtCustomer;
    await newSale();

    // Not an amount: send invoice refuses it, the till shows the cashier's sentence, not the developer's.
    const refused = showing('invalid', (msg) => assert.equal(msg.payload.message, 'Enter an amount such as 149.90.'));
    screen.send({ action: 'charge', payload: 'lots' });
    assert.equal((await refused).payload.canCharge, true, 'the cashier corrects the amount and charges again');
    // A double click on Charge: the second arrives while the first invoice is on its way and sends nothing.
    const openBefore = new Set((await run.emu.payer.invoices()).map((invoice) => invoice.invoiceReference));
    const waiting = showing('waiting');
    screen.send({ action: 'charge', payload: '5' });
    screen.send({ action: 'charge', payload: '5' });
    const fifth = await waiting;
    await pause(500);
    const added = (await run.emu.payer.invoices()).map((invoice) => invoice.invoiceReference).filter((reference) => !openBefore.has(reference));
    assert.deepEqual(added, [fifth.payload.reference], 'one invoice');
  },
  async '13 Webshop checkout'(run) {
    const shop = `${httpNodeUrl}/seqr-shop`;
    const bad = await fetch(`${shop}/checkout?amount=lots`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /amount/i);

    const checkout = await fetch(`${shop}/checkout?amount=75.00`);
    assert.equal(checkout.status, 200);
    assert.match(checkout.headers.get('content-type') ?? '', /^text\/html/);
    const page = await checkout.text();
    assert.match(page, /Pay 75\.00 SEK/);
    assert.match(page, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
    const reference = /\/seqr-shop\/order\/(\d+)/.exec(page)?.[1] ?? '';
    assert.match(page, new RegExp(`href="SEQR:(//|&#x2F;&#x2F;)SEQR\\.SE(/|&#x2F;)R${reference}"`), 'the deep link');
    assert.deepEqual(await (await fetch(`${shop}/order/${reference}`)).json(), { invoiceReference: reference, status: 'WAITING' });

    const outcome = run.debug('order outcome');
    const notified = run.debug('notified');
    const paidAt = Date.now();
    await run.emu.payer.pay(reference);
    assert.equal((await outcome).payload.status, 'PAID');
    const notice = (await notified).payload;
    assert.equal(notice.invoiceReference, reference, 'SEQR called the notification URL send invoice filled in');
    assert.equal(notice.watched, true, 'and the payment status node was asked to check');
    // The test gives payment status a 10 s interval: the order is paid at once only through the notification.
    assert.ok(Date.now() - paidAt < 5000, `the order was marked paid ${Date.now() - paidAt} ms after the payment`);
    assert.deepEqual(await (await fetch(`${shop}/order/${reference}`)).json(), { invoiceReference: reference, status: 'PAID' });
  },
  async '14 Two instances with Redis'(run) {
    // One instance here (the two-instance suite, test/redis, runs two): the checkout and its ledger in Redis.
    const shop = `${httpNodeUrl}/seqr-ha`;
    const page = await (await fetch(`${shop}/checkout?amount=75.00`)).text();
    assert.match(page, /Pay 75\.00 SEK/);
    const reference = /\/seqr-ha\/order\/(\d+)/.exec(page)?.[1] ?? '';
    const redis = new Redis(exampleRedis!.url);
    try {
      const entries = 'seqr-ledger:{5b0b5b0b14000c1}:entries';
      assert.equal(await redis.hexists(entries, reference), 1, 'the open invoice is in Redis');
      const outcome = run.debug('order outcome');
      await run.emu.payer.pay(reference);
      assert.equal((await outcome).payload.status, 'PAID');
      assert.deepEqual(await (await fetch(`${shop}/order/${reference}`)).json(), { invoiceReference: reference, status: 'PAID' });
      await eventually(async () => (await redis.hexists(entries, reference)) === 0, 5000);
    } finally {
      redis.disconnect();
    }
  },
};

/** The Redis of example 14's ledger (Debian's redis-server, which .ci/run installs). */
let exampleRedis: RedisServer | undefined;

/** The receipt printer and the MQTT broker of examples 11 and 12: the capture server and mosquitto on loopback. */
let printer: EscPosCapture;
let broker: Broker;

/**
 * What the test changes in an example besides the endpoint, by example and node name: wall time (a 30 s
 * deadline shortened to 2 s, 3 s between report calls to 0.2 s), the ports of the test's printer and broker, the public
 * URL of the test's HTTP server, and a 10 s poll interval, so that a PAID within seconds shows the notification at work.
 */
function testSettings(example: string): Record<string, Record<string, unknown>> {
  const settings: Record<string, Record<string, Record<string, unknown>>> = {
    '06 Day close': { 'report of the period': { reportRetryInterval: 0.2 } },
    '10 Cancel and timeout': { 'payment status (keep)': { giveUpAfter: 2 } },
    '11 Cash drawer on PAID': { 'printer (ESC/POS, TCP 9100)': { port: String(printer.port) }, 'MQTT broker (drawer relay)': { port: String(broker.port) } },
    '12 Receipt printer': { 'receipt printer (ESC/POS, TCP 9100)': { port: String(printer.port) } },
    '13 Webshop checkout': { 'SEQR notification': { publicUrl: httpNodeUrl }, 'payment status': { interval: 10_000 } },
    '14 Two instances with Redis': { 'SEQR emulator (two instances, Redis)': { redisUrl: exampleRedis?.url } },
  };
  return settings[example] ?? {};
}

/** Serves the runtime's HTTP-in app (RED.httpNode) for the examples with HTTP endpoints. */
const httpNodeServer = new HttpNodeServer();
let httpNodeUrl = '';

/** The example as the editor would deploy it into a tab, with every seqr-config moved to `endpoint`. */
function deployable(example: Example, endpoint: string): FlowNode[] {
  const settings = testSettings(example.name);
  const nodes = example.nodes
    .filter((n) => !DASHBOARD_TYPES.has(n.type) || n.x !== undefined) // the dashboard's config nodes
    .map((n): FlowNode => {
      const copy = { ...(JSON.parse(JSON.stringify(n)) as FlowNode), ...(settings[String(n.name)] ?? {}) };
      if (copy.type === 'seqr-config') copy.endpoint = endpoint;
      if (copy.x !== undefined) copy.z = TAB.id;
      // A widget stands replaced by a helper node, same id, name and wires (see DASHBOARD_TYPES).
      return DASHBOARD_TYPES.has(n.type) ? { id: n.id, type: 'helper', name: n.name, z: copy.z, x: n.x, y: n.y, wires: n.wires } : copy;
    });
  return [TAB, ...nodes];
}

describe('examples/', function () {
  it('holds example flows, each with a comment node, using only this package, core nodes and (said in the comment) Dashboard 2.0, together every node of the package', function () {
    assert.ok(EXAMPLES.length > 0);
    const used = new Set<string>();
    for (const example of EXAMPLES) {
      assert.ok(Array.isArray(example.nodes), `${example.name} is a flow (an array of nodes)`);
      assert.ok(example.nodes.some((n) => n.type === 'comment' && String(n.info ?? '').length > 100), `${example.name} explains itself in a comment node`);
      for (const n of example.nodes) {
        used.add(n.type);
        assert.ok(
          PACKAGE_TYPES.includes(n.type) || n.type in CORE_NODE_FILES || PRELOADED_CORE_TYPES.has(n.type) || DASHBOARD_TYPES.has(n.type),
          `${example.name}: ${n.type} is neither a node of this package, a core node nor Dashboard 2.0's`,
        );
        if (DASHBOARD_TYPES.has(n.type)) {
          assert.ok(example.nodes.some((c) => c.type === 'comment' && String(c.info).includes(DASHBOARD_PACKAGE)), `${example.name} says it needs ${DASHBOARD_PACKAGE}`);
        }
        assert.equal(n.z, undefined, `${example.name}: ${n.id} belongs to no tab (the import puts it on the current one)`);
        if (n.type === 'seqr-config') {
          assert.equal(n.endpoint, DEFAULT_ENDPOINT, `${example.name}: its configuration points at the local emulator`);
          assert.deepEqual(n.credentials, PUBLIC_CREDENTIALS[String(n.principalType)], `${example.name}: only SEQR's public test terminal or shop goes into an example`);
        }
      }
      assert.ok(example.name in SCENARIOS, `${example.name} has a scenario in test/examples.test.ts`);
    }
    for (const type of PACKAGE_TYPES) assert.ok(used.has(type), `${type} appears in an example`);
  });

  it('tells how to start the emulator in a way that also holds under `npm start`, whose emulator already has the port', function () {
    for (const example of EXAMPLES) {
      const comments = example.nodes.filter((n) => n.type === 'comment').map((n) => String(n.info ?? '')).join('\n');
      if (!comments.includes('npx seqr-emulator')) continue;
      // A second emulator on 8090 beside the demo's fails with EADDRINUSE.
      assert.match(comments, /npx seqr-emulator`[^\n]*under `npm start`[^\n]*already running/, `${example.name}: says to skip it under npm start`);
    }
  });

  describe('deployed against the emulator', function () {
    let emu: EmulatorHandle;

    before(async function () {
      emu = await startEmulator({ port: 0 });
      printer = await startEscPosCapture({ port: 0 });
      broker = await startMosquitto();
      await helper.startServer();
      await httpNodeServer.start();
      httpNodeUrl = httpNodeServer.url;
      if (!redisServerInstalled()) throw new Error('example 14 needs redis-server (apt-get install redis-server; .ci/run does it)');
      exampleRedis = new RedisServer();
      await exampleRedis.start();
    });
    after(async function () {
      await httpNodeServer.stop();
      await helper.stopServer();
      await emu.stop();
      await printer.stop();
      await broker.stop();
      await exampleRedis?.dispose();
    });
    afterEach(async function () {
      httpNodeServer.forget();
      await helper.unload();
    });

    for (const example of EXAMPLES) {
      it(`${example.name}: reaches its documented result`, async function () {
        const scenario = SCENARIOS[example.name];
        if (!scenario) this.skip();
        const types = new Set(example.nodes.map((n) => n.type));
        const core = new Set([...types].filter((t) => t in CORE_NODE_FILES).map(coreModule));
        const modules = [...Object.values(NODE_MODULES), ...core, httpNodeServer.module];
        // The helper registers catch/status/complete only for types in the flow it loads: one of each used.
        const preload = [...types].filter((t) => PRELOADED_CORE_TYPES.has(t)).map((type): FlowNode => ({ id: `preload-${type}`, type, z: TAB.id, x: 0, y: 0, wires: [] }));
        await helper.load(modules, [TAB, ...preload]);
        // A deploy, not a load from flows.json: the runtime takes inline credentials only from a deploy,
        // which is how an imported example gets its config node's credentials.
        await helper.setFlows(deployable(example, emu.url), 'full');
        for (const config of example.nodes.filter((n) => n.type === 'seqr-config')) {
          assert.deepEqual(helper.getNode(config.id).credentials, PUBLIC_CREDENTIALS[String(config.principalType)], 'the imported credentials are in place');
        }
        await scenario(new DeployedExample(example, emu));
      });
    }
  });
});
