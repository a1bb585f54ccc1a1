import assert from 'node:assert/strict';
import { emulatorForNodeTests } from './helpers/node-emulator';
import { SeqrClient, buildInvoice, PUBLIC_TEST_RESELLER } from '../src/seqr';
import { helper, NODE_MODULES, asText, callsOf, caughtFrom, everythingLogged, nextMessage, oneNodeFlow, passedThrough, type FlowNode, type TestNode } from './helpers/node-red';

/*
 * seqr-api under node-red-node-test-helper against the emulator: each operation, a reservation captured after
 * RESERVED, a loyalty token acknowledged with updateInvoice, a day close through REPORT_NOT_READY, and SEQR's
 * refusals reaching a Catch node with their codes.
 */

const TERMINAL = { id: 'node-api-terminal', password: 'Api-pw-3Lm9x' };
const NEW_TERMINAL_PASSWORD = 'New-till-pw-7Qz4r';
const TERMINAL_CREDENTIALS = { principalId: TERMINAL.id, password: TERMINAL.password };
const RESELLER_CREDENTIALS = { principalId: PUBLIC_TEST_RESELLER.id, password: PUBLIC_TEST_RESELLER.password };
const MODULES = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus, NODE_MODULES.api];
/** Short waits for reports (wall time: the emulator answers REPORT_NOT_READY a counted number of times). */
const FAST_REPORTS = { reportRetryInterval: 0.05, reportGiveUpAfter: 2 };

type Msg = Record<string, unknown> & {
  payload: Record<string, unknown>;
  error?: { message: string; code?: number; cause?: Record<string, unknown>; source?: { id: string } };
};

describe('seqr-api node', function () {
  const rig = emulatorForNodeTests(TERMINAL, { reportNotReadyCalls: 2 });

  async function load(api: Record<string, unknown> = {}, options: { reseller?: boolean; extra?: FlowNode[]; credentials?: Record<string, unknown> } = {}): Promise<void> {
    const config = {
      id: 'cfg',
      type: 'seqr-config',
      name: 'emulator',
      endpoint: rig.emu.url,
      ...(options.reseller ? { principalType: 'RESELLERUSER', userId: PUBLIC_TEST_RESELLER.userId } : {}),
    };
    const flow = oneNodeFlow(config, { id: 'api', type: 'seqr-api', seqr: 'cfg', ...FAST_REPORTS, ...api }, options.extra);
    await helper.load(MODULES, flow, { cfg: options.reseller ? RESELLER_CREDENTIALS : TERMINAL_CREDENTIALS, ...(options.credentials ? { api: options.credentials } : {}) });
  }

  const node = (id: string): TestNode => helper.getNode(id);
  const called = (msg: Record<string, unknown>) => passedThrough<Msg>('api', msg);
  const refused = (msg: Record<string, unknown>) => caughtFrom<Msg>('api', msg);

  /** A paid invoice of `amount` SEK of the test terminal: its ersReference. */
  async function payment(amount: string): Promise<string> {
    const { invoiceReference } = await rig.client.sendInvoice(buildInvoice(amount, { currency: 'SEK', title: 'api test' }));
    await rig.emu.payer.pay(invoiceReference);
    const status = await rig.client.getPaymentStatus(invoiceReference, 0);
    assert.equal(status.status, 'PAID');
    return String(status.ersReference);
  }

  /** send invoice → payment status (paid, failed and update outputs on helpers), in front of the api node. */
  function paymentFlow(send: Record<string, unknown>): FlowNode[] {
    return [
      { id: 'send', type: 'seqr-send-invoice', x: 100, seqr: 'cfg', title: 'Flow', ...send, wires: [['ps']] },
      { id: 'ps', type: 'seqr-payment-status', x: 100, seqr: 'cfg', interval: 50, giveUpAfter: 15, wires: [['paid'], ['failed'], ['updates']] },
      { id: 'paid', type: 'helper', x: 100 },
      { id: 'failed', type: 'helper', x: 100 },
      { id: 'updates', type: 'helper', x: 100 },
    ];
  }

  it('captures a reservation: RESERVED on the update output → commitReservation → PAID on output 1', async function () {
    await load({ operation: 'commitReservation' }, { extra: paymentFlow({ paymentMode: 'RESERVATION_REQUIRED' }) });
    const issued = nextMessage<Msg>(node('updates'), (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    node('send').receive({ payload: '120.00', order: { id: 7 } });
    const reference = String((await issued).payload.invoiceReference);
    const reserved = nextMessage<Msg>(node('updates'), (msg) => assert.equal(msg.payload.status, 'RESERVED'));
    await rig.emu.payer.pay(reference);
    const update = await reserved;

    const paid = nextMessage<Msg>(node('paid'));
    // The final amount is less than the reservation (the shop had one item less in stock).
    const committed = await called({ ...update, payload: { invoiceReference: update.payload.invoiceReference, amount: '95.50' } });
    assert.deepEqual(committed.payload, { operation: 'commitReservation', invoiceReference: reference, amount: '95.50', currency: 'SEK' });
    assert.deepEqual(committed.order, { id: 7 });
    const done = await paid;
    assert.equal(done.payload.status, 'PAID');
    assert.equal(done.payload.invoiceReference, reference);

    // Committed once: a second commit is refused (96: not RESERVED any more).
    const again = await refused({ payload: { invoiceReference: reference } });
    assert.equal(again.error?.code, 96);
    assert.equal(again.error?.cause?.operation, 'commitReservation');
  });

  it('acknowledges a loyalty token: tokens on the update output → updateInvoice with status 1 → the payer pays → PAID', async function () {
    await load({}, { extra: paymentFlow({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }) });
    const issued = nextMessage<Msg>(node('updates'), (msg) => assert.equal(msg.payload.status, 'ISSUED'));
    node('send').receive({ payload: '100.00' });
    const reference = String((await issued).payload.invoiceReference);
    const pending = nextMessage<Msg>(node('updates'), (msg) => assert.equal(msg.payload.status, 'PENDING_ISSUER_ACKNOWLEDGE'));
    await rig.emu.payer.scan(reference, { loyaltyToken: { id: 'BONUS_CARD', value: '4711', description: 'Bonus club' } });
    const update = await pending;
    const tokens = update.payload.tokens as Array<Record<string, unknown>>;
    assert.deepEqual(tokens, [{ description: 'Bonus club', id: 'BONUS_CARD', status: 0, value: '4711' }]);

    // The member price: 10 % off, the token applied. msg.seqr carries the reference; no topic: the node's operation.
    const applied = tokens.map((token) => ({ ...token, status: 1 }));
    const out = await called({ seqr: update.seqr, payload: { invoice: { amount: '90.00', title: 'Member price' }, tokens: applied } });
    assert.deepEqual(out.payload, { operation: 'updateInvoice', invoiceReference: reference, amount: '90.00', currency: 'SEK', tokens: applied });
    const [open] = (await rig.emu.payer.invoices()).filter((invoice) => invoice.invoiceReference === reference);
    assert.equal(open?.amount, '90.00', 'the payer sees the updated amount');

    const paid = nextMessage<Msg>(node('paid'));
    await rig.emu.payer.pay(reference);
    assert.equal((await paid).payload.status, 'PAID');

    // A paid invoice cannot be updated any more: SEQR's refusal reaches Catch with its code.
    const late = await refused({ payload: { invoiceReference: reference, invoice: '1.00' } });
    assert.equal(typeof late.error?.code, 'number');
    assert.equal(late.error?.cause?.type, 'refused');
    assert.equal(late.error?.cause?.operation, 'updateInvoice');
  });

  it('closes the day: markTransactionPeriod → executeReport (through REPORT_NOT_READY) with the payments and refunds in it', async function () {
    const paidReference = await payment('200.00');
    const refund = await rig.client.refundPayment(paidReference, buildInvoice('30.00', { currency: 'SEK', title: 'refund' }));
    const otherPaid = await payment('12.50');

    await load({ operation: 'markTransactionPeriod' }, { reseller: true });
    const marked = await called({ payload: {} });
    const transactionPeriodId = String(marked.payload.transactionPeriodId);
    assert.match(transactionPeriodId, /^\d+$/);
    assert.deepEqual(marked.payload, { operation: 'markTransactionPeriod', transactionPeriodId });

    // The mark's output goes straight in: executeReport takes payload.transactionPeriodId.
    const report = await called({ topic: 'executeReport', payload: { ...marked.payload, reportId: 'Reconciliation/STD_RECON_003.xml', language: 'en' } });
    assert.equal(report.payload.operation, 'executeReport');
    const waits = callsOf(node('api'), 'status').filter(([status]) => (status as { text: string }).text === 'report not ready, waiting');
    assert.equal(waits.length, 2, 'it waited through both REPORT_NOT_READY answers');
    const text = String((report.payload.report as Record<string, unknown>).contentString);
    assert.match(text, /^<\?xml/);
    const data = report.payload.data as { root: string; meta: Record<string, string>; rows: Array<Record<string, string>> };
    assert.equal(data.root, 'TransactionDetails');
    assert.equal(data.meta.TransactionPeriodId, transactionPeriodId);
    const row = (ersReference: string) => data.rows.find((r) => r.ErsReference === ersReference);
    assert.deepEqual(row(paidReference), { TerminalId: TERMINAL.id, CashierId: 'NULL', SalesAmount: '200.00000', ErsReference: paidReference });
    assert.equal(row(String(refund.ersReference))?.SalesAmount, '-30.00000', 'the refund is a negative row');
    assert.equal(row(otherPaid)?.SalesAmount, '12.50000');
    assert.ok(text.includes(paidReference), 'the text holds what the data holds');

    // The shop summary of the same period, by the node's report setting: one row with the net total.
    const summary = await called({ topic: 'executeReport', payload: { transactionPeriodId } });
    const summaryData = summary.payload.data as { root: string; rows: Array<Record<string, string>> };
    assert.equal(summary.payload.reportId, 'Reconciliation/Shop.xml');
    assert.equal(summaryData.root, 'ResellerTransactionSummary');
    assert.equal(summaryData.rows.length, 1);

    // A terminal's own period (TERMINALID parameter).
    const terminalPeriod = await called({ topic: 'markTransactionPeriod', payload: { terminalId: TERMINAL.id } });
    assert.equal(terminalPeriod.payload.terminalId, TERMINAL.id);
    assert.match(String(terminalPeriod.payload.transactionPeriodId), /^\d+$/);
  });

  it('gives up on a report that never gets ready with code 2 for Catch, and passes 90 and 91 on', async function () {
    await load({ operation: 'executeReport', reportGiveUpAfter: 0.3 }, { reseller: true });
    const marked = await called({ topic: 'markTransactionPeriod', payload: {} });
    // A terminal report of a shop-wide period is never ready (SEQR's FAQ).
    const started = Date.now();
    const never = await refused({ payload: { reportId: 'Reconciliation/STD_RECON_006.xml', transactionPeriodId: marked.payload.transactionPeriodId } });
    assert.equal(never.error?.code, 2);
    assert.equal(never.error?.cause?.codeName, 'REPORT_NOT_READY');
    assert.match(never.error!.message, /within 0\.3 s/);
    assert.ok(Date.now() - started >= 250, 'it kept asking until it gave up');

    const unknownPeriod = await refused({ payload: { transactionPeriodId: '12345' } });
    assert.equal(unknownPeriod.error?.code, 90);
    const unknownReport = await refused({ payload: { reportId: 'Reconciliation/Nothing.xml', transactionPeriodId: marked.payload.transactionPeriodId } });
    assert.equal(unknownReport.error?.code, 91);
  });

  it('submits a receipt document as text or as a Buffer; an unknown payment is 23', async function () {
    await load({ operation: 'submitPaymentReceipt' });
    const ersReference = await payment('15.00');
    const fromText = await called({ payload: { ersReference, receipt: 'Coffee 15.00 SEK\nThank you' } });
    assert.deepEqual(fromText.payload, { operation: 'submitPaymentReceipt', ersReference, mimeType: 'text/plain', receiptType: 'PAYMENT_RECEIPT', bytes: 26 });
    const pdf = Buffer.from('%PDF-1.4 receipt');
    const asBuffer = await called({ payload: { ersReference, receipt: pdf, mimeType: 'application/pdf', receiptType: 'WARRANTY' } });
    assert.equal(asBuffer.payload.bytes, pdf.length);
    assert.equal(asBuffer.payload.receiptType, 'WARRANTY');

    const unknown = await refused({ payload: { ersReference: '1234567890123456789012345', receipt: 'x' } });
    assert.equal(unknown.error?.code, 23);
    const noDocument = await refused({ payload: { ersReference } });
    assert.deepEqual(noDocument.error?.cause, { type: 'input', field: 'receipt' });
  });

  it('registers a terminal with the password from its credential (never in the message), which then works and can be unregistered', async function () {
    await load({ operation: 'registerTerminal' }, { reseller: true, credentials: { terminalPassword: NEW_TERMINAL_PASSWORD } });
    const out = await called({ payload: { externalTerminalId: 'till-9', name: 'Till 9' } });
    const terminalId = String(out.payload.terminalId);
    assert.deepEqual(out.payload, { operation: 'registerTerminal', terminalId, externalTerminalId: 'till-9', name: 'Till 9' });
    assert.ok(!asText(out).includes(NEW_TERMINAL_PASSWORD));
    assert.ok(!everythingLogged().includes(NEW_TERMINAL_PASSWORD));
    const missing = await refused({ payload: { name: 'Till 10' } });
    assert.deepEqual(missing.error?.cause, { type: 'input', field: 'externalTerminalId' });

    // The new terminal pays with that password.
    const till = new SeqrClient({ endpoint: rig.emu.url, principal: { type: 'TERMINALID', id: terminalId, password: NEW_TERMINAL_PASSWORD } });
    try {
      await till.sendInvoice(buildInvoice('1.00', { currency: 'SEK', title: 'till 9' }));
      await helper.unload();
      const config = { id: 'cfg', type: 'seqr-config', endpoint: rig.emu.url };
      await helper.load(MODULES, oneNodeFlow(config, { id: 'api', type: 'seqr-api', seqr: 'cfg', operation: 'assignSeqrId' }), {
        cfg: { principalId: terminalId, password: NEW_TERMINAL_PASSWORD },
      });
      assert.deepEqual((await called({ payload: { seqrId: 'TILL9STICKER' } })).payload, { operation: 'assignSeqrId', seqrId: 'TILL9STICKER' });
      const badSticker = await refused({ payload: { seqrId: 'not a sticker!' } });
      assert.equal(badSticker.error?.code, 53);
      assert.deepEqual((await called({ topic: 'unregisterTerminal', payload: {} })).payload, { operation: 'unregisterTerminal', unregistered: true });
      // Gone: SEQR refuses the terminal's calls (33 INVALID_INITIATOR_PRINCIPAL_STATE).
      const gone = await refused({ topic: 'unregisterTerminal', payload: {} });
      assert.equal(gone.error?.code, 33);
    } finally {
      till.close();
    }
  });

  it('registerTerminal with payload.seqrId links the sticker as the new terminal; a taken sticker (53) names the terminal registered anyway', async function () {
    await load({ operation: 'registerTerminal' }, { reseller: true, credentials: { terminalPassword: NEW_TERMINAL_PASSWORD } });
    const out = await called({ payload: { externalTerminalId: 'till-11', name: 'Till 11', seqrId: 'TILL11STICKER' } });
    const terminalId = String(out.payload.terminalId);
    assert.deepEqual(out.payload, { operation: 'registerTerminal', terminalId, externalTerminalId: 'till-11', name: 'Till 11', seqrId: 'TILL11STICKER' });
    const till = new SeqrClient({ endpoint: rig.emu.url, principal: { type: 'TERMINALID', id: terminalId, password: NEW_TERMINAL_PASSWORD } });
    try {
      const { invoiceReference } = await till.sendInvoice(buildInvoice('3.00', { currency: 'SEK', title: 'till 11' }));
      assert.equal((await rig.emu.payer.scan('HTTP://SEQR.SE/QTILL11STICKER')).invoiceReference, invoiceReference, 'the sticker finds the till');
    } finally {
      till.close();
    }

    const taken = await refused({ payload: { externalTerminalId: 'till-12', name: 'Till 12', seqrId: 'TILL11STICKER' } });
    assert.equal(taken.error?.code, 53);
    assert.equal(taken.error?.cause?.operation, 'assignSeqrId');
    assert.match(String(taken.error?.message), /registered terminal [0-9a-f]{32}, but linking SEQR ID "TILL11STICKER"/);
    assert.ok(!asText(taken).includes(NEW_TERMINAL_PASSWORD));
    assert.ok(!everythingLogged().includes(NEW_TERMINAL_PASSWORD));
  });

  it('refuses registerTerminal without a password credential, and a terminal configuration is refused by SEQR', async function () {
    await load({ operation: 'registerTerminal' }, { reseller: true });
    const noPassword = await refused({ payload: { externalTerminalId: 'till-10', name: 'Till 10' } });
    assert.deepEqual(noPassword.error?.cause, { type: 'input', field: 'terminalPassword' });
    await helper.unload();
    await load({ operation: 'registerTerminal' }, { credentials: { terminalPassword: NEW_TERMINAL_PASSWORD } });
    const wrongPrincipal = await refused({ payload: { externalTerminalId: 'till-10', name: 'Till 10' } });
    assert.equal(wrongPrincipal.error?.cause?.type, 'refused');
    assert.equal(typeof wrongPrincipal.error?.code, 'number');
    assert.ok(!asText(wrongPrincipal).includes(NEW_TERMINAL_PASSWORD));
  });

  it('checks inputs before calling SEQR, naming the field, and takes msg.topic only when it names an operation', async function () {
    await load({ operation: 'updateInvoice' });
    const noReference = await refused({ payload: { invoice: '1.00' } });
    assert.deepEqual(noReference.error?.cause, { type: 'input', field: 'invoiceReference' });
    const { invoiceReference } = await rig.client.sendInvoice(buildInvoice('5.00', { currency: 'SEK', title: 'inputs' }));
    const noInvoice = await refused({ payload: { invoiceReference } });
    assert.deepEqual(noInvoice.error?.cause, { type: 'input', field: 'invoice' });
    const badAmount = await refused({ payload: { invoiceReference, invoice: '1.234' } });
    assert.deepEqual(badAmount.error?.cause, { type: 'input', field: 'invoice' });
    const badTokens = await refused({ payload: { invoiceReference, invoice: '4.00', tokens: 'card' } });
    assert.deepEqual(badTokens.error?.cause, { type: 'input', field: 'tokens' });
    // A topic that names no operation leaves the node's own.
    const updated = await called({ topic: 'basket 5', payload: { invoiceReference, invoice: 4 } });
    assert.equal(updated.payload.operation, 'updateInvoice');
    assert.equal(updated.payload.amount, '4.00');
    // commitReservation of an invoice that is not RESERVED: 96.
    const notReserved = await refused({ topic: 'commitReservation', payload: { invoiceReference } });
    assert.equal(notReserved.error?.code, 96);
  });
});
