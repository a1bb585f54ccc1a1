import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import type * as seqr from '../src/seqr';
import type { SeqrConfigNode } from '../src/nodes/config-types';
import { helper, NODE_MODULES, TAB, asText, callsOf, collect, everythingLogged, nextMessage, testUserDir, type FlowNode, type TestNode } from './helpers/node-red';
import { ledgerOnDisk } from './helpers/ledger-file';
import { Servers, refusedUrl } from './helpers/loopback';
import { NodeRedProcess } from './helpers/node-red-process';
import { pause } from './helpers/time';

// The protocol layer as the nodes load it (dist/), for its QR helpers and to watch the real client's calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const built = require('../dist/seqr') as typeof seqr;

const TERMINAL = { id: 'node-send-terminal', password: 'Send-pw-Zq81x' };
const CREDENTIALS = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
/** Quiet time after which "nothing reached the output" is believed. */
const QUIET_MS = 150;

type Msg = Record<string, unknown> & {
  payload?: Record<string, unknown>;
  seqr?: Record<string, unknown>;
  error?: { message: string; code?: number; cause?: Record<string, unknown>; source?: { id: string } };
};

interface FlowOptions {
  send?: Record<string, unknown>;
  config?: Record<string, unknown>;
  tab?: Record<string, unknown>;
  extra?: FlowNode[];
}

describe('seqr-send-invoice node', function () {
  let emulator: EmulatorHandle;
  const servers = new Servers();

  before(async function () {
    emulator = await startEmulator({ port: 0, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    await helper.startServer();
  });

  after(async function () {
    await helper.stopServer();
    await servers.stopAll();
    await emulator.stop();
  });

  afterEach(async function () {
    await helper.unload();
  });

  function flow(options: FlowOptions = {}): FlowNode[] {
    return [
      { ...TAB, ...options.tab },
      { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: emulator.url, ...options.config },
      { id: 'send', type: 'seqr-send-invoice', z: 'tab1', seqr: 'cfg', title: 'Coffee', wires: [['out']], ...options.send },
      { id: 'out', type: 'helper', z: 'tab1' },
      // An id equal to a type reads as a reference to a config node in Node-RED's flow parser: not 'catch'.
      { id: 'catcher', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper', z: 'tab1' },
      ...(options.extra ?? []),
    ];
  }

  async function load(options: FlowOptions = {}, credentials: Record<string, Record<string, unknown>> = CREDENTIALS): Promise<void> {
    await helper.load([NODE_MODULES.config, NODE_MODULES.sendInvoice], flow(options), credentials);
  }

  const node = (id: string): TestNode => helper.getNode(id);

  /** Sends `msg` into the send node and resolves with what comes out of it. */
  async function issue(msg: Record<string, unknown>, into = 'send'): Promise<Msg> {
    const out = nextMessage<Msg>(node('out'));
    node(into).receive(msg);
    return out;
  }

  /** Sends `msg` in and resolves with what the Catch node got, checking that nothing came out. */
  async function refused(msg: Record<string, unknown>): Promise<Msg> {
    const outputs = collect(node('out'));
    const caught = nextMessage<Msg>(node('caught'));
    node('send').receive(msg);
    const error = await caught;
    await pause(QUIET_MS);
    assert.equal(outputs.length, 0, 'nothing reaches the output');
    assert.equal(error.error?.source?.id, 'send');
    return error;
  }

  function statuses(id = 'send'): Array<Record<string, unknown>> {
    return callsOf(node(id), 'status').map((args) => args[0] as Record<string, unknown>);
  }

  function lastStatus(id = 'send'): Record<string, unknown> {
    return statuses(id).at(-1)!;
  }

  function invoiceAtSeqr(reference: string): seqr.SeqrInvoice {
    const invoice = emulator.core.invoices.get(reference);
    assert.ok(invoice, `SEQR has no invoice ${reference}`);
    return invoice.data.wire;
  }

  it('issues an invoice and sends the incoming message on with the reference, QR text and deep link', async function () {
    await load();
    const out = await issue({ payload: '149.90', order: { id: 42, lines: ['latte'] }, topic: 'till 1' });
    const reference = out.payload!.invoiceReference as string;
    assert.match(reference, /^\d{13,17}$/);
    assert.deepEqual(out.payload, {
      invoiceReference: reference,
      qrCode: `HTTP://SEQR.SE/R${reference}`,
      deepLink: `SEQR://SEQR.SE/R${reference}`,
      amount: '149.90',
      currency: 'SEK',
      title: 'Coffee',
      status: 'ISSUED',
    });
    assert.deepEqual(out.order, { id: 42, lines: ['latte'] });
    assert.equal(out.topic, 'till 1');
    assert.equal(out.qr, undefined);
    assert.equal(out.seqr!.invoiceReference, reference);
    assert.equal(out.seqr!.amount, '149.90');
    assert.equal(out.seqr!.currency, 'SEK');
    assert.equal(out.seqr!.paymentMode, 'IMMEDIATE_DEBIT');
    assert.equal(out.seqr!.acknowledgmentMode, 'NO_ACKNOWLEDGMENT');
    assert.ok(Math.abs(Date.parse(out.seqr!.sentAt as string) - Date.now()) < 5000);

    const atSeqr = invoiceAtSeqr(reference);
    assert.deepEqual(atSeqr.totalAmount, { currency: 'SEK', value: '149.90' });
    assert.equal(atSeqr.title, 'Coffee');
    assert.equal((await emulator.payer.invoices()).find((view) => view.invoiceReference === reference)?.status, 'ISSUED');

    assert.deepEqual(statuses()[0], { fill: 'blue', shape: 'ring', text: 'sending' });
    assert.deepEqual(lastStatus(), { fill: 'green', shape: 'dot', text: 'sent 149.90 SEK' });
  });

  it('has the invoice in the payment ledger on disk before its QR message leaves, naming the status node it is wired to', async function () {
    const extra: FlowNode[] = [
      { id: 'between', type: 'helper', z: 'tab1', wires: [['ps']] },
      { id: 'ps', type: 'seqr-payment-status', z: 'tab1', seqr: 'cfg', interval: 1000, giveUpAfter: 60, wires: [[], [], []] },
    ];
    await helper.load([NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus], flow({ send: { wires: [['out', 'between']] }, extra }), CREDENTIALS);
    let onDiskWhenSent: ReturnType<typeof ledgerOnDisk> | undefined;
    node('out').on('input', () => (onDiskWhenSent ??= ledgerOnDisk(testUserDir, 'cfg')));
    const out = await issue({ payload: { amount: '12.50', clientInvoiceId: 'order-77' }, order: 77 });
    const reference = String(out.payload?.invoiceReference);
    const entry = onDiskWhenSent?.get(reference);
    assert.ok(entry, 'the journal file held the invoice when the message arrived');
    assert.equal(entry.owner, 'ps', 'through the node in between');
    assert.equal(entry.claimed, undefined, 'not yet taken by the status node');
    assert.equal(entry.amount, '12.50');
    assert.equal(entry.clientInvoiceId, 'order-77');
    assert.equal(entry.message?.message.order, 77);
    assert.equal((entry.message?.message.payload as Record<string, unknown>).qrCode, out.payload?.qrCode);
  });

  it('takes an amount as a number or text, and a deep link with the configured app scheme', async function () {
    await load({ config: { appScheme: 'SEQR-DEMO' } });
    const whole = await issue({ payload: 500 });
    assert.equal(whole.payload!.amount, '500.00');
    assert.match(whole.payload!.deepLink as string, /^SEQR-DEMO:\/\/SEQR\.SE\/R\d+$/);
    const text = await issue({ payload: ' 12.5 ' });
    assert.equal(text.payload!.amount, '12.50');
  });

  it('with "Amount typed at a till" reads a cashier\'s "12,50 kr" and "1 250,00" as 12.50 and 1250.00 at SEQR', async function () {
    await load({ send: { cashierAmount: true } });
    const comma = await issue({ payload: '12,50 kr' });
    assert.equal(comma.payload!.amount, '12.50');
    assert.equal(emulator.core.invoices.get(comma.payload!.invoiceReference as string)?.data.wire.totalAmount.value, '12.50');
    const spaced = await issue({ payload: '1 250,00' });
    assert.equal(spaced.payload!.amount, '1250.00');
    const caught = await refused({ payload: '1,250' });
    assert.match(caught.error!.message, /"1,250" is ambiguous \(thousands or decimals\?\)/);
    assert.equal((caught.error!.cause as { hint?: string }).hint, 'Enter an amount such as 149.90.');
  });

  describe('msg.qr', function () {
    for (const format of ['png', 'dataurl', 'svg'] as const) {
      it(`as ${format}: the QR code of the invoice's QR text`, async function () {
        await load({ send: { qr: format } });
        const out = await issue({ payload: '20.00' });
        const qrCode = out.payload!.qrCode as string;
        const expected = { png: built.qrPng, dataurl: built.qrDataUrl, svg: built.qrSvg }[format];
        assert.deepEqual(out.qr, await expected(qrCode));
        if (format === 'png') assert.deepEqual((out.qr as Buffer).subarray(0, 8), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        if (format === 'dataurl') assert.match(out.qr as string, /^data:image\/png;base64,/);
        if (format === 'svg') assert.match(out.qr as string, /<svg[^>]*>[\s\S]*<\/svg>/);
      });
    }
  });

  it('lets an invoice object in the message override the node settings, field by field', async function () {
    await load({
      send: {
        title: 'Node title',
        currency: 'SEK',
        cashierId: 'Node cashier',
        footer: 'Node footer',
        paymentMode: 'RESERVATION_DESIRED',
        acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT',
        notificationUrl: 'http://127.0.0.1:9/node',
        backURL: 'https://shop.example/node',
      },
    });
    const defaults = await issue({ payload: '10.00' });
    const byNode = invoiceAtSeqr(defaults.payload!.invoiceReference as string);
    assert.equal(byNode.title, 'Node title');
    assert.equal(byNode.cashierId, 'Node cashier');
    assert.equal(byNode.footer, 'Node footer');
    assert.equal(byNode.paymentMode, 'RESERVATION_DESIRED');
    assert.equal(byNode.acknowledgmentMode, 'OPTIONAL_ACKNOWLEDGMENT');
    assert.equal(byNode.notificationUrl, 'http://127.0.0.1:9/node');
    assert.equal(byNode.backURL, 'https://shop.example/node');

    const out = await issue({
      payload: {
        currency: 'EUR',
        title: 'Message title',
        footer: 'Message footer',
        paymentMode: 'IMMEDIATE_DEBIT',
        acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
        notificationUrl: 'https://shop.example/notify?order=42',
        clientInvoiceId: 'order-42',
        rows: [
          { description: 'Latte', quantity: 2, unitPrice: '3.50' },
          { description: 'Bun', total: '2.25' },
        ],
      },
    });
    assert.equal(out.payload!.amount, '9.25');
    assert.equal(out.payload!.currency, 'EUR');
    assert.equal(out.payload!.title, 'Message title');
    assert.equal(out.seqr!.clientInvoiceId, 'order-42');
    const byMessage = invoiceAtSeqr(out.payload!.invoiceReference as string);
    assert.equal(byMessage.title, 'Message title');
    assert.equal(byMessage.footer, 'Message footer');
    assert.equal(byMessage.paymentMode, 'IMMEDIATE_DEBIT');
    assert.equal(byMessage.acknowledgmentMode, 'NO_ACKNOWLEDGMENT');
    assert.equal(byMessage.notificationUrl, 'https://shop.example/notify?order=42');
    assert.equal(byMessage.clientInvoiceId, 'order-42');
    assert.equal(byMessage.invoiceRows?.invoiceRow.length, 2);
    // What the message leaves out still comes from the node.
    assert.equal(byMessage.cashierId, 'Node cashier');
    assert.equal(byMessage.backURL, 'https://shop.example/node');
  });

  describe('where the amount comes from (typedInput)', function () {
    const sources: Array<{ type: string; value: string; prepare?: (send: TestNode) => void; tab?: Record<string, unknown>; amount: string }> = [
      { type: 'msg', value: 'order.total', amount: '11.10' },
      { type: 'flow', value: 'basket.total', prepare: (send) => flowContext(send).set('basket', { total: '22.20' }), amount: '22.20' },
      { type: 'global', value: 'price', prepare: (send) => globalContext(send).set('price', 33.3), amount: '33.30' },
      { type: 'env', value: 'SEQR_AMOUNT', tab: { env: [{ name: 'SEQR_AMOUNT', value: '44.40', type: 'str' }] }, amount: '44.40' },
      { type: 'num', value: '55', amount: '55.00' },
      { type: 'str', value: '66.60', amount: '66.60' },
      { type: 'json', value: '{"amount":"77.70","currency":"NOK"}', amount: '77.70' },
    ];
    for (const { type, value, prepare, tab, amount } of sources) {
      it(`reads it from ${type} ${value}`, async function () {
        await load({ send: { invoice: value, invoiceType: type }, tab });
        prepare?.(node('send'));
        const out = await issue({ payload: 'not this', order: { total: '11.10' } });
        assert.equal(out.payload!.amount, amount);
        if (type === 'json') assert.equal(out.payload!.currency, 'NOK');
      });
    }
  });

  describe('input that is no valid invoice: a catchable error naming the field and the fix', function () {
    /** msg.error.cause.hint: the sentence a cashier can act on, beside the detailed message. */
    const CASHIER_HINTS: Record<string, string> = {
      amount: 'Enter an amount such as 149.90.',
      invoice: 'Enter an amount such as 149.90.',
      currency: 'Choose a currency such as SEK.',
      rows: 'Check the items: their prices must add up to the amount.',
      notificationUrl: 'This till is not set up right: ask whoever set it up to check the send invoice node.',
      paymentMode: 'This till is not set up right: ask whoever set it up to check the send invoice node.',
    };
    const cases: Array<{ title: string; payload: unknown; field: string; says: RegExp }> = [
      { title: 'NaN', payload: NaN, field: 'amount', says: /amount: NaN is not a number; give an amount with at most two decimals, such as 149\.90/ },
      { title: '0.1 + 0.2', payload: 0.1 + 0.2, field: 'amount', says: /amount: the number 0\.30000000000000004 is not an exact decimal.*such as 149\.90/ },
      { title: 'three decimals', payload: '1.005', field: 'amount', says: /amount: 1\.005 has more than 2 decimals/ },
      { title: 'a zero amount', payload: 0, field: 'amount', says: /amount: the total 0\.00 SEK must be above 0/ },
      { title: 'text that is no number', payload: '12,50 kr', field: 'amount', says: /"12,50 kr" is not a plain decimal/ },
      { title: 'no payload', payload: undefined, field: 'invoice', says: /invoice: undefined is not accepted; give an amount such as 149\.90/ },
      { title: 'a buffer', payload: Buffer.from('149.90'), field: 'invoice', says: /msg\.payload holds a buffer or a list, not an invoice/ },
      { title: 'a bad currency', payload: { amount: '5.00', currency: 'kronor' }, field: 'currency', says: /currency: "kronor" is not a currency code; give an ISO 4217 code in capitals, such as SEK/ },
      {
        title: 'rows that do not add up',
        payload: { amount: '10.00', rows: [{ description: 'Tea', total: '4.00' }, { description: 'Cake', total: '5.00' }] },
        field: 'rows',
        says: /rows: the rows add up to 9\.00 SEK but the amount is 10\.00 SEK \(rows short by 1\.00\); make them equal/,
      },
      { title: 'a notification URL that is not http(s)', payload: { amount: '5.00', notificationUrl: 'ftp://shop.example/paid' }, field: 'notificationUrl', says: /notificationUrl: "ftp:\/\/shop\.example\/paid" is not an http:\/\/ or https:\/\/ URL/ },
      { title: 'an unknown payment mode', payload: { amount: '5.00', paymentMode: 'LATER' }, field: 'paymentMode', says: /paymentMode: "LATER" is not one of IMMEDIATE_DEBIT/ },
    ];
    for (const { title, payload, field, says } of cases) {
      it(title, async function () {
        await load();
        const caught = await refused({ payload, order: { id: 7 } });
        assert.match(caught.error!.message, /^InvoiceInputError: /);
        assert.match(caught.error!.message, says);
        assert.deepEqual(caught.error!.cause, { type: 'input', field, hint: CASHIER_HINTS[field] });
        assert.equal(caught.error!.code, undefined);
        assert.deepEqual(caught.order, { id: 7 });
        assert.equal(lastStatus().fill, 'red');
        assert.equal(lastStatus().text, `invalid ${field}`);
      });
    }

    it('a typedInput that cannot be read (bad JSON in the node)', async function () {
      await load({ send: { invoice: '{"amount": 5', invoiceType: 'json' } });
      const caught = await refused({ payload: '5.00' });
      assert.match(caught.error!.message, /^InvoiceInputError: Could not read the amount or invoice from the node's setting: /);
      assert.deepEqual(caught.error!.cause, { type: 'input', field: 'invoice', hint: CASHIER_HINTS.invoice });
    });

    it('names the source when it is not msg.payload', async function () {
      await load({ send: { invoice: 'basket', invoiceType: 'flow' } });
      const caught = await refused({ payload: '5.00' });
      assert.match(caught.error!.message, /The invoice from flow\.basket is not valid: invoice: undefined is not accepted/);
    });
  });

  describe('SEQR refuses: the code and its name reach the Catch node', function () {
    it('20 AUTHENTICATION_FAILED for a wrong password', async function () {
      await load({}, { cfg: { principalId: TERMINAL.id, password: 'Wrong-pw-Kk22' } });
      const caught = await refused({ payload: '5.00' });
      assert.equal(caught.error!.code, 20);
      assert.deepEqual(caught.error!.cause, { type: 'refused', operation: 'sendInvoice', code: 20, codeName: 'AUTHENTICATION_FAILED', transient: false });
      assert.match(caught.error!.message, /^SeqrError: SEQR sendInvoice: .*\(result code 20 AUTHENTICATION_FAILED\)$/);
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: '20 AUTHENTICATION_FAILED' });
      assert.ok(!asText(caught).includes('Wrong-pw-Kk22'));
      assert.ok(!everythingLogged().includes('Wrong-pw-Kk22'));
    });

    it('a whole Node-RED runtime (the CLI) hands the Catch node the same msg.error: code, cause, no password', async function () {
      // Node-RED copies an error's code into msg.error only since 4.1; on older ones the package's hook does
      // (copyErrorCodeOnOldRuntimes). The test helper's runtime is not the whole one: this is what users get.
      const placed = (n: FlowNode): FlowNode => ({ x: 100, y: 100, z: TAB.id, ...n });
      const nodeRed = new NodeRedProcess({
        flows: [
          TAB,
          { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: emulator.url },
          placed({ id: 'in', type: 'http in', url: '/send', method: 'post', upload: false, wires: [['send']] }),
          placed({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Coffee', wires: [[]] }),
          placed({ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['answer']] }),
          placed({ id: 'answer', type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'error', tot: 'msg' }], wires: [['resp']] }),
          placed({ id: 'resp', type: 'http response', statusCode: '', headers: {}, wires: [] }),
        ],
        credentials: { cfg: { principalId: TERMINAL.id, password: 'Wrong-pw-Kk22' } },
      });
      try {
        await nodeRed.start();
        const answer = await fetch(`${nodeRed.url}/send`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '5.00' });
        const error = (await answer.json()) as NonNullable<Msg['error']>;
        assert.equal(error.code, 20);
        assert.deepEqual(error.cause, { type: 'refused', operation: 'sendInvoice', code: 20, codeName: 'AUTHENTICATION_FAILED', transient: false });
        assert.equal(error.source?.id, 'send');
        assert.ok(!JSON.stringify(error).includes('Wrong-pw-Kk22'));
        assert.ok(!nodeRed.output.includes('Wrong-pw-Kk22'));
      } finally {
        await nodeRed.stop();
        await nodeRed.dispose();
      }
    });

    it('49 INVALID_INVOICE_DATA for an invoice SEQR will not take', async function () {
      await load();
      // The node checks currencies and rows against the same rules as the emulator, so nothing it lets through
      // earns a 49 from the emulator: have the emulator answer it, as SEQR would for a currency it does not support.
      emulator.failNext(1, 49);
      const caught = await refused({ payload: { amount: '5.00', currency: 'EUR' } });
      assert.equal(caught.error!.code, 49);
      assert.equal(caught.error!.cause!.codeName, 'INVALID_INVOICE_DATA');
      assert.equal(lastStatus().text, '49 INVALID_INVOICE_DATA');
    });

    it('93 SYSTEM_BUSY is marked transient, and the next message goes through', async function () {
      await load();
      emulator.failNext(1, 93);
      const caught = await refused({ payload: '5.00' });
      assert.equal(caught.error!.code, 93);
      assert.equal(caught.error!.cause!.transient, true);
      const out = await issue({ payload: '5.00' });
      assert.equal(out.payload!.status, 'ISSUED');
      assert.equal(lastStatus().fill, 'green');
    });
  });

  describe('no answer from SEQR', function () {
    it('refused connection: retryable, surely not processed', async function () {
      await load({ config: { endpoint: await refusedUrl() } });
      const caught = await refused({ payload: '5.00' });
      assert.equal(caught.error!.code, undefined);
      assert.deepEqual(caught.error!.cause, {
        type: 'transport',
        operation: 'sendInvoice',
        kind: 'refused',
        retryable: true,
        maybeProcessed: false,
        errorCode: 'ECONNREFUSED',
      });
      assert.doesNotMatch(caught.error!.message, /may have created/);
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'connection refused' });
    });

    it('timeout: says the invoice may exist and sends it once only', async function () {
      let requests = 0;
      const silent = await servers.tcp((socket: Socket) => {
        socket.once('data', () => requests++);
      });
      await load({ config: { endpoint: silent.url, timeout: 300 } });
      const caught = await refused({ payload: '5.00' });
      assert.equal(caught.error!.cause!.kind, 'timeout');
      assert.equal(caught.error!.cause!.retryable, true);
      assert.equal(caught.error!.cause!.maybeProcessed, true);
      assert.match(caught.error!.message, /SEQR may have created the invoice all the same\. This node does not send it again by itself/);
      assert.equal(lastStatus().text, 'timed out');
      await pause(400);
      assert.equal(requests, 1, 'sendInvoice is never retried');
    });
  });

  describe('configuration', function () {
    it('a configuration without password: red status, and each message fails naming the setting and the fix', async function () {
      await load({}, { cfg: { principalId: TERMINAL.id } });
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'missing password' });
      const caught = await refused({ payload: '5.00' });
      assert.match(caught.error!.message, /^SeqrConfigError: SEQR configuration "emulator": the password is missing\. Open the configuration, enter the password/);
      assert.deepEqual(caught.error!.cause, { type: 'config', field: 'password' });
    });

    it('no configuration selected: red status, and each message fails saying so', async function () {
      await load({ send: { seqr: '' } });
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'not configured' });
      const caught = await refused({ payload: '5.00' });
      assert.match(caught.error!.message, /No SEQR configuration: open this node, choose or add a SEQR configuration, and deploy/);
      assert.deepEqual(caught.error!.cause, { type: 'config', field: 'seqr' });
    });

    it('a node setting that makes no valid invoice: logged on deploy, red status, each message fails', async function () {
      await load({ send: { currency: 'SE' } });
      assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'bad currency' });
      assert.match(String(callsOf(node('send'), 'error')[0][0]), /This node's settings do not make a valid invoice: currency: "SE" is not a currency code.*Open the node and correct the setting/);
      const caught = await refused({ payload: { amount: '5.00', currency: 'EUR' } });
      assert.deepEqual(caught.error!.cause, { type: 'config', field: 'currency' });
    });
  });

  describe('the shared client', function () {
    let clientsUsed: Set<seqr.SeqrClient>;
    let original: seqr.SeqrClient['sendInvoice'];

    beforeEach(function () {
      // Watch which client objects the nodes call (the real calls still go to the emulator).
      clientsUsed = new Set();
      original = built.SeqrClient.prototype.sendInvoice;
      built.SeqrClient.prototype.sendInvoice = function (this: seqr.SeqrClient, ...args: Parameters<seqr.SeqrClient['sendInvoice']>) {
        clientsUsed.add(this);
        return original.apply(this, args);
      };
    });

    afterEach(function () {
      built.SeqrClient.prototype.sendInvoice = original;
    });

    const secondNode: FlowNode[] = [{ id: 'send2', type: 'seqr-send-invoice', z: 'tab1', seqr: 'cfg', wires: [['out']] }];

    it('is one client for two send nodes, closed on redeploy and replaced by a new one', async function () {
      await load({ extra: secondNode });
      const config = node('cfg') as unknown as SeqrConfigNode & { users: Record<string, unknown> };
      assert.deepEqual(Object.keys(config.users).sort(), ['send', 'send2']);
      await issue({ payload: '1.00' });
      await issue({ payload: '2.00' }, 'send2');
      assert.equal(clientsUsed.size, 1);
      const [first] = clientsUsed;

      await helper.setFlows(flow({ extra: secondNode, config: { channel: 'after-redeploy' } }), 'full', CREDENTIALS);
      const closed = await first.getPaymentStatus('1', 0).then(
        () => assert.fail('the old client still works'),
        (err: seqr.SeqrTransportError) => err,
      );
      assert.equal(closed.kind, 'closed');
      await issue({ payload: '3.00' });
      await issue({ payload: '4.00' }, 'send2');
      assert.equal(clientsUsed.size, 2);
      const second = [...clientsUsed][1];
      assert.equal(second.channel, 'after-redeploy');
    });

    it('is closed when the last node using it is deleted', async function () {
      await load();
      await issue({ payload: '1.00' });
      const [client] = clientsUsed;
      await helper.setFlows(flow().filter((n) => n.id !== 'send'), 'full', CREDENTIALS);
      const err = await client.getPaymentStatus('1', 0).then(
        () => assert.fail('the client still works'),
        (error: seqr.SeqrTransportError) => error,
      );
      assert.equal(err.kind, 'closed');
    });
  });

  it('lets a sendInvoice under way finish when the flow is redeployed, instead of cutting it off', async function () {
    // A front for the emulator that holds each answer back for 300 ms, so the redeploy starts mid-call.
    const slow = await servers.tcp((socket: Socket) => {
      const upstream = netConnect(emulator.port, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => setTimeout(() => socket.write(chunk), 300));
    });
    const endpoint = slow.url.replace(/\/soap$/, new URL(emulator.url).pathname);
    await load({ config: { endpoint } });
    const before = emulator.core.invoices.openInvoices().length;
    const sender = node('send');
    sender.receive({ payload: '5.00' });
    await pause(50);
    await helper.setFlows(flow({ config: { endpoint } }), 'full', CREDENTIALS);
    assert.equal(emulator.core.invoices.openInvoices().length, before + 1, 'the invoice was created');
    await pause(20);
    assert.deepEqual(callsOf(sender, 'error'), [], 'the call was not cut off');
    assert.equal(statuses().length, 0, 'the new node has shown nothing yet');
    assert.deepEqual(callsOf(sender, 'status').at(-1)?.[0], { fill: 'green', shape: 'dot', text: 'sent 5.00 SEK' });
  });

  it('never shows the password: not in messages, errors, statuses or the log', async function () {
    await load({ send: { qr: 'dataurl' } });
    const seen: unknown[] = [];
    seen.push(await issue({ payload: '12.00' }));
    seen.push(await refused({ payload: 0.1 + 0.2 }));
    emulator.failNext(1, 90);
    seen.push(await refused({ payload: '1.00' }));
    const text = seen.map(asText).join('\n') + everythingLogged();
    assert.ok(!text.includes(TERMINAL.password), 'the password leaked');
  });
});

function flowContext(node: TestNode): { set(key: string, value: unknown): void } {
  return (node.context as () => { flow: { set(key: string, value: unknown): void } })().flow;
}

function globalContext(node: TestNode): { set(key: string, value: unknown): void } {
  return (node.context as () => { global: { set(key: string, value: unknown): void } })().global;
}
