import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hintKeyOf, type HintKey } from '../src/nodes/cashier-hints';
import { failedOutcomeKey, type OutcomeKey } from '../src/nodes/payment-outcomes';

/** The words for people: which sentence each outcome and each invalid field gets, and that the catalog has it. */
const catalog = (type: string) =>
  (JSON.parse(readFileSync(path.join(__dirname, '..', 'nodes', 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, Record<string, Record<string, string>>>)[type];

describe('outcomes and input errors worded for people', function () {
  it('picks the outcome sentence from the machine fields', function () {
    const cases: Array<[Parameters<typeof failedOutcomeKey>[0], boolean, OutcomeKey]> = [
      [{ status: 'FAILED' }, false, 'declined'],
      [{ status: 'CANCELED', cancelled: true }, false, 'cancelled-here'],
      [{ status: 'CANCELED' }, false, 'cancelled'],
      [{ status: 'CANCELED' }, true, 'reversed'],
      [{ status: 'EXPIRED' }, false, 'expired'],
      [{ status: 'TIMEOUT', cancelled: true }, false, 'timeout-cancelled'],
      [{ status: 'TIMEOUT', cancelled: false }, false, 'timeout-open'],
      [{ status: 'ERROR' }, false, 'error'],
    ];
    for (const [event, reversed, key] of cases) assert.equal(failedOutcomeKey(event, reversed), key, JSON.stringify(event));
  });

  it('has an en-US sentence for every outcome, paid included', function () {
    const outcome = catalog('seqr-payment-status').outcome;
    const keys: string[] = ['paid', 'paid-amount', 'declined', 'cancelled-here', 'cancelled', 'reversed', 'expired', 'timeout-cancelled', 'timeout-open', 'error'];
    assert.deepEqual(Object.keys(outcome).sort(), [...keys].sort());
    for (const key of keys) assert.match(outcome[key], /^[A-Z].*\.$/, `${key}: a sentence`);
    // Text for people spells it "Cancelled"; the machine field keeps SEQR's CANCELED.
    assert.ok(Object.values(outcome).every((text) => !/CANCELED|Canceled/.test(text)));
  });

  it('gives the cashier a hint by the field at fault, and the catalog has each', function () {
    const cases: Array<[string, HintKey]> = [
      ['amount', 'amount'],
      ['invoice', 'amount'],
      ['currency', 'currency'],
      ['rows', 'rows'],
      ['rows[2].unitPrice', 'rows'],
      ['title', 'text'],
      ['footer', 'text'],
      ['cashierId', 'text'],
      ['backURL', 'setup'],
      ['notificationUrl', 'setup'],
      ['paymentMode', 'setup'],
      ['commitReservationTimeout', 'setup'],
    ];
    const hints = catalog('seqr-send-invoice').hint;
    for (const [field, key] of cases) {
      assert.equal(hintKeyOf(field), key, field);
      assert.ok(hints[key], `a hint for ${key}`);
    }
    assert.equal(hints.amount, 'Enter an amount such as 149.90.');
  });
});
