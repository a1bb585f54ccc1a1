import assert from 'node:assert/strict';
import { writeIssued } from '../src/nodes/send-invoice-messages';
import { buildInvoice, type SendInvoiceResult } from '../src/seqr';

/** The message seqr-send-invoice sends on, without Node-RED (the module is pure). */
describe('send invoice messages', function () {
  const sent = { invoiceReference: '1700000000001', invoiceQRCode: 'HTTP://SEQR.SE/R1700000000001', resultCode: 0 } as SendInvoiceResult;

  it('writes payload and msg.seqr into the same message, keeping its other properties', function () {
    const invoice = buildInvoice({ amount: '12.50', title: 'Coffee', clientInvoiceId: 'order-7' }, { currency: 'SEK' });
    const msg = { order: 7, payload: 12.5 };
    const out = writeIssued(msg, sent, invoice, 'SEQR', undefined);
    assert.equal(out, msg);
    assert.equal(out.order, 7);
    assert.deepEqual(out.payload, {
      invoiceReference: '1700000000001',
      qrCode: 'HTTP://SEQR.SE/R1700000000001',
      deepLink: 'SEQR://SEQR.SE/R1700000000001',
      amount: '12.50',
      currency: 'SEK',
      title: 'Coffee',
      status: 'ISSUED',
    });
    const { sentAt, ...seqr } = out.seqr;
    assert.ok(Math.abs(Date.parse(sentAt) - Date.now()) < 5000);
    assert.deepEqual(seqr, {
      invoiceReference: '1700000000001',
      amount: '12.50',
      currency: 'SEK',
      paymentMode: 'IMMEDIATE_DEBIT',
      acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
      clientInvoiceId: 'order-7',
    });
  });

  it('keeps the notification key only when the invoice went out with the URL the node chose', function () {
    const notify = { url: 'https://shop.example/n?key=k1', key: 'k1' };
    const chosen = writeIssued({}, sent, buildInvoice(5, { currency: 'SEK', notificationUrl: notify.url }), 'SEQR', notify);
    assert.equal(chosen.seqr.notificationKey, 'k1');
    const own = writeIssued({}, sent, buildInvoice({ amount: 5, notificationUrl: 'https://other.example/n' }, { currency: 'SEK', notificationUrl: notify.url }), 'SEQR', notify);
    assert.equal(own.seqr.notificationKey, undefined);
    assert.equal('title' in own.payload, false);
  });
});
