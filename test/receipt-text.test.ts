import assert from 'node:assert/strict';
import { RECEIPT_WIDTHS, buildInvoice, receiptText, type PaymentReceipt, type ReceiptWidth } from '../src/seqr';

/** A receipt as getPaymentStatus gives it with PAID, for an invoice built from `input`. */
function paidReceipt(input: Parameters<typeof buildInvoice>[0], more: Partial<PaymentReceipt> = {}): PaymentReceipt {
  return {
    terminalId: 'public_test_shop_terminal',
    paymentDate: '2026-11-27T10:15:42',
    invoiceReference: '1764236142000123',
    paymentReference: '2026112710154200000000042',
    receiverName: 'Café Kanel',
    invoice: buildInvoice(input, { currency: 'SEK', issueDate: '2026-11-27T10:15:00' } as never),
    ...more,
  };
}

function assertFits(text: string, width: number): void {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    assert.ok([...line].length <= width, `"${line}" is longer than ${width}`);
    assert.equal(line, line.trimEnd(), `"${line}" has trailing spaces`);
  }
}

describe('receiptText', function () {
  it('lays out a receipt with rows for a 32-column printer, money exact', function () {
    const receipt = paidReceipt({
      title: 'Order 17',
      cashierId: 'Anna',
      clientInvoiceId: 'A-17',
      footer: 'Thank you, welcome back!',
      rows: [
        { description: 'Latte', quantity: 2, unitPrice: '35.00', total: '70.00' },
        { description: 'Cinnamon bun', total: '0.10' },
        { description: 'Coffee beans, dark roast, 500 g bag', quantity: '0.5', unit: 'kg', unitPrice: '159.80', total: '79.90' },
      ],
    });
    assert.equal(
      receiptText({ receipt }),
      [
        '           Café Kanel',
        '================================',
        'Order 17',
        '--------------------------------',
        'Latte                      70.00',
        '  2 x 35.00',
        'Cinnamon bun                0.10',
        'Coffee beans, dark roast, 500 g',
        'bag                        79.90',
        '  0.5 x 159.80 /kg',
        '--------------------------------',
        'TOTAL                 150.00 SEK',
        '================================',
        'SEQR payment',
        'Date            2026-11-27 10:15',
        'Reference',
        '       2026112710154200000000042',
        'Invoice         1764236142000123',
        'Cashier                     Anna',
        'Order                       A-17',
        '',
        'Thank you, welcome back!',
        '',
      ].join('\n'),
    );
  });

  it('fits every width: the reference on the label line from 42 columns', function () {
    const receipt = paidReceipt({ title: 'A title long enough to need two lines on the narrowest printer of all', rows: [{ description: 'x'.repeat(60), total: '1.00' }] });
    for (const width of RECEIPT_WIDTHS) {
      const text = receiptText({ receipt }, { width });
      assertFits(text, width);
      assert.ok(text.includes(`${'='.repeat(width)}\n`), text);
      assert.ok(text.includes(`TOTAL${' '.repeat(width - 5 - 8)}1.00 SEK\n`), `total right-aligned at ${width}`);
      if (width >= 42) assert.ok(text.includes(`Reference${' '.repeat(width - 9 - 25)}2026112710154200000000042\n`), text);
    }
    assert.ok(receiptText({ receipt }, { width: 48 }).includes(`${'x'.repeat(48)}\n${'x'.repeat(12)}${' '.repeat(32)}1.00\n`), 'a word longer than a line is cut');
  });

  it('prints a receipt without rows or invoice from what the paid message holds', function () {
    const text = receiptText({ ersReference: '2026112710154200000000042', amount: { currency: 'SEK', value: '149.9' }, paidAt: new Date('2026-11-27T09:15:42.120Z'), invoiceReference: '42' });
    assert.equal(
      text,
      [
        '================================',
        'TOTAL                 149.90 SEK',
        '================================',
        'SEQR payment',
        'Date        2026-11-27 09:15 UTC',
        'Reference',
        '       2026112710154200000000042',
        'Invoice                       42',
        '',
      ].join('\n'),
    );
  });

  it('keeps huge amounts exact and knows currencies without decimals', function () {
    const receipt = paidReceipt({ amount: '12345678901234.57' });
    assert.ok(receiptText({ receipt }).includes('TOTAL      12345678901234.57 SEK\n'), 'exact big total');
    const yen = paidReceipt({ amount: 1500, currency: 'JPY' });
    assert.ok(receiptText({ receipt: yen }).includes('TOTAL                   1500 JPY\n'), 'no decimals for JPY');
  });

  it('shows discounts and negative rows, and takes labels in another language', function () {
    const receipt = paidReceipt({ rows: [{ description: 'Shoes', unitPrice: '100.00', discount: '10.00', total: '90.00' }, { description: 'Voucher', total: '-20.00' }] });
    const text = receiptText({ receipt }, { labels: { total: 'SUMMA', payment: 'Betalt med SEQR', discount: 'Rabatt', date: 'Datum' } });
    assert.ok(text.includes('Shoes                      90.00\n  Rabatt                   10.00\nVoucher                   -20.00\n'), text);
    assert.ok(text.includes('SUMMA                  70.00 SEK\n'), text);
    assert.ok(text.includes('Betalt med SEQR\nDatum           2026-11-27 10:15\n'), text);
  });

  it('keeps control characters out of the layout and refuses a width no printer has', function () {
    const receipt = paidReceipt({ amount: '5.00', title: 'Line one\nLine\ttwo' }, { receiverName: 'Shop\r\nName' });
    const text = receiptText({ receipt });
    assert.ok(text.startsWith('           Shop Name\n'), text);
    assert.ok(text.includes('\nLine one Line two\n'), text);
    assert.throws(() => receiptText({ receipt }, { width: 40 as ReceiptWidth }), /32, 42, 48/);
  });
});
