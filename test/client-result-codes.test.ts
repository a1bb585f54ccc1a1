import assert from 'node:assert/strict';
import { resultCodeInfo } from '../src/seqr/codes';
import { SeqrError } from '../src/seqr/errors';
import { PUBLIC_TEST_TERMINAL, type SeqrInvoice } from '../src/seqr/types';
import { assertNoSecret } from './helpers/loopback';
import { invoice, seqrError, startRig, type Rig } from './helpers/seqr';

/*
 * Every result code the emulator can give, provoked the way a merchant would meet it, through SeqrClient over
 * HTTP: each arrives as a SeqrError with the operation, the code, its name, its sentence and the transient flag,
 * and none of them repeats a password.
 */

const SECRET = 'zq-Secret-Pass-7731';

describe('SeqrClient result codes from the emulator', () => {
  let rig: Rig;
  const seen = new Set<number>();
  before(async () => {
    rig = await startRig({ terminals: [{ id: 'till-short', password: 'abc' }, { id: 'till-secret', password: SECRET }] });
  });
  after(() => rig.stop());

  const secretTill = () => rig.client({ principal: { type: 'TERMINALID', id: 'till-secret', password: SECRET } });

  async function expectCode(promise: Promise<unknown>, code: number, operation: string): Promise<SeqrError> {
    const error = await seqrError(promise, code, SECRET);
    assert.equal(error.operation, operation);
    assert.equal(error.codeName, resultCodeInfo(code).name);
    assert.equal(error.sentence, resultCodeInfo(code).sentence);
    assert.equal(error.transient, code === 93 || code === 94);
    assert.ok(error.message.startsWith(`SEQR ${operation}: `), error.message);
    seen.add(code);
    return error;
  }

  async function paid(amount = '50.00', client = rig.terminal) {
    const { invoiceReference } = await client.sendInvoice(invoice(amount));
    await rig.emu.payer.pay(invoiceReference);
    const status = await client.getPaymentStatus(invoiceReference, 1);
    return { invoiceReference, ersReference: status.ersReference! };
  }

  it('2 REPORT_NOT_READY while a report is produced', async () => {
    const { transactionPeriodId } = await rig.reseller.markTransactionPeriod();
    await expectCode(rig.reseller.executeReport('Reconciliation/STD_RECON_003.xml', 'en', { transactionPeriodId }), 2, 'executeReport');
  });

  it('11 REJECTED_AMOUNT for a commit or update above the reservation', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice({ amount: '100.00', paymentMode: 'RESERVATION_REQUIRED' }));
    await rig.emu.payer.pay(invoiceReference);
    await expectCode(rig.terminal.commitReservation(invoiceReference, { currency: 'SEK', value: '100.01' }), 11, 'commitReservation');
    await expectCode(rig.terminal.updateInvoice(invoiceReference, invoice({ amount: '120.00', paymentMode: 'RESERVATION_REQUIRED' })), 11, 'updateInvoice');
  });

  it('20 AUTHENTICATION_FAILED for a wrong terminal or reseller password, never repeating it', async () => {
    const wrongTerminal = rig.client({ principal: { type: 'TERMINALID', id: PUBLIC_TEST_TERMINAL.id, password: SECRET } });
    await expectCode(wrongTerminal.getPaymentStatus('1', 0), 20, 'getPaymentStatus');
    await expectCode(wrongTerminal.sendInvoice(invoice()), 20, 'sendInvoice');
    const wrongReseller = rig.client({ principal: { type: 'RESELLERUSER', id: 'public_test_shop', userId: '9900', password: SECRET } });
    const error = await expectCode(wrongReseller.registerTerminal('x', 'another-secret-pw', 'x'), 20, 'registerTerminal');
    assertNoSecret(error, 'another-secret-pw');
  });

  it('21 ACCESS_DENIED for a terminal whose password is shorter than 4 characters', async () => {
    const short = rig.client({ principal: { type: 'TERMINALID', id: 'till-short', password: 'abc' } });
    await expectCode(short.sendInvoice(invoice()), 21, 'sendInvoice');
  });

  it('23 INVALID_ERS_REFERENCE for a payment that does not exist', async () => {
    await expectCode(rig.terminal.refundPayment('1234567890123456789012345', invoice('1')), 23, 'refundPayment');
  });

  it('29 INVALID_INITIATOR_PRINCIPAL_ID for an unknown terminal', async () => {
    const unknown = rig.client({ principal: { type: 'TERMINALID', id: 'no-such-terminal', password: SECRET } });
    await expectCode(unknown.getPaymentStatus('1', 0), 29, 'getPaymentStatus');
    await expectCode(rig.reseller.markTransactionPeriod({ TERMINALID: 'no-such-terminal' }), 29, 'markTransactionPeriod');
  });

  it('33 INVALID_INITIATOR_PRINCIPAL_STATE for an unregistered terminal', async () => {
    const { terminalId } = await rig.reseller.registerTerminal('gone', SECRET, 'Gone');
    const gone = rig.reseller.withPrincipal({ type: 'TERMINALID', id: terminalId, password: SECRET });
    try {
      await gone.unregisterTerminal();
      await expectCode(gone.getPaymentStatus('1', 0), 33, 'getPaymentStatus');
    } finally {
      gone.close();
    }
  });

  it('37 INITIATOR_PRINCIPAL_NOT_FOUND for an unknown reseller user', async () => {
    const unknown = rig.client({ principal: { type: 'RESELLERUSER', id: 'public_test_shop', userId: '1111', password: SECRET } });
    await expectCode(unknown.markTransactionPeriod(), 37, 'markTransactionPeriod');
  });

  it('48 PAYMENT_IN_PROGRESS and 51 CANNOT_CANCEL_INVOICE_IN_PROGRESS while the payer is paying', async () => {
    // A payment that stays "in progress" for a second, long enough for both calls even on a busy machine.
    const slow = await startRig({ processingMs: 1000 });
    try {
      const { invoiceReference } = await slow.terminal.sendInvoice(invoice());
      const paying = slow.emu.payer.pay(invoiceReference);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await expectCode(slow.terminal.updateInvoice(invoiceReference, invoice('1')), 48, 'updateInvoice');
        await expectCode(slow.terminal.cancelInvoice(invoiceReference), 51, 'cancelInvoice');
      } finally {
        await paying;
      }
      assert.equal((await slow.terminal.getPaymentStatus(invoiceReference, 1)).status, 'PAID');
    } finally {
      await slow.stop();
    }
  });

  it('49 INVALID_INVOICE_DATA for an invoice SEQR cannot take', async () => {
    const noCurrency: SeqrInvoice = { ...invoice(), totalAmount: { currency: 'XTS', value: '1.00' } };
    await expectCode(rig.terminal.sendInvoice(noCurrency), 49, 'sendInvoice');
    const { ersReference } = await paid();
    await expectCode(rig.terminal.refundPayment(ersReference, buildEuro('1.00')), 49, 'refundPayment');
  });

  it('50 CANNOT_CANCEL_PAID_INVOICE and 95 INVOICE_ALREADY_CANCELED', async () => {
    const { invoiceReference } = await paid();
    await expectCode(rig.terminal.cancelInvoice(invoiceReference), 50, 'cancelInvoice');
    const open = await rig.terminal.sendInvoice(invoice());
    await rig.terminal.cancelInvoice(open.invoiceReference);
    await expectCode(rig.terminal.cancelInvoice(open.invoiceReference), 95, 'cancelInvoice');
  });

  it('53 INVALID_SEQR_ID for a seqrId that is not alphanumeric', async () => {
    await expectCode(rig.terminal.assignSeqrId('not-alpha!'), 53, 'assignSeqrId');
  });

  it('54 INVALID_INVOICE_REFERENCE for an unknown reference or another terminal\'s invoice', async () => {
    await expectCode(rig.terminal.getPaymentStatus('9999999999999', 0), 54, 'getPaymentStatus');
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice());
    await expectCode(secretTill().getPaymentStatus(invoiceReference, 0), 54, 'getPaymentStatus');
    await expectCode(secretTill().cancelInvoice(invoiceReference), 54, 'cancelInvoice');
  });

  it('64 INVALID_NOTIFICATION_URL for a notificationUrl that is not http(s)', async () => {
    await expectCode(rig.terminal.sendInvoice({ ...invoice(), notificationUrl: 'ftp://shop.example/notify' }), 64, 'sendInvoice');
  });

  it('90 SYSTEM_ERROR for an update after payment and an unknown period', async () => {
    const { invoiceReference } = await paid();
    await expectCode(rig.terminal.updateInvoice(invoiceReference, invoice()), 90, 'updateInvoice');
    await expectCode(rig.reseller.executeReport('Reconciliation/Shop.xml', 'en', { transactionPeriodId: '1' }), 90, 'executeReport');
  });

  it('91 UNSUPPORTED_OPERATION for the wrong principal type or an unknown report', async () => {
    await expectCode(rig.reseller.sendInvoice(invoice()), 91, 'sendInvoice');
    await expectCode(rig.reseller.unregisterTerminal(), 91, 'unregisterTerminal');
    await expectCode(rig.terminal.registerTerminal('x', SECRET, 'x'), 91, 'registerTerminal');
    const { transactionPeriodId } = await rig.reseller.markTransactionPeriod();
    await expectCode(rig.reseller.executeReport('Reconciliation/NOPE.xml', 'en', { transactionPeriodId }), 91, 'executeReport');
  });

  it('93 SYSTEM_BUSY and 94 SERVICE_UNAVAILABLE are transient', async () => {
    rig.emu.failNext(1, 93);
    await expectCode(rig.terminal.getPaymentStatus('1', 0), 93, 'getPaymentStatus');
    rig.emu.failNext(1, 94);
    await expectCode(rig.terminal.sendInvoice(invoice()), 94, 'sendInvoice');
    // failNext works for any code, including ones no scenario reaches.
    rig.emu.failNext(1, 58);
    await expectCode(rig.terminal.cancelInvoice('1'), 58, 'cancelInvoice');
  });

  it('96 INVOICE_STATE_NOT_RESERVED for a commit on an invoice that is not reserved', async () => {
    const { invoiceReference } = await rig.terminal.sendInvoice(invoice());
    await expectCode(rig.terminal.commitReservation(invoiceReference), 96, 'commitReservation');
  });

  it('97, 98, 99: refunds disabled for the reseller, above the payment, disabled for the account', async () => {
    const { ersReference } = await paid('10.00');
    await expectCode(rig.terminal.refundPayment(ersReference, invoice('10.01')), 98, 'refundPayment');
    rig.emu.setRefundsAllowed({ resellerId: 'public_test_shop' }, false);
    try {
      await expectCode(rig.terminal.refundPayment(ersReference, invoice('1.00')), 97, 'refundPayment');
    } finally {
      rig.emu.setRefundsAllowed({ resellerId: 'public_test_shop' }, true);
    }
    rig.emu.setRefundsAllowed({ terminalId: PUBLIC_TEST_TERMINAL.id }, false);
    try {
      await expectCode(rig.terminal.refundPayment(ersReference, invoice('1.00')), 99, 'refundPayment');
    } finally {
      rig.emu.setRefundsAllowed({ terminalId: PUBLIC_TEST_TERMINAL.id }, true);
    }
    assert.equal((await rig.terminal.refundPayment(ersReference, invoice('10.00'))).resultCode, 0);
  });

  it('covered every code the emulator gives', () => {
    assert.deepEqual([...seen].sort((a, b) => a - b), [2, 11, 20, 21, 23, 29, 33, 37, 48, 49, 50, 51, 53, 54, 58, 64, 90, 91, 93, 94, 95, 96, 97, 98, 99]);
  });
});

function buildEuro(amount: string): SeqrInvoice {
  return { ...invoice(amount), totalAmount: { currency: 'EUR', value: amount } };
}
