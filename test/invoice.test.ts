import assert from 'node:assert/strict';
import Big from 'big.js';
import { buildInvoice, InvoiceInputError, localDateTime } from '../src/seqr/invoice';
import { formatAmount, parseMoney, parseCurrency, toSeqrAmount } from '../src/seqr/money';

const fixedNow = () => new Date(2026, 10, 27, 9, 5, 7);

/** Asserts that building throws InvoiceInputError for `field` with a message matching `pattern`. */
function rejects(input: Parameters<typeof buildInvoice>[0], field: string, pattern: RegExp, defaults = { currency: 'SEK' }) {
  assert.throws(
    () => buildInvoice(input, defaults),
    (error: unknown) => {
      assert.ok(error instanceof InvoiceInputError, `expected InvoiceInputError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, pattern);
      assert.ok(error.message.startsWith(`${field}: `), error.message);
      return true;
    },
  );
}

describe('buildInvoice', () => {
  describe('hostile input', () => {
    it('quotes at most 40 characters of the offending input, with its length', () => {
      const huge = `1${'2'.repeat(5_000_000)}x`;
      rejects(huge, 'amount', /^amount: "1222222222222222222222222222222222222222"…\(5000002 characters\) is not a plain decimal/);
      const error = (() => { try { buildInvoice(huge, { currency: 'SEK' }); } catch (err) { return err as Error; } })();
      assert.ok(error && error.message.length < 300, `${error?.message.length} characters`);
      rejects(`9${'0'.repeat(100_000)}`, 'amount', /^amount: 9000000000000000000000000000000000000000…\(100004 characters\) is too large/);
      rejects(`1.${'1'.repeat(100_000)}`, 'amount', /…\(100002 characters\) has more than 2 decimals/);
      rejects({ amount: 5, currency: 'S'.repeat(1000) }, 'currency', /^currency: "S{40}"…\(1000 characters\) is not a currency code/);
      rejects({ amount: 5, paymentMode: { deep: { deeper: {} } } as unknown as 'IMMEDIATE_DEBIT' }, 'paymentMode', /an object is not one of/);
      rejects({ amount: 5, issueDate: 10n as unknown as string }, 'issueDate', /10n is not a date/);
      rejects({ amount: 5, rows: [{ quantity: `-${'1'.repeat(1000)}`, total: 5 }] }, 'rows[0].quantity', /-1{39}…\(1001 characters\) must be above 0/);
    });

    it('refuses a lone UTF-16 surrogate in any text, naming the field; a whole emoji is fine', () => {
      assert.equal(buildInvoice({ amount: 5, title: 'Coffee \u2615 and cake \ud83c\udf70' }, { currency: 'SEK' }).title, 'Coffee \u2615 and cake \ud83c\udf70');
      rejects({ amount: 5, title: 'Cake \ud83c' }, 'title', /lone UTF-16 surrogate.*U\+FFFD/);
      rejects({ amount: 5, footer: '\udf70 thanks' }, 'footer', /lone UTF-16 surrogate/);
      rejects({ amount: 5, rows: [{ description: 'x\ud800y', total: 5 }] }, 'rows[0].description', /lone UTF-16 surrogate/);
    });
  });

  describe('amounts', () => {
    it('turns a bare number into an invoice with both modes, an issue date and the default currency', () => {
      const invoice = buildInvoice(500, { currency: 'SEK', now: fixedNow });
      assert.deepEqual(invoice, {
        paymentMode: 'IMMEDIATE_DEBIT',
        acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
        issueDate: '2026-11-27T09:05:07',
        totalAmount: { currency: 'SEK', value: '500.00' },
      });
      // Schema order: soap writes keys in this order.
      assert.deepEqual(Object.keys(invoice), ['paymentMode', 'acknowledgmentMode', 'issueDate', 'totalAmount']);
    });

    it('keeps decimal text exact', () => {
      assert.equal(buildInvoice('149.90', { currency: 'SEK' }).totalAmount.value, '149.90');
      assert.equal(buildInvoice('0.01', { currency: 'EUR' }).totalAmount.value, '0.01');
      assert.equal(buildInvoice('1.500', { currency: 'EUR' }).totalAmount.value, '1.50');
      assert.equal(buildInvoice(' 12 ', { currency: 'EUR' }).totalAmount.value, '12.00');
      assert.equal(buildInvoice('999999999999999.99', { currency: 'SEK' }).totalAmount.value, '999999999999999.99');
    });

    it('accepts JS numbers that are exact two-decimal values', () => {
      assert.equal(buildInvoice(149.9, { currency: 'SEK' }).totalAmount.value, '149.90');
      assert.equal(buildInvoice(0.3, { currency: 'SEK' }).totalAmount.value, '0.30');
    });

    it('rejects the float trap 0.1 + 0.2', () => {
      rejects(0.1 + 0.2, 'amount', /0\.30000000000000004 is not an exact decimal.*0\.1 \+ 0\.2.*149\.90/);
    });

    it('rejects exponents, NaN, Infinity, blanks, commas and other types', () => {
      rejects('1e3', 'amount', /"1e3" is not a plain decimal.*no exponent/);
      rejects(1e21, 'amount', /1e\+21 is not an exact decimal/);
      rejects(NaN, 'amount', /NaN is not a number; give an amount with at most two decimals/);
      rejects(Infinity, 'amount', /Infinity is not a number/);
      rejects('', 'amount', /is empty; give an amount/);
      rejects('   ', 'amount', /is empty/);
      rejects('1,50', 'amount', /"1,50" is not a plain decimal/);
      rejects('SEK 10', 'amount', /not a plain decimal/);
      rejects({ amount: true as unknown as string }, 'amount', /boolean is not accepted/);
      rejects('1000000000000000.00', 'amount', /too large; SEQR accepts at most 15 digits/);
    });

    it('rejects more than two decimals, zero and negative totals', () => {
      rejects('10.005', 'amount', /10\.005 has more than 2 decimals; give an amount with at most two decimals/);
      rejects(1.234, 'amount', /more than 2 decimals/);
      rejects(0, 'amount', /the total 0\.00 SEK must be above 0/);
      rejects('-5', 'amount', /the total -5\.00 SEK must be above 0/);
    });

    it('knows currencies without minor units', () => {
      assert.deepEqual(buildInvoice({ amount: 500, currency: 'JPY' }).totalAmount, { currency: 'JPY', value: '500' });
      rejects({ amount: '500.50', currency: 'JPY' }, 'amount', /a whole amount of JPY/);
    });

    it('rejects input that is no amount at all', () => {
      for (const bad of [null, undefined, true]) {
        assert.throws(() => buildInvoice(bad as unknown as number, { currency: 'SEK' }), /invoice: .* is not accepted; give an amount/);
      }
      rejects({ title: 'no amount' }, 'amount', /is missing; give an amount such as 149\.90, or rows/);
    });
  });

  describe('currency', () => {
    it('takes the input currency over the default', () => {
      assert.equal(buildInvoice({ amount: 5, currency: 'EUR' }, { currency: 'SEK' }).totalAmount.currency, 'EUR');
    });

    it('rejects unknown, lower-case and missing currencies naming what is accepted', () => {
      rejects({ amount: 5, currency: 'XYZ' }, 'currency', /XYZ is not an ISO 4217 currency in circulation; give a code such as SEK/);
      rejects({ amount: 5, currency: 'sek' }, 'currency', /"sek" is not a currency code; give an ISO 4217 code in capitals/);
      assert.throws(() => buildInvoice(5), /currency: is missing; give an ISO 4217 code/);
    });
  });

  describe('rows', () => {
    it('computes row totals from quantity × unit price − discount and sums them into the amount', () => {
      const invoice = buildInvoice(
        {
          rows: [
            { description: 'Coffee', quantity: 2, unitPrice: '24.50', sku: 'C-1', ean: '7310865004703', taxRate: 12, unit: 'EA' },
            { description: 'Bun', unitPrice: 18, discount: '3.00' },
          ],
        },
        { currency: 'SEK' },
      );
      assert.equal(invoice.totalAmount.value, '64.00');
      assert.deepEqual(invoice.invoiceRows?.invoiceRow, [
        {
          itemDescription: 'Coffee',
          itemEAN: '7310865004703',
          itemQuantity: '2',
          itemSKU: 'C-1',
          itemTaxRate: '12',
          itemTotalAmount: { currency: 'SEK', value: '49.00' },
          itemUnit: 'EA',
          itemUnitPrice: { currency: 'SEK', value: '24.50' },
        },
        {
          itemDescription: 'Bun',
          itemDiscount: { currency: 'SEK', value: '3.00' },
          itemQuantity: '1',
          itemTotalAmount: { currency: 'SEK', value: '15.00' },
          itemUnitPrice: { currency: 'SEK', value: '18.00' },
        },
      ]);
      // Row keys in schema order (alphabetical).
      assert.deepEqual(Object.keys(invoice.invoiceRows!.invoiceRow[1]), [
        'itemDescription', 'itemDiscount', 'itemQuantity', 'itemTotalAmount', 'itemUnitPrice',
      ]);
    });

    it('rounds a weighed row half up to cents, like a till', () => {
      const invoice = buildInvoice({ rows: [{ description: 'Cheese', quantity: '0.350', unitPrice: '12.99', unit: 'kg' }] }, { currency: 'SEK' });
      // 0.35 × 12.99 = 4.5465 → 4.55
      assert.equal(invoice.invoiceRows!.invoiceRow[0].itemTotalAmount!.value, '4.55');
      assert.equal(invoice.invoiceRows!.invoiceRow[0].itemQuantity, '0.35');
      assert.equal(invoice.totalAmount.value, '4.55');
    });

    it('accepts negative rows that balance the total', () => {
      const invoice = buildInvoice(
        { amount: '80.00', rows: [{ description: 'Shirt', total: '100' }, { description: 'Discount', total: '-20.00' }] },
        { currency: 'SEK' },
      );
      assert.equal(invoice.totalAmount.value, '80.00');
      assert.equal(invoice.invoiceRows!.invoiceRow[1].itemTotalAmount!.value, '-20.00');
    });

    it('names the difference when rows do not add up to the amount', () => {
      rejects(
        { amount: '100.00', rows: [{ total: '60' }, { total: '30.50' }] },
        'rows',
        /rows add up to 90\.50 SEK but the amount is 100\.00 SEK \(rows short by 9\.50\)/,
      );
      rejects({ amount: '10', rows: [{ total: '10.01' }] }, 'rows', /rows over by 0\.01/);
    });

    it('rejects rows whose sum is not above 0', () => {
      rejects({ rows: [{ total: '10' }, { total: '-10' }] }, 'rows', /the total 0\.00 SEK must be above 0/);
    });

    it('sends no rows element for an empty row list', () => {
      assert.equal(buildInvoice({ amount: 5, rows: [] }, { currency: 'SEK' }).invoiceRows, undefined);
    });

    it('rejects bad rows naming the row and field', () => {
      rejects({ amount: 5, rows: 'x' as unknown as [] }, 'rows', /must be a list of rows/);
      rejects({ amount: 5, rows: [null as unknown as object] }, 'rows[0]', /must be an object/);
      rejects({ amount: 5, rows: [{ description: 'nothing' }] }, 'rows[0]', /needs a total or a unitPrice/);
      rejects({ rows: [{ total: 1 }, { unitPrice: 0.1 + 0.2 }] }, 'rows[1].unitPrice', /not an exact decimal/);
      rejects({ rows: [{ quantity: 0, unitPrice: 1 }] }, 'rows[0].quantity', /0 must be above 0/);
      rejects({ rows: [{ quantity: '1.2345', unitPrice: 1 }] }, 'rows[0].quantity', /more than 3 decimals; give a quantity/);
      rejects({ rows: [{ total: 5, ean: '123' }] }, 'rows[0].ean', /not an EAN\/GTIN; give 8, 12, 13 or 14 digits/);
      rejects({ rows: [{ total: 5, taxRate: 'high' }] }, 'rows[0].taxRate', /give a tax rate in percent/);
      rejects({ rows: [{ total: 5, description: 'x'.repeat(101) }] }, 'rows[0].description', /101 characters long; at most 100/);
      rejects({ rows: [{ total: 5, discount: '1.001' }] }, 'rows[0].discount', /more than 2 decimals/);
      rejects({ rows: [{ total: '1e2' }] }, 'rows[0].total', /not a plain decimal/);
    });
  });

  describe('texts, URLs, modes and dates', () => {
    it('fills texts from input then defaults and keeps schema order', () => {
      const invoice = buildInvoice(
        {
          amount: 10,
          title: 'Order 17',
          clientInvoiceId: 'A-17',
          backURL: 'https://shop.example/back?o=17',
          notificationUrl: 'http://shop.example/notify?o=17',
          issueDate: '2015-12-25T12:34:56',
        },
        { currency: 'SEK', cashierId: 'Bob', footer: 'Thanks!', title: 'ignored' },
      );
      assert.deepEqual(Object.keys(invoice), [
        'paymentMode', 'acknowledgmentMode', 'issueDate', 'title', 'clientInvoiceId', 'totalAmount', 'cashierId',
        'footer', 'backURL', 'notificationUrl',
      ]);
      assert.equal(invoice.title, 'Order 17');
      assert.equal(invoice.cashierId, 'Bob');
      assert.equal(invoice.issueDate, '2015-12-25T12:34:56');
    });

    it('rejects over-long text, control characters and non-text', () => {
      rejects({ amount: 1, title: 't'.repeat(101) }, 'title', /at most 100 are accepted/);
      rejects({ amount: 1, cashierId: 'c'.repeat(41) }, 'cashierId', /at most 40/);
      rejects({ amount: 1, footer: 'bad\u0000text' }, 'footer', /control characters/);
      rejects({ amount: 1, clientInvoiceId: 17 as unknown as string }, 'clientInvoiceId', /must be text, not number/);
    });

    it('accepts only http(s) URLs', () => {
      rejects({ amount: 1, notificationUrl: 'ftp://shop.example/x' }, 'notificationUrl', /is not an http:\/\/ or https:\/\/ URL/);
      rejects({ amount: 1, backURL: 'not a url' }, 'backURL', /not an http:\/\/ or https:\/\/ URL/);
    });

    it('validates the modes and always sends them', () => {
      const reserved = buildInvoice({ amount: 1, paymentMode: 'RESERVATION_REQUIRED', acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' }, { currency: 'SEK' });
      assert.equal(reserved.paymentMode, 'RESERVATION_REQUIRED');
      assert.equal(reserved.acknowledgmentMode, 'REQUIRE_ACKNOWLEDGMENT');
      const fromDefaults = buildInvoice(1, { currency: 'SEK', paymentMode: 'RESERVATION_DESIRED', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
      assert.equal(fromDefaults.paymentMode, 'RESERVATION_DESIRED');
      assert.equal(fromDefaults.acknowledgmentMode, 'OPTIONAL_ACKNOWLEDGMENT');
      rejects({ amount: 1, paymentMode: 'CASH' as 'IMMEDIATE_DEBIT' }, 'paymentMode', /"CASH" is not one of IMMEDIATE_DEBIT, RESERVATION_DESIRED/);
      rejects({ amount: 1, acknowledgmentMode: 'NONE' as 'NO_ACKNOWLEDGMENT' }, 'acknowledgmentMode', /is not one of NO_ACKNOWLEDGMENT/);
    });

    it('requires commitReservationTimeout for a preliminary-amount reservation and checks it', () => {
      rejects({ amount: 1, paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT' }, 'commitReservationTimeout', /is required with RESERVATION_REQUIRED_PRELIMINARY_AMOUNT/);
      const invoice = buildInvoice({ amount: 1, paymentMode: 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT', commitReservationTimeout: 3600 }, { currency: 'SEK' });
      assert.equal(invoice.commitReservationTimeout, 3600);
      rejects({ amount: 1, commitReservationTimeout: 1.5 }, 'commitReservationTimeout', /give whole seconds above 0/);
    });

    it('writes dates as local time without a zone and checks given ones', () => {
      assert.equal(buildInvoice({ amount: 1, issueDate: new Date(2016, 0, 2, 3, 4, 5) }, { currency: 'SEK' }).issueDate, '2016-01-02T03:04:05');
      assert.equal(buildInvoice({ amount: 1, issueDate: '2015-10-29T10:18:48.663+01:00' }, { currency: 'SEK' }).issueDate, '2015-10-29T10:18:48.663+01:00');
      assert.match(buildInvoice(1, { currency: 'SEK' }).issueDate!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      rejects({ amount: 1, issueDate: 'yesterday' }, 'issueDate', /is not a date and time; give a Date or text such as 2026-11-27T10:15:00/);
      rejects({ amount: 1, issueDate: new Date('nonsense') }, 'issueDate', /invalid Date/);
      assert.equal(localDateTime(new Date(2026, 11, 31, 23, 59, 59)), '2026-12-31T23:59:59');
    });
  });
});

describe('money helpers', () => {
  it('formats amounts exactly, with optional separators', () => {
    assert.equal(formatAmount({ value: '1234.5', currency: 'SEK' }), '1234.50 SEK');
    assert.equal(formatAmount({ value: '1234567.5', currency: 'SEK' }, { groupSeparator: ' ', decimalSeparator: ',' }), '1 234 567,50 SEK');
    assert.equal(formatAmount({ value: '-20', currency: 'EUR' }, { omitCurrency: true }), '-20.00');
    assert.equal(formatAmount({ value: new Big('0.1').plus('0.2'), currency: 'EUR' }), '0.30 EUR');
    assert.equal(formatAmount({ value: 5000, currency: 'JPY' }, { groupSeparator: ',' }), '5,000 JPY');
  });

  it('parses money and currencies on their own', () => {
    assert.equal(parseMoney(new Big('2.5'), 'x').toFixed(2), '2.50');
    assert.equal(parseCurrency('EUR', 'c'), 'EUR');
    assert.deepEqual(toSeqrAmount(new Big('7'), 'SEK'), { currency: 'SEK', value: '7.00' });
  });
});
