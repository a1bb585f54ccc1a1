import assert from 'node:assert/strict';
import * as library from '../src';

describe('library entry point', () => {
  it('exports the client, errors, invoice building, QR helpers, codes, wire constants and the emulator', () => {
    for (const name of [
      'SeqrClient', 'SeqrError', 'SeqrTransportError', 'buildInvoice', 'InvoiceInputError', 'formatAmount',
      'invoiceQrText', 'deepLink', 'stickerCode', 'qrPng', 'qrDataUrl', 'qrSvg', 'resultCodeInfo', 'resultCode',
      'startEmulator', 'PaymentWatcher',
    ] as const) {
      assert.equal(typeof library[name], 'function', name);
    }
    assert.ok(library.RESULT_CODES.length > 50);
    assert.ok(library.FINAL_STATUSES.has('PAID'));
    assert.match(library.WSDL_PATH, /seqr-cashregister\.wsdl$/);
    assert.equal(`{${library.SERVICE_NAMESPACE}}${library.SERVICE_NAME}`, '{http://externalclientservice.cashregister.seamless.com/}ERSWSExternalClientServiceImplService');
    assert.match(library.DEFAULT_CLIENT_ID, /^@seqr-flows\/node-red-seqr \d+\.\d+\.\d+/);
  });
});

describe('library use without Node-RED', () => {
  it('takes a payment with nothing but the package entry point', async () => {
    const emulator = await library.startEmulator({ port: 0 });
    const client = new library.SeqrClient({ endpoint: emulator.url, principal: { type: 'TERMINALID', ...library.PUBLIC_TEST_TERMINAL } });
    try {
      const sent = await client.sendInvoice(library.buildInvoice('19.90', { currency: 'SEK', title: 'Coffee' }));
      assert.match(await library.qrDataUrl(library.invoiceQrText(sent)), /^data:image\/png;base64,/);
      await emulator.payer.pay(library.deepLink(sent));
      const status = await client.getPaymentStatus(sent.invoiceReference, 1);
      assert.equal(status.status, 'PAID');
      assert.equal(library.formatAmount(status.receipt!.invoice!.totalAmount), '19.90 SEK');
    } finally {
      client.close();
      await emulator.stop();
    }
  });
});
