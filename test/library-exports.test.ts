import assert from 'node:assert/strict';
import * as library from '../src';

describe('library entry point', () => {
  it('exports the client, errors, invoice building, QR helpers, codes and wire constants', () => {
    for (const name of [
      'SeqrClient', 'SeqrError', 'SeqrTransportError', 'buildInvoice', 'InvoiceInputError', 'formatAmount',
      'invoiceQrText', 'deepLink', 'stickerCode', 'qrPng', 'qrDataUrl', 'qrSvg', 'resultCodeInfo', 'resultCode',
    ] as const) {
      assert.equal(typeof library[name], 'function', name);
    }
    assert.ok(library.RESULT_CODES.length > 50);
    assert.ok(library.FINAL_STATUSES.has('PAID'));
    assert.match(library.WSDL_PATH, /seqr-cashregister\.wsdl$/);
    assert.match(library.DEFAULT_CLIENT_ID, /^@seqr-flows\/node-red-seqr \d+\.\d+\.\d+/);
  });
});
