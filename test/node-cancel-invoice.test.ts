import assert from 'node:assert/strict';
import { emulatorForNodeTests } from './helpers/node-emulator';
import { buildInvoice } from '../src/seqr';
import { helper, NODE_MODULES, callsOf, caughtFrom, oneNodeFlow, passedThrough, type FlowNode } from './helpers/node-red';

/*
 * seqr-cancel-invoice under node-red-node-test-helper against the emulator. The emulator's bank takes 300 ms
 * to answer a payment (processingMs), the window in which SEQR refuses a cancel with 51.
 */

const TERMINAL = { id: 'node-cancel-terminal', password: 'Cancel-pw-3Rt6y' };
const CREDENTIALS = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
const MODULES = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.cancelInvoice];

type Msg = Record<string, unknown> & {
  payload: Record<string, unknown>;
  error?: { message: string; code?: number; cause?: Record<string, unknown>; source?: { id: string } };
};

describe('seqr-cancel-invoice node', function () {
  const rig = emulatorForNodeTests(TERMINAL, { processingMs: 300 });

  async function load(settings: Record<string, unknown> = {}, extra: FlowNode[] = []): Promise<void> {
    const config = { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: rig.emu.url };
    await helper.load(MODULES, oneNodeFlow(config, { id: 'cancel', type: 'seqr-cancel-invoice', seqr: 'cfg', ...settings }, extra), CREDENTIALS);
  }

  async function openInvoice(): Promise<string> {
    return (await rig.client.sendInvoice(buildInvoice('25.00', { currency: 'SEK', title: 'cancel test' }))).invoiceReference;
  }

  async function statusAtSeqr(reference: string): Promise<string> {
    return (await rig.client.getPaymentStatus(reference, 0)).status;
  }

  const canceled = (msg: Record<string, unknown>) => passedThrough<Msg>('cancel', msg);
  const refused = (msg: Record<string, unknown>) => caughtFrom<Msg>('cancel', msg);

  function lastStatus(): unknown {
    return callsOf(helper.getNode('cancel'), 'status').at(-1)?.[0];
  }

  it('cancels the invoice named by msg.seqr, msg.payload.invoiceReference or msg.payload, and sends the message on', async function () {
    await load();
    for (const place of ['seqr', 'payload object', 'payload'] as const) {
      const reference = await openInvoice();
      const msg: Record<string, unknown> =
        place === 'seqr' ? { payload: 'ignored', seqr: { invoiceReference: reference } } : place === 'payload' ? { payload: reference } : { payload: { invoiceReference: reference } };
      const out = await canceled({ ...msg, order: { id: 3 } });
      assert.deepEqual(out.payload, { invoiceReference: reference, status: 'CANCELED' }, place);
      assert.deepEqual(out.order, { id: 3 });
      assert.equal(await statusAtSeqr(reference), 'CANCELED', place);
    }
    assert.deepEqual(lastStatus(), { fill: 'green', shape: 'dot', text: 'cancelled' });
  });

  it('cancels an invoice issued by send invoice straight from its output', async function () {
    await load({}, [{ id: 'send', type: 'seqr-send-invoice', x: 100, seqr: 'cfg', title: 'Withdrawn', wires: [['cancel']] }]);
    const out = await passedThrough<Msg>('send', { payload: '12.00' });
    assert.equal(out.payload.status, 'CANCELED');
    assert.equal(await statusAtSeqr(String(out.payload.invoiceReference)), 'CANCELED');
  });

  it('takes 95 (already canceled) as success with alreadyCanceled: true', async function () {
    await load();
    const reference = await openInvoice();
    await canceled({ payload: reference });
    const again = await canceled({ payload: reference });
    assert.deepEqual(again.payload, { invoiceReference: reference, status: 'CANCELED', alreadyCanceled: true });
    assert.deepEqual(lastStatus(), { fill: 'green', shape: 'dot', text: 'already cancelled' });

    const payerCanceled = await openInvoice();
    await rig.emu.payer.cancel(payerCanceled);
    assert.equal((await canceled({ payload: payerCanceled })).payload.alreadyCanceled, true);
  });

  it('passes 50 (paid), 51 (being paid), 48 and 54 (unknown invoice) to Catch with their codes', async function () {
    await load();
    const paid = await openInvoice();
    await rig.emu.payer.pay(paid);
    const notCancelable = await refused({ payload: paid });
    assert.equal(notCancelable.error?.code, 50);
    assert.equal(notCancelable.error?.cause?.codeName, 'CANNOT_CANCEL_PAID_INVOICE');
    assert.equal(notCancelable.error?.cause?.operation, 'cancelInvoice');
    assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: '50 CANNOT_CANCEL_PAID_INVOICE' });

    const beingPaid = await openInvoice();
    const paying = rig.emu.payer.pay(beingPaid); // the bank answers in 300 ms
    const inProgress = await refused({ payload: beingPaid });
    await paying;
    assert.equal(inProgress.error?.code, 51);
    assert.equal(inProgress.error?.cause?.codeName, 'CANNOT_CANCEL_INVOICE_IN_PROGRESS');
    assert.equal(await statusAtSeqr(beingPaid), 'PAID', 'the refused cancel left the payment alone');

    const open = await openInvoice();
    rig.emu.failNext(1, 48);
    const paymentInProgress = await refused({ payload: open });
    assert.equal(paymentInProgress.error?.code, 48);
    assert.equal(paymentInProgress.error?.cause?.codeName, 'PAYMENT_IN_PROGRESS');

    const unknown = await refused({ payload: '999999999999999' });
    assert.equal(unknown.error?.code, 54);
  });

  it('refuses a message naming no invoice before calling SEQR', async function () {
    await load();
    for (const payload of [undefined, 42, { amount: '1.00' }, 'has space']) {
      const error = await refused({ payload });
      assert.deepEqual(error.error?.cause, { type: 'input', field: 'invoiceReference' });
      assert.match(error.error!.message, /names no invoice/);
    }
  });

  it('fails every message with the reason when the node has no configuration', async function () {
    await load({ seqr: '' });
    const error = await refused({ payload: '1234567890123' });
    assert.deepEqual(error.error?.cause, { type: 'config', field: 'seqr' });
    assert.deepEqual(lastStatus(), { fill: 'red', shape: 'ring', text: 'not configured' });
  });
});
