import assert from 'node:assert/strict';
import { invoiceQrText } from '../src/seqr/qr';
import { invoice, startRig, type Rig } from './helpers/seqr';
import { eventually } from './helpers/time';

/*
 * Every status transition of spec §5.2 (T1–T14), driven through SeqrClient over HTTP against the emulator,
 * with the emulator's payer API acting as the customer's phone. Versions start at 1 and rise on every change.
 */

describe('SeqrClient through every status transition', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  it('T1 ISSUED at version 1, T5 PAID with ersReference and receipt only then', async () => {
    const sent = await rig.terminal.sendInvoice(invoice({ amount: '149.90', clientInvoiceId: 'order-1', rows: [{ description: 'Shoes', total: '149.90' }] }));
    assert.match(sent.invoiceReference, /^\d{13,17}$/);
    assert.equal(sent.invoiceQRCode, `HTTP://SEQR.SE/R${sent.invoiceReference}`);
    assert.equal(sent.resultCode, 0);

    const issued = await rig.terminal.getPaymentStatus(sent.invoiceReference, 0);
    assert.deepEqual(issued, { status: 'ISSUED', version: 1, tokens: [], resultCode: 0, resultDescription: 'SUCCESS' });

    await rig.emu.payer.pay(invoiceQrText(sent));
    const paid = await rig.terminal.getPaymentStatus(sent.invoiceReference, issued.version);
    assert.equal(paid.status, 'PAID');
    assert.equal(paid.version, 2);
    assert.match(paid.ersReference!, /^\d{25}$/);
    assert.equal(paid.receipt?.paymentReference, paid.ersReference);
    assert.equal(paid.receipt?.invoiceReference, sent.invoiceReference);
    assert.equal(paid.receipt?.clientInvoiceId, 'order-1');
    assert.equal(paid.receipt?.terminalId, 'public_test_shop_terminal');
    // Amounts stay exact decimal text all the way through.
    assert.deepEqual(paid.receipt?.invoice?.totalAmount, { currency: 'SEK', value: '149.90' });
    assert.deepEqual(paid.receipt?.invoice?.invoiceRows?.invoiceRow[0].itemTotalAmount, { currency: 'SEK', value: '149.90' });
    assert.equal(typeof paid.receipt?.paymentDate, 'string');

    // The echoed version never changes what is reported.
    assert.equal((await rig.terminal.getPaymentStatus(sent.invoiceReference, 0)).status, 'PAID');
  });

  it('T2 an update while ISSUED keeps it ISSUED', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice('10.00'));
    await rig.terminal.updateInvoice(invoiceReference, invoice('12.00'));
    const status = await rig.terminal.getPaymentStatus(invoiceReference, 1);
    assert.equal(status.status, 'ISSUED');
    await rig.emu.payer.pay(invoiceReference);
    const paid = await rig.terminal.getPaymentStatus(invoiceReference, status.version);
    assert.equal(paid.receipt?.invoice?.totalAmount.value, '12.00');
  });

  it('T3 scan with REQUIRE_ACKNOWLEDGMENT → PENDING_ISSUER_ACKNOWLEDGE, T4 updateInvoice acknowledges → ISSUED → PAID', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice({ amount: '50.00', acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }));
    await rig.emu.payer.scan(invoiceReference);
    const pending = await rig.terminal.getPaymentStatus(invoiceReference, 1);
    assert.equal(pending.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.equal(pending.version, 2);

    await rig.terminal.updateInvoice(invoiceReference, invoice({ amount: '45.00', acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }));
    const acknowledged = await rig.terminal.getPaymentStatus(invoiceReference, pending.version);
    assert.equal(acknowledged.status, 'ISSUED');
    assert.equal(acknowledged.version, 3);

    await rig.emu.payer.pay(invoiceReference);
    const paid = await rig.terminal.getPaymentStatus(invoiceReference, acknowledged.version);
    assert.equal(paid.status, 'PAID');
    assert.equal(paid.receipt?.invoice?.totalAmount.value, '45.00');
  });

  it('T3 with OPTIONAL_ACKNOWLEDGMENT only when the payer has a loyalty card; the tokens come back and go out', async () => {
    const optional = invoice({ amount: '30.00', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    const withoutCard = await rig.terminal.sendInvoice(optional);
    await rig.emu.payer.scan(withoutCard.invoiceReference);
    assert.equal((await rig.terminal.getPaymentStatus(withoutCard.invoiceReference, 1)).status, 'ISSUED');

    const withCard = await rig.terminal.sendInvoice(optional);
    await rig.emu.payer.scan(withCard.invoiceReference, { loyaltyToken: { id: 'SOME_CARD', value: '4711', description: 'Club card' } });
    const pending = await rig.terminal.getPaymentStatus(withCard.invoiceReference, 1);
    assert.equal(pending.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.deepEqual(pending.tokens, [{ description: 'Club card', id: 'SOME_CARD', status: 0, value: '4711' }]);

    // The merchant applies the card (status 1) with a discount: the acknowledgement.
    await rig.terminal.updateInvoice(withCard.invoiceReference, invoice({ amount: '27.00', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' }), [
      { id: 'SOME_CARD', value: '4711', status: 1, description: 'Club card' },
    ]);
    const acknowledged = await rig.terminal.getPaymentStatus(withCard.invoiceReference, pending.version);
    assert.equal(acknowledged.status, 'ISSUED');
    assert.deepEqual(acknowledged.tokens, [{ description: 'Club card', id: 'SOME_CARD', status: 1, value: '4711' }]);
  });

  it('a card swiped at the till (sendInvoice tokens) beats the card in the app', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice({ amount: '30.00', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' }), [
      { id: 'X_CARD', value: '42', status: 1, description: 'Swiped card' },
    ]);
    await rig.emu.payer.scan(invoiceReference, { loyaltyToken: { id: 'SOME_CARD', value: '4711' } });
    const pending = await rig.terminal.getPaymentStatus(invoiceReference, 1);
    assert.equal(pending.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.deepEqual(pending.tokens.map((token) => [token.id, token.value, token.status]), [['X_CARD', '42', 0]]);
  });

  it('T7 RESERVED, T8 update while RESERVED, T9 commitReservation with a final amount → PAID', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(
      invoice({ amount: '200.00', paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT', commitReservationTimeout: 3600 }),
    );
    await rig.emu.payer.pay(invoiceReference);
    const reserved = await rig.terminal.getPaymentStatus(invoiceReference, 1);
    assert.equal(reserved.status, 'RESERVED');
    assert.equal(reserved.ersReference, undefined);

    await rig.terminal.updateInvoice(invoiceReference, invoice({ amount: '180.00', paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT', commitReservationTimeout: 3600, title: 'Final basket' }));
    assert.equal((await rig.terminal.getPaymentStatus(invoiceReference, reserved.version)).status, 'RESERVED');

    await rig.terminal.commitReservation(invoiceReference, { currency: 'SEK', value: '175.50' });
    const paid = await rig.terminal.getPaymentStatus(invoiceReference, reserved.version);
    assert.equal(paid.status, 'PAID');
    assert.match(paid.ersReference!, /^\d{25}$/);
    assert.deepEqual(paid.receipt?.invoice?.totalAmount, { currency: 'SEK', value: '175.50' });
  });

  it('RESERVATION_DESIRED falls back to an immediate debit when the bank cannot reserve', async () => {
    const desired = invoice({ amount: '20.00', paymentMode: 'RESERVATION_DESIRED' });
    const reservable = await rig.terminal.sendInvoice(desired);
    await rig.emu.payer.pay(reservable.invoiceReference);
    assert.equal((await rig.terminal.getPaymentStatus(reservable.invoiceReference, 1)).status, 'RESERVED');

    const fallback = await rig.terminal.sendInvoice(desired);
    await rig.emu.payer.pay(fallback.invoiceReference, { canReserve: false });
    assert.equal((await rig.terminal.getPaymentStatus(fallback.invoiceReference, 1)).status, 'PAID');
  });

  it('T11 cancelInvoice by the merchant, and Cancel pressed in the app, → CANCELED', async () => {
    const byMerchant = await rig.terminal.sendInvoice(invoice());
    await rig.terminal.cancelInvoice(byMerchant.invoiceReference);
    const canceled = await rig.terminal.getPaymentStatus(byMerchant.invoiceReference, 1);
    assert.deepEqual([canceled.status, canceled.version, canceled.ersReference], ['CANCELED', 2, undefined]);

    const byPayer = await rig.terminal.sendInvoice(invoice({ amount: 5, acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }));
    await rig.emu.payer.scan(byPayer.invoiceReference);
    await rig.emu.payer.cancel(byPayer.invoiceReference);
    assert.equal((await rig.terminal.getPaymentStatus(byPayer.invoiceReference, 2)).status, 'CANCELED');
  });

  it('T11 a new invoice on a cash-register terminal cancels its open one', async () => {
    const password = 'till-pass-7781';
    const { terminalId } = await rig.reseller.registerTerminal('Store 1/Till 4', password, 'Till 4');
    const till = rig.reseller.withPrincipal({ type: 'TERMINALID', id: terminalId, password });
    try {
      const first = await till.sendInvoice(invoice('10'));
      const second = await till.sendInvoice(invoice('11'));
      assert.equal((await till.getPaymentStatus(first.invoiceReference, 1)).status, 'CANCELED');
      assert.equal((await till.getPaymentStatus(second.invoiceReference, 0)).status, 'ISSUED');
    } finally {
      till.close();
    }
  });

  it('T12 the bank declines → FAILED', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice());
    await rig.emu.payer.decline(invoiceReference);
    const failed = await rig.terminal.getPaymentStatus(invoiceReference, 1);
    assert.deepEqual([failed.status, failed.version, failed.ersReference], ['FAILED', 2, undefined]);
  });

  it('T13 cancelInvoice releases a reservation → CANCELED', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice({ amount: 40, paymentMode: 'RESERVATION_REQUIRED' }));
    await rig.emu.payer.pay(invoiceReference);
    assert.equal((await rig.terminal.getPaymentStatus(invoiceReference, 1)).status, 'RESERVED');
    await rig.terminal.cancelInvoice(invoiceReference);
    assert.equal((await rig.terminal.getPaymentStatus(invoiceReference, 2)).status, 'CANCELED');
  });

  describe('timed transitions (short emulator windows)', () => {
    let timed: Rig;
    before(async () => {
      // Windows long enough for the calls that must land inside them on a busy machine, short enough to wait out.
      timed = await startRig({ ackWindowMs: 500, defaultCommitTimeoutMs: 150, invoiceExpiryMs: 1000 });
    });
    after(() => timed.stop());

    it('T6 a payment nobody fetched within the window is reversed → CANCELED without ersReference', async () => {
      const { invoiceReference } = await timed.terminal.sendInvoice(invoice());
      await timed.emu.payer.pay(invoiceReference);
      await new Promise((resolve) => setTimeout(resolve, 700));
      const reversed = await timed.terminal.getPaymentStatus(invoiceReference, 1);
      assert.equal(reversed.status, 'CANCELED');
      assert.equal(reversed.version, 3);
      assert.equal(reversed.ersReference, undefined);
      assert.equal(reversed.receipt, undefined);
    });

    it('a payment fetched within the window stays PAID', async () => {
      const { invoiceReference } = await timed.terminal.sendInvoice(invoice());
      await timed.emu.payer.pay(invoiceReference);
      assert.equal((await timed.terminal.getPaymentStatus(invoiceReference, 1)).status, 'PAID');
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal((await timed.terminal.getPaymentStatus(invoiceReference, 2)).status, 'PAID');
    });

    it('T10 a reservation not committed in time → EXPIRED', async () => {
      const { invoiceReference } = await timed.terminal.sendInvoice(invoice({ amount: 40, paymentMode: 'RESERVATION_REQUIRED' }));
      await timed.emu.payer.pay(invoiceReference);
      await eventually(async () => assert.equal((await timed.terminal.getPaymentStatus(invoiceReference, 2)).status, 'EXPIRED'));
    });

    it('T14 an unpaid invoice lapses → EXPIRED', async () => {
      const { invoiceReference } = await timed.terminal.sendInvoice(invoice());
      assert.equal((await timed.terminal.getPaymentStatus(invoiceReference, 0)).status, 'ISSUED');
      await eventually(async () => assert.equal((await timed.terminal.getPaymentStatus(invoiceReference, 1)).status, 'EXPIRED'));
    });

    it('T10/T14 lapse to CANCELED on a pre-2.10 emulator', async () => {
      const old = await startRig({ emitExpired: false, invoiceExpiryMs: 150 });
      try {
        const { invoiceReference } = await old.terminal.sendInvoice(invoice());
        await eventually(async () => assert.equal((await old.terminal.getPaymentStatus(invoiceReference, 1)).status, 'CANCELED'));
      } finally {
        await old.stop();
      }
    });
  });
});
