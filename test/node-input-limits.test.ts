import assert from 'node:assert/strict';
import { emulatorForNodeTests } from './helpers/node-emulator';
import { NODE_MODULES, caughtFrom, helper, oneNodeFlow, type FlowNode } from './helpers/node-red';

/*
 * Issue 10, item 4, through the nodes against the emulator: a Catch node's msg.error.message quotes at most a
 * short prefix of huge input (the package's own messages, and the runtime's JSONata errors, which quote
 * values), and text with a lone UTF-16 surrogate is refused naming the field before anything reaches SEQR.
 */

const TERMINAL = { id: 'limits-terminal', password: 'Limits-pw-4411' };
const CONFIG: FlowNode = { id: 'cfg', type: 'seqr-config', endpoint: '', principalType: 'TERMINALID', timeout: 5000 };

type Caught = { error?: { message: string; source?: { id: string }; cause?: { type?: string; field?: string } } };

describe('input limits in the nodes', function () {
  const rig = emulatorForNodeTests(TERMINAL);

  async function load(node: FlowNode): Promise<void> {
    const modules = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.refund, NODE_MODULES.api];
    await helper.load(modules, oneNodeFlow({ ...CONFIG, endpoint: rig.emu.url }, node), { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } });
  }
  const invoicesAtSeqr = () => rig.emu.core.invoices.openInvoices().length;

  it('a 5 MB amount: the error quotes 40 characters and says how long it was (send invoice and refund)', async function () {
    const huge = '7'.repeat(5_000_000) + 'x';
    await load({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Limits', currency: 'SEK' });
    const sent = await caughtFrom<Caught>('send', { payload: huge });
    assert.match(sent.error!.message, /"7{40}"…\(5000001 characters\) is not a plain decimal/);
    assert.ok(sent.error!.message.length < 500, `${sent.error!.message.length} characters`);
    await helper.unload();

    await load({ id: 'refund', type: 'seqr-refund', seqr: 'cfg' });
    const refunded = await caughtFrom<Caught>('refund', { payload: { ersReference: '123456', amount: huge } });
    assert.match(refunded.error!.message, /…\(5000001 characters\)/);
    assert.ok(refunded.error!.message.length < 500);
  });

  it("the runtime's JSONata error quoting the input is cut short too", async function () {
    await load({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Limits', currency: 'SEK', invoice: '$number(payload) + $error(payload)', invoiceType: 'jsonata' });
    const caught = await caughtFrom<Caught>('send', { payload: 'q'.repeat(100_000) });
    assert.match(caught.error!.message, /Could not read the amount or invoice/);
    assert.ok(caught.error!.message.length < 600, `${caught.error!.message.length} characters`);
    assert.match(caught.error!.message, /characters\)/);
  });

  it('a lone surrogate in a title, a row or a sticker number: refused naming the field, nothing reaches SEQR', async function () {
    const before = invoicesAtSeqr();
    await load({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Limits', currency: 'SEK' });
    for (const [payload, field] of [
      [{ amount: '5.00', title: 'Cake \ud83c' }, 'title'],
      [{ amount: '5.00', rows: [{ description: '\udf70 slice', total: '5.00' }] }, 'rows[0].description'],
    ] as const) {
      const caught = await caughtFrom<Caught>('send', { payload });
      assert.equal(caught.error!.cause?.type, 'input');
      assert.equal(caught.error!.cause?.field, field);
      assert.match(caught.error!.message, /lone UTF-16 surrogate/);
    }
    assert.equal(invoicesAtSeqr(), before, 'no invoice was made');
    await helper.unload();

    // A string the node passes on as it is, checked by the client before anything is sent.
    await load({ id: 'api', type: 'seqr-api', seqr: 'cfg', operation: 'assignSeqrId' });
    const caught = await caughtFrom<Caught>('api', { payload: { seqrId: 'AB\udfffC' } });
    assert.equal(caught.error!.cause?.field, 'seqrId');
    assert.match(caught.error!.message, /lone UTF-16 surrogate/);
  });
});
