import assert from 'node:assert/strict';
import { buildInvoice, InvoiceInputError, parseCashierAmount } from '../src/seqr';

/** What the till accepts when a cashier types an amount (src/seqr/cashier-amount.ts), and what it refuses. */
describe('parseCashierAmount: an amount as a cashier types it', () => {
  const accepted: Array<[string, string, string?]> = [
    ['12,50', '12.50'],
    ['12.50', '12.50'],
    ['12,5', '12.50'],
    ['149', '149.00'],
    ['1 250,00', '1250.00'],
    ['1\u00a0250,00', '1250.00'],
    ['1\u202f250', '1250.00'],
    ['12 345 678,90', '12345678.90'],
    ['12,50 kr', '12.50'],
    ['12,50kr', '12.50'],
    ['12 kr.', '12.00'],
    ['149,90 SEK', '149.90'],
    ['SEK 149.90', '149.90'],
    ['sek 149,90', '149.90'],
    ['Kr 20', '20.00'],
    ['12:-', '12.00'],
    ['  75,00  ', '75.00'],
    ['49,90 kr', '49.90', 'NOK'],
    ['9,99 EUR', '9.99', 'EUR'],
  ];
  for (const [typed, plain, currency = 'SEK'] of accepted) {
    it(`reads ${JSON.stringify(typed)} in ${currency} as ${plain}`, () => assert.equal(parseCashierAmount(typed, currency), plain));
  }

  const refused: Array<[string, RegExp, string?]> = [
    ['abc', /"abc" is not an amount; type an amount such as 149,90 or 1 250 SEK/],
    ['', /is not an amount/],
    ['1,250', /is ambiguous \(thousands or decimals\?\)/],
    ['1.250', /is ambiguous/],
    ['1.250,00', /has both a decimal comma and a point/],
    ['12 50', /is not an amount/],
    ['1 25,00', /is not an amount/],
    ['-12,50', /is not an amount/],
    ['1e3', /is not an amount/],
    ['12,50 EUR', /is not in SEK/],
    ['12,50 kr', /is not in EUR/, 'EUR'],
    ['SEK 12 kr', /names the currency twice/],
    ['12,505', /is ambiguous/],
    ['1'.repeat(41), /is too long/],
  ];
  for (const [typed, says, currency = 'SEK'] of refused) {
    it(`refuses ${JSON.stringify(typed.length > 20 ? `${typed.slice(0, 20)}…` : typed)} in ${currency}, naming the field`, () => {
      assert.throws(() => parseCashierAmount(typed, currency), (err: unknown) => {
        assert.ok(err instanceof InvoiceInputError);
        assert.equal(err.field, 'amount');
        assert.match(err.message, says);
        return true;
      });
    });
  }
});

describe('buildInvoice with and without lenientAmount', () => {
  it('stays strict by default: "12,50" and "1 250" are refused', () => {
    assert.throws(() => buildInvoice('12,50', { currency: 'SEK' }), /amount: "12,50" is not a plain decimal/);
    assert.throws(() => buildInvoice({ amount: '1 250' }, { currency: 'SEK' }), /is not a plain decimal/);
  });

  it('with lenientAmount reads the typed amount exactly, and the money rules still hold', () => {
    assert.deepEqual(buildInvoice('12,50', { currency: 'SEK', lenientAmount: true }).totalAmount, { value: '12.50', currency: 'SEK' });
    assert.deepEqual(buildInvoice({ amount: '1 250,00 kr' }, { currency: 'SEK', lenientAmount: true }).totalAmount, { value: '1250.00', currency: 'SEK' });
    // Numbers are not typed text: they keep the strict rules.
    assert.deepEqual(buildInvoice(149.9, { currency: 'SEK', lenientAmount: true }).totalAmount, { value: '149.90', currency: 'SEK' });
    assert.throws(() => buildInvoice('0,00', { currency: 'SEK', lenientAmount: true }), /amount: the total 0\.00 SEK must be above 0/);
    assert.throws(() => buildInvoice('500,50', { currency: 'JPY', lenientAmount: true }), /amount: .* has more than 0 decimals/);
    assert.throws(() => buildInvoice('abc', { currency: 'SEK', lenientAmount: true }), /amount: "abc" is not an amount/);
  });
});
