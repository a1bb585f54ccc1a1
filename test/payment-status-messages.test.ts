import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import {
  amountOfMessage,
  markRedelivered,
  markResumed,
  notificationKeyOf,
  writeFailed,
  writePaid,
  writeUpdate,
} from '../src/nodes/payment-status-messages';
import type { PaymentReceipt } from '../src/seqr/types';

/** What seqr-payment-status reads from and writes into messages, without Node-RED (the module is pure). */
describe('payment status messages', function () {
  const startedAt = Date.UTC(2026, 11, 2, 8, 0, 0);

  describe('what it reads from the incoming message', function () {
    it('takes the amount from msg.seqr as send invoice wrote it, else from msg.payload, as text', function () {
      assert.deepEqual(amountOfMessage({ seqr: { amount: '12.50', currency: 'SEK' }, payload: { amount: '1.00', currency: 'EUR' } } as NodeMessage), { amount: '12.50', currency: 'SEK' });
      assert.deepEqual(amountOfMessage({ payload: { amount: 7, currency: 'EUR' } }), { amount: '7', currency: 'EUR' });
      assert.deepEqual(amountOfMessage({ payload: 'ref-1' }), {});
      assert.deepEqual(amountOfMessage({ payload: { amount: '3.00', currency: 42 } }), { amount: '3.00' });
    });

    it('reads the notification key only as text from msg.seqr', function () {
      assert.equal(notificationKeyOf({ seqr: { notificationKey: 'k'.repeat(22) } } as NodeMessage), 'k'.repeat(22));
      assert.equal(notificationKeyOf({ seqr: { notificationKey: 5 } } as NodeMessage), undefined);
      assert.equal(notificationKeyOf({ payload: { notificationKey: 'x' } }), undefined);
    });
  });

  describe('marks on a message watched again', function () {
    it('resumed: keeps msg.seqr and names the properties lost; redelivered: says so', function () {
      const msg = { seqr: { invoiceReference: 'r1', amount: '1.00' } } as NodeMessage & { seqr: Record<string, unknown> };
      const lost = ['socket'];
      markResumed(msg, lost);
      lost.push('changed afterwards');
      assert.deepEqual(msg.seqr, { invoiceReference: 'r1', amount: '1.00', resumed: true, lostProperties: ['socket'] });
      markRedelivered(msg);
      assert.equal((msg.seqr as Record<string, unknown>).redelivered, true);
      const bare = {} as NodeMessage & { seqr?: unknown };
      markRedelivered(bare);
      assert.deepEqual(bare.seqr, { redelivered: true });
    });
  });

  describe('output 1: paid', function () {
    it('takes the amount from the receipt over the given one (also in the sentence), keeps msg.seqr, and lays out a receipt of the width', function () {
      const receipt = { invoice: { totalAmount: { value: '19.90', currency: 'SEK' } }, paymentDate: '2026-12-02T08:00:05Z' } as PaymentReceipt;
      const msg = { order: 7, seqr: { sentAt: 'earlier' } } as NodeMessage & { seqr: Record<string, unknown>; receiptText?: string };
      const paid = writePaid(msg, { status: 'PAID', invoiceReference: 'r1', ersReference: 'e1', receipt, version: 3, tokens: [], startedAt }, { amount: '1.00', currency: 'EUR' }, 32, (what) => `Paid ${what.amount} ${what.currency}`);
      assert.deepEqual(paid, { amount: '19.90', currency: 'SEK' });
      assert.deepEqual(msg.payload, { status: 'PAID', message: 'Paid 19.90 SEK', invoiceReference: 'r1', ersReference: 'e1', amount: '19.90', currency: 'SEK', paidAt: '2026-12-02T08:00:05Z', receipt });
      assert.deepEqual(msg.seqr, { sentAt: 'earlier', invoiceReference: 'r1', status: 'PAID', ersReference: 'e1' });
      const lines = msg.receiptText!.split('\n');
      assert.ok(lines.every((line) => line.length <= 32), msg.receiptText);
      assert.ok(msg.receiptText!.includes('19.90'));
      assert.ok(msg.receiptText!.includes('e1'));
    });

    it('without a receipt: the given amount, and paidAt now', function () {
      const msg: NodeMessage = {};
      const before = Date.now();
      writePaid(msg, { status: 'PAID', invoiceReference: 'r2', version: 1, tokens: [], startedAt }, { amount: '5.00', currency: 'SEK' }, 48, () => 'paid');
      const payload = msg.payload as { amount: string; paidAt: string };
      assert.equal(payload.amount, '5.00');
      assert.ok(Date.parse(payload.paidAt) >= before - 1000);
    });
  });

  describe('output 2 and 3', function () {
    it('failed: the outcome without startedAt, with the sentence for people and the amount where known', function () {
      const msg: NodeMessage & { seqr?: unknown } = {};
      writeFailed(msg, { status: 'TIMEOUT', invoiceReference: 'r3', reason: 'gave up', cancelled: true, startedAt }, { amount: '2.00' }, 'Not paid in time.');
      assert.deepEqual(msg.payload, { status: 'TIMEOUT', message: 'Not paid in time.', invoiceReference: 'r3', reason: 'gave up', cancelled: true, amount: '2.00' });
      assert.deepEqual(msg.seqr, { invoiceReference: 'r3', status: 'TIMEOUT' });
    });

    it('update: status, version, tokens and the previous status, on the copy it is given', function () {
      const copy: NodeMessage & { seqr?: unknown } = {};
      writeUpdate(copy, { status: 'RESERVED', previousStatus: 'ISSUED', invoiceReference: 'r4', version: 2, tokens: [], startedAt }, { amount: '3.00', currency: 'SEK' });
      assert.deepEqual(copy.payload, { status: 'RESERVED', invoiceReference: 'r4', version: 2, tokens: [], previousStatus: 'ISSUED', amount: '3.00', currency: 'SEK' });
      writeUpdate(copy, { status: 'ISSUED', invoiceReference: 'r4', version: 1, tokens: [], startedAt }, {});
      assert.deepEqual(copy.payload, { status: 'ISSUED', invoiceReference: 'r4', version: 1, tokens: [] });
    });
  });
});
