import assert from 'node:assert/strict';
import { mock } from 'node:test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Harness, COFFEE, terminalContext, type Wire } from './helpers/emulator';
import { invoice } from './helpers/seqr';
import { pause, eventually } from './helpers/time';

/** Spec §5.2 transitions T1–T14 and the result codes of the invoice operations, over SOAP on loopback. */

describe('SEQR emulator: paying an invoice (T1, T5, T6)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ ackWindowMs: 150 });
  });
  after(() => h.stop());

  it('T1: sendInvoice issues an invoice at version 1 with a SEQR reference and QR code', async () => {
    const answer = await h.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });
    assert.equal(answer.resultCode, 0);
    assert.equal(answer.resultDescription, 'SUCCESS');
    assert.match(answer.invoiceReference, /^\d{13,17}$/);
    assert.equal(answer.invoiceQRCode, `HTTP://SEQR.SE/R${answer.invoiceReference}`);
    assert.equal(answer.ersReference, undefined);
    const status = await h.status(answer.invoiceReference);
    assert.deepEqual({ ...status }, { resultCode: 0, resultDescription: 'SUCCESS', status: 'ISSUED', version: 1 });
  });

  it('T5: the payer pays; getPaymentStatus reports PAID with ersReference and receipt, which then stands', async () => {
    const reference = await h.send({ invoiceRows: { invoiceRow: [{ itemDescription: 'Latte', itemQuantity: '2', itemTotalAmount: { currency: 'SEK', value: '149.90' } }] } });
    const view = await h.emu.payer.pay(reference);
    assert.equal(view.status, 'PAID');
    const status = await h.status(reference, terminalContext(), 1);
    assert.equal(status.status, 'PAID');
    assert.equal(status.version, 2);
    assert.match(status.ersReference, /^\d{25}$/);
    const receipt = status.receipt;
    assert.equal(receipt.paymentReference, status.ersReference);
    assert.equal(receipt.invoiceReference, reference);
    assert.equal(receipt.terminalId, 'public_test_shop_terminal');
    assert.equal(receipt.clientInvoiceId, 'order-1');
    assert.equal(receipt.receiverName, 'Public test shop terminal');
    assert.match(receipt.payerTerminalId, /^[0-9a-f]{25}$/);
    assert.match(receipt.paymentDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    assert.deepEqual(receipt.invoice.totalAmount, { currency: 'SEK', value: '149.90' });
    assert.equal(receipt.invoice.invoiceRows.invoiceRow[0].itemDescription, 'Latte');
    await pause(250);
    const later = await h.status(reference);
    assert.equal(later.status, 'PAID', 'a fetched payment is never reversed');
    assert.equal(later.version, 2);
  });

  it('T6: a payment that no getPaymentStatus reports within the window is reversed', async () => {
    const reference = await h.send();
    await h.emu.payer.pay(reference);
    const ersReference = h.emu.core.invoices.get(reference)?.payment?.ersReference;
    await pause(250);
    const status = await h.status(reference);
    assert.equal(status.status, 'CANCELED');
    assert.equal(status.version, 3);
    assert.equal(status.ersReference, undefined);
    assert.equal(status.receipt, undefined);
    const refund = await h.call('refundPayment', { context: terminalContext(), ersReference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '1.00' } }) });
    assert.equal(refund.resultCode, 23, 'the reversed payment is gone');
  });

  it('answers an empty invoiceReference with the terminal\'s newest invoice', async () => {
    const reference = await h.send();
    const status = await h.call('getPaymentStatus', { context: terminalContext(), invoiceVersion: 0 });
    assert.equal(status.status, 'ISSUED');
    assert.equal(h.emu.core.invoices.get(reference)?.status, 'ISSUED');
  });
});

describe('SEQR emulator: updating, cancelling, failing (T2, T11, T12)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('T2: updateInvoice changes an unscanned invoice, which is then paid at the new amount', async () => {
    const reference = await h.send();
    const update = await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '99.00' } }) });
    assert.equal(update.resultCode, 0);
    assert.equal((await h.status(reference)).version, 1, 'a change of amount is no status change');
    await h.emu.payer.pay(reference);
    assert.deepEqual((await h.status(reference)).receipt.invoice.totalAmount, { currency: 'SEK', value: '99.00' });
  });

  it('T2 after a scan: the update succeeds but the payer still pays what the app shows', async () => {
    const reference = await h.send();
    await h.emu.payer.scan(reference);
    await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '5.00' } }) });
    const view = await h.emu.payer.pay(reference);
    assert.equal(view.amount, '149.90');
    assert.deepEqual((await h.status(reference)).receipt.invoice.totalAmount, { currency: 'SEK', value: '149.90' });
  });

  it('T11: cancelInvoice cancels; again answers 95; a paid invoice answers 50', async () => {
    const reference = await h.send();
    assert.equal((await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: reference })).resultCode, 0);
    assert.deepEqual([(await h.status(reference)).status, (await h.status(reference)).version], ['CANCELED', 2]);
    assert.equal((await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: reference })).resultCode, 95);

    const paid = await h.send();
    await h.emu.payer.pay(paid);
    await h.status(paid);
    const answer = await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: paid });
    assert.equal(answer.resultCode, 50);
    assert.equal(answer.resultDescription, 'CANNOT_CANCEL_PAID_INVOICE');
  });

  it('T11: the payer cancels in the app', async () => {
    const reference = await h.send();
    await h.emu.payer.cancel(reference);
    assert.equal((await h.status(reference)).status, 'CANCELED');
  });

  it('T11: a new invoice on a cash-register terminal cancels its open one; a webshop terminal keeps both', async () => {
    const till = await h.registerTerminal();
    const first = await h.send({}, till.context);
    const second = await h.send({}, till.context);
    assert.equal((await h.status(first, till.context)).status, 'CANCELED');
    assert.equal((await h.status(second, till.context)).status, 'ISSUED');

    const one = await h.send();
    const two = await h.send();
    assert.equal((await h.status(one)).status, 'ISSUED');
    assert.equal((await h.status(two)).status, 'ISSUED');
  });

  it('T12: the payer\'s bank declines: FAILED, and cancelling it answers 95', async () => {
    const reference = await h.send();
    const view = await h.emu.payer.decline(reference);
    assert.equal(view.status, 'FAILED');
    assert.deepEqual([(await h.status(reference)).status, (await h.status(reference)).version], ['FAILED', 2]);
    assert.equal((await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: reference })).resultCode, 95);
  });

  it('updateInvoice after PAID answers 90, and on a cancelled invoice too', async () => {
    const paid = await h.send();
    await h.emu.payer.pay(paid);
    await h.status(paid);
    const after = await h.call('updateInvoice', { context: terminalContext(), invoiceReference: paid, invoice: invoice(COFFEE) });
    assert.equal(after.resultCode, 90);
    const cancelled = await h.send();
    await h.emu.payer.cancel(cancelled);
    assert.equal((await h.call('updateInvoice', { context: terminalContext(), invoiceReference: cancelled, invoice: invoice(COFFEE) })).resultCode, 90);
  });

  it('answers 54 for unknown references and for another terminal\'s invoice', async () => {
    const other = await h.registerTerminal();
    const reference = await h.send();
    for (const [operation, args] of [
      ['getPaymentStatus', { invoiceReference: '1234567890123', invoiceVersion: 0 }],
      ['cancelInvoice', { invoiceReference: '1234567890123' }],
      ['updateInvoice', { invoiceReference: '1234567890123', invoice: invoice(COFFEE) }],
      ['commitReservation', { invoiceReference: '1234567890123' }],
      ['getPaymentStatus', { invoiceReference: reference, invoiceVersion: 0, context: other.context }],
    ] as const) {
      const answer = await h.call(operation, { context: terminalContext(), ...args });
      assert.equal(answer.resultCode, 54, operation);
      assert.equal(answer.resultDescription, 'INVALID_INVOICE_REFERENCE');
    }
    const fresh = await h.registerTerminal();
    assert.equal((await h.call('getPaymentStatus', { context: fresh.context, invoiceVersion: 0 })).resultCode, 54, 'no invoice yet');
  });
});

describe('SEQR emulator: payment in progress (51, 48)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ processingMs: 200 });
  });
  after(() => h.stop());

  it('between the PIN and the bank\'s answer, cancel answers 51 and update 48; then the payment completes', async () => {
    const reference = await h.send();
    // Fake timers (node:test's mock.timers): the bank answers when the test moves the clock past processingMs.
    // With the real 200 ms, the four calls below took longer than that on a loaded machine and saw PAID.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const paying = h.emu.payer.pay(reference);
      const cancel = await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: reference });
      assert.equal(cancel.resultCode, 51);
      const update = await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE) });
      assert.equal(update.resultCode, 48);
      assert.equal((await h.status(reference)).status, 'ISSUED', 'still ISSUED until the bank answers');
      await assert.rejects(h.emu.payer.pay(reference), /being paid right now/);
      mock.timers.tick(200);
      assert.equal((await paying).status, 'PAID');
    } finally {
      mock.timers.reset();
    }
  });

  it('a payment still under way when the emulator stops is abandoned', async () => {
    const other = await Harness.start({ processingMs: 5000 });
    const reference = await other.send();
    const paying = other.emu.payer.pay(reference);
    await other.stop();
    await assert.rejects(paying, /stopped/);
  });
});

describe('SEQR emulator: loyalty acknowledgement (T3, T4)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  const card = { id: 'X_CARD', value: '4711', description: 'Bonus card' };

  it('REQUIRE_ACKNOWLEDGMENT: the scan waits for the merchant, whose updateInvoice releases the payer', async () => {
    const reference = await h.send({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
    const scanned = await h.emu.payer.scan(reference, { loyaltyToken: card });
    assert.equal(scanned.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    const pending = await h.status(reference);
    assert.equal(pending.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.equal(pending.version, 2);
    assert.deepEqual(pending.customerTokens.token.map((t: Wire) => ({ ...t })), [{ description: 'Bonus card', id: 'X_CARD', status: 0, value: '4711' }]);
    await assert.rejects(h.emu.payer.pay(reference), /waits for the merchant to acknowledge/);

    const ack = await h.call('updateInvoice', {
      context: terminalContext(),
      invoiceReference: reference,
      invoice: invoice(COFFEE, { acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT', totalAmount: { currency: 'SEK', value: '134.91' } }),
      tokens: [{ ...card, status: 1 }],
    });
    assert.equal(ack.resultCode, 0);
    const issued = await h.status(reference);
    assert.equal(issued.status, 'ISSUED');
    assert.equal(issued.version, 3);
    assert.equal(issued.customerTokens.token[0].status, 1);

    const paid = await h.emu.payer.pay(reference);
    assert.equal(paid.amount, '134.91', 'the app shows the acknowledged invoice');
    const status = await h.status(reference);
    assert.deepEqual([status.status, status.version], ['PAID', 4]);
  });

  it('OPTIONAL_ACKNOWLEDGMENT asks only when there is a token; the till\'s swiped card beats the app\'s', async () => {
    const without = await h.send({ acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    assert.equal((await h.emu.payer.scan(without)).status, 'ISSUED');

    const withAppCard = await h.send({ acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    assert.equal((await h.emu.payer.scan(withAppCard, { loyaltyToken: card })).status, 'PENDING_ISSUER_ACKNOWLEDGE');

    const swiped = { id: 'SHOP_CARD', value: '99', description: 'Shop card', status: 1 };
    const withSwipedCard = await h.send({ acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' }, terminalContext(), [swiped]);
    await h.emu.payer.scan(withSwipedCard, { loyaltyToken: card });
    const status = await h.status(withSwipedCard);
    assert.deepEqual({ ...status.customerTokens.token[0] }, { description: 'Shop card', id: 'SHOP_CARD', status: 0, value: '99' });
  });

  it('treats a missing acknowledgmentMode as REQUIRE_ACKNOWLEDGMENT (configurable)', async () => {
    const reference = await h.send({ acknowledgmentMode: undefined });
    assert.equal((await h.emu.payer.scan(reference)).status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.equal((await h.status(reference)).customerTokens, undefined, 'no token, none reported');
    // Acknowledged once, a scan does not ask again.
    await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { acknowledgmentMode: undefined }) });
    assert.equal((await h.emu.payer.scan(reference)).status, 'ISSUED');

    const relaxed = await Harness.start({ missingAcknowledgmentMode: 'NO_ACKNOWLEDGMENT' });
    try {
      const plain = await relaxed.send({ acknowledgmentMode: undefined });
      assert.equal((await relaxed.emu.payer.scan(plain)).status, 'ISSUED');
    } finally {
      await relaxed.stop();
    }
  });

  it('raises the version when the merchant changes the reported tokens, not otherwise', async () => {
    const reference = await h.send({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
    await h.emu.payer.scan(reference, { loyaltyToken: card });
    await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE), tokens: [{ ...card, status: 1 }] });
    assert.equal((await h.status(reference)).version, 3);
    await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE), tokens: [{ ...card, status: 1 }] });
    assert.equal((await h.status(reference)).version, 3, 'same tokens');
    await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE), tokens: [{ ...card, status: 99 }] });
    const status = await h.status(reference);
    assert.deepEqual([status.version, status.customerTokens.token[0].status], [4, 99]);
  });

  it('the payer may cancel while the merchant is asked to acknowledge', async () => {
    const reference = await h.send({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
    await h.emu.payer.scan(reference);
    assert.equal((await h.emu.payer.cancel(reference)).status, 'CANCELED');
  });
});

describe('SEQR emulator: reservations (T7, T8, T9, T10, T13)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start({ defaultCommitTimeoutMs: 150 });
  });
  after(() => h.stop());

  it('T7/T8/T9: RESERVATION_REQUIRED is reserved, may be updated within the reservation, then committed', async () => {
    // Its own emulator with a minute to commit: the block's 150 ms (for T10) is too short for these eight
    // calls on a loaded machine.
    const roomy = await Harness.start({ defaultCommitTimeoutMs: 60_000 });
    try {
      await reserveUpdateAndCommit(roomy);
    } finally {
      await roomy.stop();
    }
  });

  async function reserveUpdateAndCommit(harness: Harness): Promise<void> {
    const reference = await harness.send({ paymentMode: 'RESERVATION_REQUIRED' });
    assert.equal((await harness.emu.payer.pay(reference)).status, 'RESERVED');
    const reserved = await harness.status(reference);
    assert.deepEqual([reserved.status, reserved.version, reserved.ersReference], ['RESERVED', 2, undefined]);

    const tooMuch = await harness.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '150.00' } }) });
    assert.equal(tooMuch.resultCode, 11);
    const otherCurrency = await harness.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { totalAmount: { currency: 'EUR', value: '10.00' } }) });
    assert.equal(otherCurrency.resultCode, 49);
    const basket = await harness.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '120.00' } }) });
    assert.equal(basket.resultCode, 0);
    assert.equal((await harness.status(reference)).status, 'RESERVED');

    assert.equal((await harness.call('commitReservation', { context: terminalContext(), invoiceReference: reference })).resultCode, 0);
    const paid = await harness.status(reference);
    assert.deepEqual([paid.status, paid.version], ['PAID', 3]);
    assert.match(paid.ersReference, /^\d{25}$/);
    assert.deepEqual(paid.receipt.invoice.totalAmount, { currency: 'SEK', value: '120.00' });

    const again = await harness.call('commitReservation', { context: terminalContext(), invoiceReference: reference });
    assert.deepEqual([again.resultCode, again.resultDescription], [96, 'INVOICE_STATE_NOT_RESERVED']);
  }

  it('a committed reservation needs no getPaymentStatus to stand', async () => {
    const quick = await Harness.start({ ackWindowMs: 50 });
    try {
      const reference = await quick.send({ paymentMode: 'RESERVATION_REQUIRED' });
      await quick.emu.payer.pay(reference);
      await quick.call('commitReservation', { context: terminalContext(), invoiceReference: reference });
      await pause(120);
      assert.equal((await quick.status(reference)).status, 'PAID');
    } finally {
      await quick.stop();
    }
  });

  it('RESERVATION_REQUIRED_PRELIMINARY_AMOUNT needs commitReservationTimeout and commits a final amount up to the reservation', async () => {
    const missing = await h.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE, { paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT' }) });
    assert.equal(missing.resultCode, 49);

    const reference = await h.send({ paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT', commitReservationTimeout: 3600, totalAmount: { currency: 'SEK', value: '500.00' } });
    await h.emu.payer.pay(reference);
    const commit = (amount: object) => h.call('commitReservation', { context: terminalContext(), amount, invoiceReference: reference });
    assert.equal((await commit({ currency: 'SEK', value: '500.01' })).resultCode, 11);
    assert.equal((await commit({ currency: 'EUR', value: '10.00' })).resultCode, 49);
    assert.equal((await commit({ currency: 'SEK', value: '0' })).resultCode, 49);
    assert.equal((await commit({ currency: 'SEK', value: '312.40' })).resultCode, 0);
    const paid = await h.status(reference);
    assert.equal(paid.status, 'PAID');
    assert.deepEqual(paid.receipt.invoice.totalAmount, { currency: 'SEK', value: '312.40' });
    assert.equal(paid.receipt.invoice.commitReservationTimeout, 3600);
    assert.equal(h.emu.core.ledger.find(paid.ersReference)?.amount.toFixed(2), '312.40');
  });

  it('RESERVATION_DESIRED reserves when the payer\'s bank can, and debits at once when it cannot', async () => {
    const reserved = await h.send({ paymentMode: 'RESERVATION_DESIRED' });
    assert.equal((await h.emu.payer.pay(reserved)).status, 'RESERVED');
    const debited = await h.send({ paymentMode: 'RESERVATION_DESIRED' });
    assert.equal((await h.emu.payer.pay(debited, { canReserve: false })).status, 'PAID');
  });

  it('T10: an uncommitted reservation expires (EXPIRED in v2.6 mode, CANCELED otherwise)', async () => {
    const reference = await h.send({ paymentMode: 'RESERVATION_REQUIRED' });
    await h.emu.payer.pay(reference);
    await eventually(async () => (await h.status(reference)).status !== 'RESERVED');
    const status = await h.status(reference);
    assert.deepEqual([status.status, status.version], ['EXPIRED', 3]);
    assert.equal((await h.call('commitReservation', { context: terminalContext(), invoiceReference: reference })).resultCode, 96);

    const old = await Harness.start({ defaultCommitTimeoutMs: 50, emitExpired: false });
    try {
      const lapsed = await old.send({ paymentMode: 'RESERVATION_REQUIRED' });
      await old.emu.payer.pay(lapsed);
      await eventually(async () => (await old.status(lapsed)).status === 'CANCELED');
    } finally {
      await old.stop();
    }
  });

  it('T10 honours commitReservationTimeout in seconds', async function () {
    this.timeout(20_000);
    const long = await Harness.start({ defaultCommitTimeoutMs: 60_000 });
    try {
      const reference = await long.send({ paymentMode: 'RESERVATION_REQUIRED', commitReservationTimeout: 1 });
      await long.emu.payer.pay(reference);
      // Still reserved well before the second is up (leaving room for a busy machine), expired soon after it.
      await pause(400);
      assert.equal((await long.status(reference)).status, 'RESERVED');
      await eventually(async () => (await long.status(reference)).status === 'EXPIRED', 10_000);
    } finally {
      await long.stop();
    }
  });

  it('T13: cancelInvoice releases a reservation', async () => {
    const reference = await h.send({ paymentMode: 'RESERVATION_REQUIRED' });
    await h.emu.payer.pay(reference);
    assert.equal((await h.call('cancelInvoice', { context: terminalContext(), invoiceReference: reference })).resultCode, 0);
    assert.equal((await h.status(reference)).status, 'CANCELED');
  });

  it('the payer cannot cancel or pay a reservation again', async () => {
    const reference = await h.send({ paymentMode: 'RESERVATION_REQUIRED' });
    await h.emu.payer.pay(reference);
    await assert.rejects(h.emu.payer.cancel(reference), /is RESERVED/);
    await assert.rejects(h.emu.payer.pay(reference), /is RESERVED/);
  });
});

describe('SEQR emulator: invoice expiry (T14, optional)', () => {
  it('lapses an unpaid invoice when invoiceExpiryMs is set', async () => {
    // Long enough that both invoices are still open when the second is scanned on a busy machine (two SOAP
    // round trips and a scan), short enough to keep the test quick.
    const h = await Harness.start({ invoiceExpiryMs: 800 });
    try {
      const reference = await h.send();
      const pending = await h.send({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
      await h.emu.payer.scan(pending);
      assert.equal((await h.status(reference)).status, 'ISSUED');
      await eventually(async () => (await h.status(reference)).status === 'EXPIRED', 10000);
      // Sent a moment later, the second lapses a moment later.
      await eventually(async () => (await h.status(pending)).status === 'EXPIRED', 10_000);
    } finally {
      await h.stop();
    }
  });
});

describe('SEQR emulator: invoice validation (49, 64)', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  const send = (overrides: object) => h.call('sendInvoice', { context: terminalContext(), invoice: { ...invoice(), ...overrides } });

  it('answers 49 INVALID_INVOICE_DATA for a missing or invalid totalAmount', async () => {
    const bad: object[] = [
      { totalAmount: undefined },
      { totalAmount: { currency: 'SEK' } },
      { totalAmount: { currency: 'SEK', value: '0' } },
      { totalAmount: { currency: 'SEK', value: '-5.00' } },
      { totalAmount: { currency: 'SEK', value: '1.005' } },
      { totalAmount: { currency: 'SEK', value: '1e3' } },
      { totalAmount: { currency: 'SEK', value: 'NaN' } },
      { totalAmount: { currency: 'XYZ', value: '10' } },
      { totalAmount: { currency: 'sek', value: '10' } },
      { totalAmount: { value: '10' } },
      { paymentMode: 'PAY_LATER' },
      { invoiceRows: { invoiceRow: [{ itemTotalAmount: { currency: 'SEK', value: 'ten' } }] } },
      { invoiceRows: { invoiceRow: [{ itemQuantity: 'two', itemTotalAmount: { currency: 'SEK', value: '1' } }] } },
    ];
    for (const overrides of bad) {
      const answer = await send(overrides);
      assert.equal(answer.resultCode, 49, JSON.stringify(overrides));
      assert.equal(answer.resultDescription, 'INVALID_INVOICE_DATA');
    }
    const none = await h.call('sendInvoice', { context: terminalContext() });
    assert.equal(none.resultCode, 49);
  });

  it('accepts what SEQR accepted: trailing zeros, negative balancing rows, rows that do not add up', async () => {
    const good: object[] = [
      { totalAmount: { currency: 'EUR', value: '10.500' } },
      { totalAmount: { currency: 'USD', value: '7' } },
      {
        invoiceRows: {
          invoiceRow: [
            { itemDescription: 'Shoes', itemTotalAmount: { currency: 'SEK', value: '200.00' } },
            { itemDescription: 'Discount', itemTotalAmount: { currency: 'SEK', value: '-50.10' } },
          ],
        },
      },
      { invoiceRows: { invoiceRow: [{ itemDescription: 'Discount', itemTotalAmount: { currency: 'SEK', value: '20.00' } }] } },
    ];
    for (const overrides of good) assert.equal((await send(overrides)).resultCode, 0, JSON.stringify(overrides));
  });

  it('checks that rows add up in strict mode (§10.2)', async () => {
    const strict = await Harness.start({ strictRowSum: true });
    try {
      const rows = (values: string[]) => ({ invoiceRow: values.map((value) => ({ itemTotalAmount: { currency: 'SEK', value } })) });
      const sendStrict = (invoiceRows: object) => strict.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE, { invoiceRows } as object) });
      assert.equal((await sendStrict(rows(['200.00', '-50.10']))).resultCode, 0);
      assert.equal((await sendStrict(rows(['100.00', '20.00']))).resultCode, 49);
      assert.equal((await sendStrict({ invoiceRow: [{ itemDescription: 'no total' }] })).resultCode, 49);
      assert.equal((await sendStrict({ invoiceRow: [{ itemTotalAmount: { currency: 'EUR', value: '149.90' } }] })).resultCode, 49);
    } finally {
      await strict.stop();
    }
  });

  it('answers 64 for a notificationUrl that is not http(s), in send and update', async () => {
    for (const notificationUrl of ['ftp://shop.example/notify', 'shop.example/notify', 'javascript:alert(1)']) {
      const answer = await send({ notificationUrl });
      assert.deepEqual([answer.resultCode, answer.resultDescription], [64, 'INVALID_NOTIFICATION_URL'], notificationUrl);
    }
    assert.equal((await send({ notificationUrl: 'https://shop.example/notify?order=7' })).resultCode, 0);
    const reference = await h.send();
    const update = await h.call('updateInvoice', { context: terminalContext(), invoiceReference: reference, invoice: invoice(COFFEE, { notificationUrl: 'mailto:x@y.z' }) });
    assert.equal(update.resultCode, 64);
  });
});

describe('SEQR emulator: notificationUrl', () => {
  let receiver: http.Server;
  let received: Array<{ method?: string; type?: string; body: string; url?: string }>;
  let receiverUrl: string;
  before(async () => {
    received = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body, url: req.url });
        if (req.url?.startsWith('/hang')) return; // never answers
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  after(() => {
    receiver.closeAllConnections();
    receiver.close();
  });
  beforeEach(() => (received.length = 0));

  it('POSTs invoiceReference=<ref> as a form when the invoice is PAID', async () => {
    const h = await Harness.start();
    try {
      const reference = await h.send({ notificationUrl: `${receiverUrl}/notify?order=7` });
      await h.emu.payer.pay(reference);
      await eventually(() => received.length === 1);
      assert.deepEqual(received[0], { method: 'POST', type: 'application/x-www-form-urlencoded', body: `invoiceReference=${reference}`, url: '/notify?order=7' });
    } finally {
      await h.stop();
    }
  });

  it('notifies on RESERVED only when asked to', async () => {
    const quiet = await Harness.start();
    const loud = await Harness.start({ notifyOnReserved: true });
    try {
      const a = await quiet.send({ paymentMode: 'RESERVATION_REQUIRED', notificationUrl: `${receiverUrl}/quiet` });
      await quiet.emu.payer.pay(a);
      const b = await loud.send({ paymentMode: 'RESERVATION_REQUIRED', notificationUrl: `${receiverUrl}/loud` });
      await loud.emu.payer.pay(b);
      await eventually(() => received.length === 1);
      await pause(50);
      assert.deepEqual(received.map((r) => r.url), ['/loud']);
      await loud.call('commitReservation', { context: terminalContext(), invoiceReference: b });
      await eventually(() => received.length === 2);
    } finally {
      await quiet.stop();
      await loud.stop();
    }
  });

  it('never makes the merchant wait: a hanging or dead receiver changes nothing', async () => {
    const lines: string[] = [];
    // A timeout well above what a pay and a status call take on a busy machine: if paying waited for the
    // hanging receiver, the answer would come only after it.
    const h = await Harness.start({ notificationTimeoutMs: 1000, log: (line) => lines.push(line) });
    try {
      const hanging = await h.send({ notificationUrl: `${receiverUrl}/hang` });
      const started = Date.now();
      await h.emu.payer.pay(hanging);
      assert.equal((await h.status(hanging)).status, 'PAID');
      const waited = Date.now() - started;
      assert.ok(waited < 1000, `answered after ${waited} ms, not before the notification timed out`);
      const dead = await h.send({ notificationUrl: 'http://127.0.0.1:9/nobody' });
      await h.emu.payer.pay(dead);
      await eventually(() => lines.some((line) => line.includes('no answer within 1000 ms')) && lines.some((line) => /nobody: failed/.test(line)), 5000);
    } finally {
      await h.stop();
    }
  });
});
