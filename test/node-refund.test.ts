import assert from 'node:assert/strict';
import { emulatorForNodeTests } from './helpers/node-emulator';
import { buildInvoice, PUBLIC_TEST_RESELLER } from '../src/seqr';
import { helper, NODE_MODULES, asText, callsOf, caughtFrom, everythingLogged, nextMessage, oneNodeFlow, passedThrough, type FlowNode, type TestNode } from './helpers/node-red';

/*
 * seqr-refund under node-red-node-test-helper against the emulator: full and partial refunds, SEQR's refusals
 * (97, 98, 99, 23) reaching a Catch node with their codes, and a payment refunded end to end behind the
 * send-invoice and payment status nodes.
 */

const TERMINAL = { id: 'node-refund-terminal', password: 'Refund-pw-8Kq2w' };
const CREDENTIALS = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
const MODULES = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus, NODE_MODULES.refund];

type Msg = Record<string, unknown> & {
  payload: Record<string, unknown>;
  error?: { message: string; code?: number; cause?: Record<string, unknown>; source?: { id: string } };
};

describe('seqr-refund node', function () {
  const rig = emulatorForNodeTests(TERMINAL);

  async function load(refund: Record<string, unknown> = {}, extra: FlowNode[] = []): Promise<void> {
    const config = { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: rig.emu.url };
    await helper.load(MODULES, oneNodeFlow(config, { id: 'refund', type: 'seqr-refund', seqr: 'cfg', ...refund }, extra), CREDENTIALS);
  }

  const node = (id: string): TestNode => helper.getNode(id);

  /** A paid invoice of `amount` SEK, as the payment status node's paid message carries it. */
  async function paidMessage(amount = '149.90'): Promise<Msg> {
    const { invoiceReference } = await rig.client.sendInvoice(buildInvoice(amount, { currency: 'SEK', title: 'refund test' }));
    await rig.emu.payer.pay(invoiceReference);
    const status = await rig.client.getPaymentStatus(invoiceReference, 0);
    assert.equal(status.status, 'PAID');
    return { payload: { status: 'PAID', invoiceReference, ersReference: status.ersReference, amount, currency: 'SEK' } };
  }

  const refunded = (msg: Record<string, unknown>) => passedThrough<Msg>('refund', msg);
  const refused = (msg: Record<string, unknown>) => caughtFrom<Msg>('refund', msg);

  function lastStatus(): Record<string, unknown> {
    return callsOf(node('refund'), 'status').at(-1)![0] as Record<string, unknown>;
  }

  it('refunds the whole paid amount from the paid message and sends the refund reference on', async function () {
    await load({ cashierId: 'till 3' });
    const paid = await paidMessage('149.90');
    const out = await refunded({ ...paid, order: { id: 5 } });
    assert.match(String(out.payload.ersReference), /^\d{25}$/);
    assert.notEqual(out.payload.ersReference, paid.payload.ersReference, 'the refund has its own reference');
    assert.deepEqual(out.payload, {
      ersReference: out.payload.ersReference,
      refundedReference: paid.payload.ersReference,
      amount: '149.90',
      currency: 'SEK',
    });
    assert.deepEqual(out.order, { id: 5 });
    assert.deepEqual(lastStatus(), { fill: 'green', shape: 'dot', text: 'refunded 149.90 SEK' });

    // Nothing is left to refund: one more cent is over the payment (98).
    const error = await refused({ payload: { ...paid.payload, amount: '0.01' } });
    assert.equal(error.error?.code, 98);
    assert.equal(error.error?.cause?.codeName, 'SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION');
    assert.equal(error.error?.cause?.operation, 'refundPayment');
    assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: '98 SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION' });
  });

  it('refunds part of a payment, again and again, up to the amount paid; beyond it 98 reaches Catch', async function () {
    await load({ amount: '50', amountType: 'num', title: 'Returned mug' });
    const paid = await paidMessage('120.00');
    const first = await refunded(structuredClone(paid));
    const second = await refunded(structuredClone(paid));
    assert.equal(first.payload.amount, '50.00');
    assert.equal(second.payload.amount, '50.00');
    assert.notEqual(first.payload.ersReference, second.payload.ersReference);
    const error = await refused(structuredClone(paid));
    assert.equal(error.error?.code, 98);
    assert.match(error.error!.message, /98|refund/i);
    assert.deepEqual(error.payload, paid.payload, 'the refused message reaches Catch as it came');
  });

  it('reads the amount and reference from where the node says, exactly', async function () {
    await load({ amount: 'refund.amount', amountType: 'msg', reference: 'seqr.ersReference', referenceType: 'msg' });
    const paid = await paidMessage('0.30');
    const out = await refunded({ payload: 'anything', seqr: { ersReference: paid.payload.ersReference }, refund: { amount: '0.1' } });
    assert.equal(out.payload.amount, '0.10');
    assert.equal(out.payload.currency, 'SEK', "the node's currency when the message names none");
    const rest = await refunded({ payload: {}, seqr: { ersReference: paid.payload.ersReference }, refund: { amount: '0.20' } });
    assert.equal(rest.payload.amount, '0.20');
  });

  it('passes SEQR 23 for an unknown payment reference to Catch', async function () {
    await load({ reference: '1234567890123456789012345', referenceType: 'str', amount: '10', amountType: 'num' });
    const error = await refused({ payload: {} });
    assert.equal(error.error?.code, 23);
    assert.equal(error.error?.cause?.codeName, 'INVALID_ERS_REFERENCE');
  });

  it('passes 97 (reseller may not refund) and 99 (receiving bank refuses) to Catch with their codes', async function () {
    await load();
    const paid = await paidMessage('80.00');
    try {
      rig.emu.core.principals.setRefundsAllowed({ resellerId: PUBLIC_TEST_RESELLER.id }, false);
      const notAllowed = await refused(structuredClone(paid));
      assert.equal(notAllowed.error?.code, 97);
      assert.equal(notAllowed.error?.cause?.codeName, 'RESELLER_NOT_ALLOWED_TO_DO_REFUND');
    } finally {
      rig.emu.core.principals.setRefundsAllowed({ resellerId: PUBLIC_TEST_RESELLER.id }, true);
    }
    try {
      rig.emu.core.principals.setRefundsAllowed({ terminalId: TERMINAL.id }, false);
      const bankRefuses = await refused(structuredClone(paid));
      assert.equal(bankRefuses.error?.code, 99);
      assert.equal(bankRefuses.error?.cause?.codeName, 'RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS');
    } finally {
      rig.emu.core.principals.setRefundsAllowed({ terminalId: TERMINAL.id }, true);
    }
    // Allowed again, the same payment refunds: the refusals refunded nothing.
    assert.equal((await refunded(structuredClone(paid))).payload.amount, '80.00');
  });

  it('refuses a message without a reference or a valid amount before calling SEQR, naming the field', async function () {
    await load();
    const noReference = await refused({ payload: { amount: '10.00', currency: 'SEK' } });
    assert.deepEqual(noReference.error?.cause, { type: 'input', field: 'ersReference' });
    assert.match(noReference.error!.message, /msg\.payload\.ersReference holds no payment reference/);

    const paid = await paidMessage('10.00');
    const noAmount = await refused({ payload: { ersReference: paid.payload.ersReference } });
    assert.deepEqual(noAmount.error?.cause, { type: 'input', field: 'amount' });
    const badAmount = await refused({ payload: { ...paid.payload, amount: '1.234' } });
    assert.deepEqual(badAmount.error?.cause, { type: 'input', field: 'amount' });
    assert.match(badAmount.error!.message, /The refund is not valid: amount: /);
    // Nothing was refunded by the refused messages.
    assert.equal((await refunded(structuredClone(paid))).payload.amount, '10.00');
  });

  it('refunds a payment end to end: send invoice → payment status → refund; no password anywhere', async function () {
    const extra = [
      { id: 'send', type: 'seqr-send-invoice', x: 100, seqr: 'cfg', title: 'Coffee', wires: [['ps']] },
      { id: 'ps', type: 'seqr-payment-status', x: 100, seqr: 'cfg', interval: 100, giveUpAfter: 10, wires: [['refund'], [], ['issued']] },
      { id: 'issued', type: 'helper', x: 100 },
    ];
    await load({}, extra);
    const issued = nextMessage<Msg>(node('issued'));
    node('send').receive({ payload: '35.50' });
    await rig.emu.payer.pay(String((await issued).payload.invoiceReference));
    const out = await nextMessage<Msg>(node('out'));
    assert.equal(out.payload.amount, '35.50');
    assert.equal(out.payload.currency, 'SEK');
    assert.match(String(out.payload.refundedReference), /^\d{25}$/);
    assert.ok(!asText(out).includes(TERMINAL.password));
    assert.ok(!everythingLogged().includes(TERMINAL.password));
  });

  it('fails every message with the reason when the node has no configuration', async function () {
    await load({ seqr: '' });
    const error = await refused({ payload: { ersReference: '1', amount: '1' } });
    assert.deepEqual(error.error?.cause, { type: 'config', field: 'seqr' });
    assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'not configured' });
  });
});
