import assert from 'node:assert/strict';
import { readPaymentStatusSettings } from '../src/nodes/payment-status-settings';
import { PAYMENT_STATUS_LIMITS } from '../src/nodes/shared-limits';

/** seqr-payment-status's settings against the limits its editor shows (src/nodes/shared-limits.ts). */
describe('payment status settings', function () {
  const { intervalMs, giveUpAfterS } = PAYMENT_STATUS_LIMITS;

  it('fills in the defaults of an empty form', function () {
    assert.deepEqual(readPaymentStatusSettings({}).settings, {
      intervalMs: intervalMs.default,
      giveUpAfterMs: giveUpAfterS.default * 1000,
      onDeadline: 'cancel',
      receiptWidth: PAYMENT_STATUS_LIMITS.defaultReceiptWidth,
      slow: false,
    });
  });

  it('takes numbers as text, keep as the deadline policy, and only the printer widths it lays out', function () {
    const { settings } = readPaymentStatusSettings({ interval: '250', giveUpAfter: '30', onDeadline: 'keep', receiptWidth: '48' });
    assert.deepEqual(settings, { intervalMs: 250, giveUpAfterMs: 30_000, onDeadline: 'keep', receiptWidth: 48, slow: false });
    assert.equal(readPaymentStatusSettings({ receiptWidth: 40 }).settings?.receiptWidth, PAYMENT_STATUS_LIMITS.defaultReceiptWidth);
  });

  it('calls an interval above SEQR guidance slow, within the range', function () {
    assert.equal(readPaymentStatusSettings({ interval: PAYMENT_STATUS_LIMITS.slowIntervalMs }).settings?.slow, false);
    assert.equal(readPaymentStatusSettings({ interval: PAYMENT_STATUS_LIMITS.slowIntervalMs + 1 }).settings?.slow, true);
  });

  it('refuses the first setting out of range, inclusive bounds, with the numbers its sentence names', function () {
    assert.ok(readPaymentStatusSettings({ interval: intervalMs.min, giveUpAfter: giveUpAfterS.max }).settings);
    assert.ok(readPaymentStatusSettings({ interval: intervalMs.max }).settings);
    for (const interval of [intervalMs.min - 1, intervalMs.max + 1, 'often']) {
      assert.deepEqual(readPaymentStatusSettings({ interval, giveUpAfter: -1 }).problem, { field: 'interval', key: 'bad-interval', params: { min: intervalMs.min, max: intervalMs.max } });
    }
    for (const giveUpAfter of [0, -1, giveUpAfterS.max + 1, 'never']) {
      assert.deepEqual(readPaymentStatusSettings({ giveUpAfter }).problem, { field: 'giveUpAfter', key: 'bad-give-up-after', params: { max: giveUpAfterS.max } });
    }
  });
});
