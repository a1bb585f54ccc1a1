import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SeqrClient } from '../src/seqr/client';
import { SeqrTransportError } from '../src/seqr/errors';
import { stickerCode } from '../src/seqr/qr';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { assertNoSecret, closeServer, failure, listen, readBody, recordingEndpoint } from './helpers/loopback';
import { InvoiceInputError } from '../src/seqr/invoice';
import { invoice, seqrError, startRig, type Rig } from './helpers/seqr';
import { eventually } from './helpers/time';

/* The twelve merchant operations against the emulator over real HTTP, plus outages and the context sent. */

describe('SeqrClient operations against the emulator', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  async function paidInvoice(amount: string, client = rig.terminal): Promise<{ invoiceReference: string; ersReference: string }> {
    const { invoiceReference } = await client.sendInvoice(invoice({ amount, cashierId: 'Bob' }));
    await rig.emu.payer.pay(invoiceReference);
    const status = await client.getPaymentStatus(invoiceReference, 1);
    assert.equal(status.status, 'PAID');
    return { invoiceReference, ersReference: status.ersReference! };
  }

  it('submitPaymentReceipt attaches a document, given as bytes or base64', async () => {
    const { ersReference } = await paidInvoice('25.00');
    const document = '<Receipt><Total>25.00</Total></Receipt>';
    const answer = await rig.terminal.submitPaymentReceipt(ersReference, { mimeType: 'text/xml', receiptData: Buffer.from(document), receiptType: 'PAYMENT_RECEIPT' });
    assert.equal(answer.resultCode, 0);
    await rig.terminal.submitPaymentReceipt(ersReference, { mimeType: 'text/html', receiptData: Buffer.from('<p>warranty</p>').toString('base64'), receiptType: 'WARRANTY' });
    const stored = rig.emu.core.ledger.find(ersReference)!.documents;
    assert.deepEqual(stored.map((doc) => [doc.receiptType, Buffer.from(doc.receiptData!, 'base64').toString('utf8')]), [
      ['PAYMENT_RECEIPT', document],
      ['WARRANTY', '<p>warranty</p>'],
    ]);
    await seqrError(rig.terminal.submitPaymentReceipt('0000000000000000000000000', { receiptData: '' }), 23);
  });

  it('refundPayment refunds in parts, each with its own reference, up to the amount paid', async () => {
    const { ersReference } = await paidInvoice('100.00');
    const first = await rig.terminal.refundPayment(ersReference, invoice({ amount: '60.00', title: 'Refund' }));
    const second = await rig.terminal.refundPayment(ersReference, invoice({ amount: '40.00', title: 'Refund' }));
    assert.match(first.ersReference!, /^\d{25}$/);
    assert.notEqual(first.ersReference, ersReference);
    assert.notEqual(first.ersReference, second.ersReference);
    const over = await seqrError(rig.terminal.refundPayment(ersReference, invoice('0.01')), 98);
    assert.equal(over.message, 'SEQR refundPayment: Sum of refunds can not be more than original transaction. (result code 98 SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION)');
  });

  it('registerTerminal → assignSeqrId → a sticker scan pays the till → unregisterTerminal', async () => {
    const password = 'new-till-secret-93';
    const registered = await rig.reseller.registerTerminal('Store 111/Till 4', password, 'My restaurant, till 4');
    assert.match(registered.terminalId, /^[0-9a-f]{32}$/);
    const till = rig.reseller.withPrincipal({ type: 'TERMINALID', id: registered.terminalId, password }, { clientId: 'Till app 1.0' });
    assert.equal(till.clientId, 'Till app 1.0');
    assert.equal(till.principalType, 'TERMINALID');
    assert.equal(till.principalId, registered.terminalId);
    try {
      assert.equal((await till.assignSeqrId('TILL4STORE111')).resultCode, 0);
      const { invoiceReference } = await till.sendInvoice(invoice('42.00'));
      await rig.emu.payer.pay(stickerCode('TILL4STORE111'));
      assert.equal((await till.getPaymentStatus(invoiceReference, 1)).status, 'PAID');

      // Another terminal cannot take the sticker.
      await seqrError(rig.terminal.assignSeqrId('TILL4STORE111'), 53);

      assert.equal((await till.unregisterTerminal()).resultCode, 0);
      const gone = await seqrError(till.sendInvoice(invoice('1')), 33, password);
      assert.match(gone.message, /blocked or unregistered/);
    } finally {
      till.close();
    }
    // The shared connection stays open for the reseller client.
    assert.equal((await rig.reseller.markTransactionPeriod()).resultCode, 0);
  });

  it('markTransactionPeriod and executeReport give the reconciliation reports of the period', async () => {
    const password = 'report-till-55';
    const { terminalId } = await rig.reseller.registerTerminal('Till R', password, 'Till R');
    const till = rig.reseller.withPrincipal({ type: 'TERMINALID', id: terminalId, password });
    try {
      await paidInvoice('93.31', till);
      const { transactionPeriodId } = await rig.reseller.markTransactionPeriod({ TERMINALID: terminalId });
      assert.match(transactionPeriodId, /^\d{25}$/);
      const parameters = { transactionPeriodId, TERMINALID: terminalId };
      // SEQR answers REPORT_NOT_READY first; a caller retries after a few seconds.
      const notReady = await seqrError(rig.reseller.executeReport('Reconciliation/STD_RECON_006.xml', 'en', parameters), 2);
      assert.equal(notReady.codeName, 'REPORT_NOT_READY');
      const { report } = await rig.reseller.executeReport('Reconciliation/STD_RECON_006.xml', 'en', parameters);
      assert.match(report.contentString!, /<SalesCount>1<\/SalesCount><SalesTotal>93\.31000<\/SalesTotal>/);
      // contentString as SEQR sent it (the XML reader trims surrounding whitespace); content has the exact bytes.
      assert.equal(Buffer.from(report.content!, 'base64').toString('utf8').trim(), report.contentString);
      assert.equal(report.title, `STD_RECON_006_${transactionPeriodId}.xml`);

      const shop = await rig.reseller.markTransactionPeriod();
      await seqrError(rig.reseller.executeReport('Reconciliation/Shop.xml', undefined, { transactionPeriodId: shop.transactionPeriodId }), 2);
      const shopReport = await rig.reseller.executeReport('Reconciliation/Shop.xml', undefined, { transactionPeriodId: shop.transactionPeriodId });
      assert.match(shopReport.report.contentString!, /^<\?xml[\s\S]*<ResellerTransactionSummary>/);
    } finally {
      till.close();
    }
  });

  it('sends the context SEQR expects: timeout 0, principal, channel, clientId and an optional clientReference', async () => {
    const bodies: string[] = [];
    // A recording proxy in front of the emulator.
    const proxy = http.createServer(async (request, response) => {
      const body = await readBody(request);
      bodies.push(body);
      const upstream = http.request(rig.emu.url, { method: 'POST', headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      });
      upstream.end(body);
    });
    await listen(proxy);
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/soap/merchant/cashregister-2`;
    const reseller = new SeqrClient({ endpoint, principal: { type: 'RESELLERUSER', id: 'public_test_shop', userId: '9900', password: '1234' }, channel: 'ClientWS' });
    try {
      await reseller.markTransactionPeriod(undefined, { clientReference: 'shift-17', clientComment: 'close of day' });
      const terminal = reseller.withPrincipal({ type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL });
      const { invoiceReference } = await terminal.sendInvoice(invoice('1.00'));
      await terminal.cancelInvoice(invoiceReference, { clientReference: 'c-1' });
      terminal.close();
    } finally {
      reseller.close();
      await closeServer(proxy);
    }
    assert.match(
      bodies[0],
      /<context><channel>ClientWS<\/channel><clientComment>close of day<\/clientComment><clientId>@seqr-flows\/node-red-seqr \d+\.\d+\.\d+[^<]*<\/clientId><clientReference>shift-17<\/clientReference><clientRequestTimeout>0<\/clientRequestTimeout><initiatorPrincipalId><id>public_test_shop<\/id><type>RESELLERUSER<\/type><userId>9900<\/userId><\/initiatorPrincipalId><password>1234<\/password><\/context>/,
    );
    // The invoice goes out in schema order with both modes.
    assert.match(bodies[1], /<invoice><paymentMode>IMMEDIATE_DEBIT<\/paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT<\/acknowledgmentMode><issueDate>[^<]+<\/issueDate><title>Test purchase<\/title><totalAmount><currency>SEK<\/currency><value>1\.00<\/value><\/totalAmount><\/invoice>/);
    assert.match(bodies[1], /<initiatorPrincipalId><id>public_test_shop_terminal<\/id><type>TERMINALID<\/type><\/initiatorPrincipalId>/);
    assert.match(bodies[2], /<clientReference>c-1<\/clientReference>/);
    assert.doesNotMatch(bodies[1], /clientReference/);
  });

  it('works on SEQR\'s older service path too', async () => {
    const older = rig.client({ endpoint: `${rig.emu.baseUrl}/extclientproxy/service/v2`, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
    const { invoiceReference } = await older.sendInvoice(invoice('3.00'));
    assert.equal((await older.getPaymentStatus(invoiceReference, 0)).status, 'ISSUED');
  });

  it('rides out an outage: refused while down (retryable), the same client works when SEQR is back', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice('8.00'));
    await rig.terminal.getPaymentStatus(invoiceReference, 0);
    await rig.emu.suspend();
    try {
      for (const call of [() => rig.terminal.getPaymentStatus(invoiceReference, 1), () => rig.terminal.cancelInvoice(invoiceReference)]) {
        const error = await failure<SeqrTransportError>(call());
        assert.ok(error instanceof SeqrTransportError, String(error));
        assert.ok(['refused', 'reset'].includes(error.kind), error.kind);
        assert.equal(error.retryable, true);
        assertNoSecret(error, PUBLIC_TEST_TERMINAL.password);
      }
    } finally {
      await rig.emu.resume();
    }
    await eventually(async () => assert.equal((await rig.terminal.getPaymentStatus(invoiceReference, 1)).status, 'ISSUED'));
  });

  it('validates its configuration without repeating the password', () => {
    const principal = { type: 'TERMINALID' as const, id: 't', password: 'conf-secret-1' };
    const attempts: Array<() => unknown> = [
      () => new SeqrClient({ endpoint: 'ftp://x/y', principal }),
      () => new SeqrClient({ endpoint: 'not a url', principal }),
      () => new SeqrClient({ endpoint: `${rig.emu.url}?wsdl`, principal }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal: { ...principal, type: 'OTHER' as 'TERMINALID' } }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal: { ...principal, id: '' } }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal: { type: 'RESELLERUSER', id: 'shop', password: 'conf-secret-1' } as never }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal: { type: 'TERMINALID', id: 't' } as never }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal, channel: 'c'.repeat(41) }),
      () => new SeqrClient({ endpoint: rig.emu.url, principal, timeoutMs: -1 }),
    ];
    const messages = attempts.map((attempt) => {
      try {
        attempt();
      } catch (error) {
        assertNoSecret(error, 'conf-secret-1');
        return (error as Error).message;
      }
      return 'no error';
    });
    assert.deepEqual(messages.map((m) => /SeqrClient: |timeoutMs/.test(m)), attempts.map(() => true), messages.join('\n'));
    // The client itself shows no password either (it lives in private fields).
    const client = new SeqrClient({ endpoint: rig.emu.url, principal });
    assertNoSecret(client, 'conf-secret-1');
    assertNoSecret(client.withPrincipal({ type: 'RESELLERUSER', id: 's', userId: '9900', password: 'conf-secret-2' }), 'conf-secret-2');
    client.close();
  });

  it('refuses text with a lone UTF-16 surrogate anywhere in a request, naming the field; nothing is sent', async () => {
    const endpoint = await recordingEndpoint();
    const password = 'pw-\ud83d-tail';
    const client = new SeqrClient({ endpoint: endpoint.url, principal: { type: 'TERMINALID', id: 'till', password: 'pw' } });
    const withBadPassword = new SeqrClient({ endpoint: endpoint.url, principal: { type: 'TERMINALID', id: 'till', password } });
    try {
      const refusals: Array<[Promise<unknown>, string]> = [
        [client.sendInvoice({ ...invoice({ amount: '5.00' }), title: 'Caf\udce9' }), 'invoice.title'],
        [client.sendInvoice({ ...invoice({ amount: '5.00' }), invoiceRows: { invoiceRow: [{ itemDescription: 'ok' }, { itemDescription: '\ud800x' }] } }), 'invoice.invoiceRows.invoiceRow[1].itemDescription'],
        [client.assignSeqrId('AB\udfff'), 'seqrId'],
        [client.executeReport('Reconciliation/Shop.xml', undefined, { period: '\ud800' }), 'parameters.parameter.entry[0].value'],
        [client.getPaymentStatus('123\ud800'), 'invoiceReference'],
        [client.getPaymentStatus('123', 0, { clientComment: 'half \ud83d' }), 'context.clientComment'],
        [withBadPassword.cancelInvoice('123'), 'context.password'],
      ];
      for (const [call, field] of refusals) {
        const error = await failure<InvoiceInputError>(call);
        assert.ok(error instanceof InvoiceInputError, String(error));
        assert.equal(error.field, field);
        assert.match(error.message, /lone UTF-16 surrogate/);
        assertNoSecret(error, password);
      }
      assert.equal(endpoint.connections(), 0, 'nothing reached the endpoint');
    } finally {
      client.close();
      withBadPassword.close();
      await closeServer(endpoint.server);
    }
  });

  it('checks per-call context lengths', async () => {
    await assert.rejects(rig.terminal.cancelInvoice('1', { clientReference: 'r'.repeat(33) }), /clientReference must be text of at most 32 characters/);
    await assert.rejects(rig.terminal.getPaymentStatus('1', 0, { clientComment: 'c'.repeat(81) }), /clientComment must be text of at most 80/);
  });
});
