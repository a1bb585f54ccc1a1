import assert from 'node:assert/strict';
import { Harness, COFFEE, resellerContext, terminalContext, type Wire } from './helpers/emulator';
import { invoice } from './helpers/seqr';

/** Refunds (23, 49, 97, 98, 99), receipt documents, and the reconciliation reports of spec §8. */

async function paidInvoice(h: Harness, value = '100.00', context: object = terminalContext(), cashierId?: string): Promise<string> {
  const reference = await h.send({ totalAmount: { currency: 'SEK', value }, cashierId }, context);
  await h.emu.payer.pay(reference);
  return (await h.status(reference, context)).ersReference;
}

function refund(h: Harness, ersReference: string, value: string, context: object = terminalContext(), currency = 'SEK') {
  return h.call('refundPayment', { context, ersReference, invoice: invoice(COFFEE, { title: 'Refund', totalAmount: { currency, value } }) });
}

describe('SEQR emulator: refunds', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('refunds in parts up to the payment, each refund with its own ERS reference; more answers 98', async () => {
    const ersReference = await paidInvoice(h, '100.00');
    const first = await refund(h, ersReference, '60.00');
    assert.equal(first.resultCode, 0);
    assert.match(first.ersReference, /^\d{25}$/);
    assert.notEqual(first.ersReference, ersReference);
    const tooMuch = await refund(h, ersReference, '40.01');
    assert.deepEqual([tooMuch.resultCode, tooMuch.resultDescription], [98, 'SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION']);
    const rest = await refund(h, ersReference, '40.00');
    assert.equal(rest.resultCode, 0);
    assert.equal((await refund(h, ersReference, '0.01')).resultCode, 98);
    assert.equal(h.emu.core.ledger.find(ersReference)?.kind, 'payment');
    assert.equal(h.emu.core.ledger.find(rest.ersReference)?.amount.toFixed(2), '-40.00');
  });

  it('leaves the invoice PAID', async () => {
    const reference = await h.send();
    await h.emu.payer.pay(reference);
    const paid = await h.status(reference);
    await refund(h, paid.ersReference, '10.00');
    const after = await h.status(reference);
    assert.deepEqual([after.status, after.version, after.ersReference], ['PAID', paid.version, paid.ersReference]);
  });

  it('answers 23 for an unknown reference, a refund\'s reference and another terminal\'s payment; 49 for another currency or amount', async () => {
    const ersReference = await paidInvoice(h);
    assert.equal((await refund(h, '2015102910184861801032678', '1.00')).resultCode, 23);
    const first = await refund(h, ersReference, '1.00');
    assert.equal((await refund(h, first.ersReference, '1.00')).resultCode, 23);
    const till = await h.registerTerminal();
    assert.equal((await refund(h, ersReference, '1.00', till.context)).resultCode, 23);
    assert.equal((await refund(h, ersReference, '1.00', terminalContext(), 'EUR')).resultCode, 49);
    assert.equal((await refund(h, ersReference, '-1.00')).resultCode, 49);
    const badUrl = await h.call('refundPayment', { context: terminalContext(), ersReference, invoice: invoice(COFFEE, { notificationUrl: 'ftp://x' }) });
    assert.equal(badUrl.resultCode, 64);
  });

  it('answers 97 when the reseller may not refund and 99 when the receiving terminal does not allow refunds', async () => {
    const ersReference = await paidInvoice(h);
    h.emu.setRefundsAllowed({ resellerId: 'public_test_shop' }, false);
    assert.deepEqual([(await refund(h, ersReference, '1.00')).resultCode], [97]);
    h.emu.setRefundsAllowed({ resellerId: 'public_test_shop' }, true);
    h.emu.setRefundsAllowed({ terminalId: 'public_test_shop_terminal' }, false);
    const receiver = await refund(h, ersReference, '1.00');
    assert.deepEqual([receiver.resultCode, receiver.resultDescription], [99, 'RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS']);
    h.emu.setRefundsAllowed({ terminalId: 'public_test_shop_terminal' }, true);
    assert.equal((await refund(h, ersReference, '1.00')).resultCode, 0);
    assert.throws(() => h.emu.setRefundsAllowed({ terminalId: 'nobody' }, false), /unknown terminal/);
    assert.throws(() => h.emu.setRefundsAllowed({ resellerId: 'nobody' }, false), /unknown reseller/);
  });

  it('takes 97 and 99 from the options too', async () => {
    const noReseller = await Harness.start({ refundsDisabled: { resellers: ['public_test_shop'] } });
    const noTerminal = await Harness.start({ refundsDisabled: { terminals: ['public_test_shop_terminal'] } });
    try {
      assert.equal((await refund(noReseller, await paidInvoice(noReseller), '1.00')).resultCode, 97);
      assert.equal((await refund(noTerminal, await paidInvoice(noTerminal), '1.00')).resultCode, 99);
    } finally {
      await noReseller.stop();
      await noTerminal.stop();
    }
  });
});

describe('SEQR emulator: submitPaymentReceipt', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('stores documents on payments and refunds, several per transaction, and answers 23 for unknown references', async () => {
    const ersReference = await paidInvoice(h);
    const receiptData = Buffer.from('<Receipt/>').toString('base64');
    const submit = (ref: string, document: object) => h.call('submitPaymentReceipt', { context: terminalContext(), ersReference: ref, receiptDocument: document });
    assert.equal((await submit(ersReference, { mimeType: 'text/html', receiptData, receiptType: 'PAYMENT_RECEIPT' })).resultCode, 0);
    assert.equal((await submit(ersReference, { receiptType: 'WARRANTY' })).resultCode, 0);
    const refunded = await refund(h, ersReference, '5.00');
    assert.equal((await submit(refunded.ersReference, { mimeType: 'plain/xml', receiptData, receiptType: 'OTHER' })).resultCode, 0);
    assert.deepEqual(h.emu.core.ledger.find(ersReference)?.documents, [
      { mimeType: 'text/html', receiptData, receiptType: 'PAYMENT_RECEIPT' },
      { receiptType: 'WARRANTY' },
    ]);
    assert.equal(h.emu.core.ledger.find(refunded.ersReference)?.documents.length, 1);
    const unknown = await submit('2015102910184861801032678', { receiptType: 'OTHER' });
    assert.deepEqual([unknown.resultCode, unknown.resultDescription], [23, 'INVALID_ERS_REFERENCE']);
    assert.equal((await h.call('submitPaymentReceipt', { context: terminalContext() })).resultCode, 23);
  });
});

describe('SEQR emulator: reconciliation reports', () => {
  let h: Harness;
  let till: { terminalId: string; context: object };
  const payments: string[] = [];
  let refundReference: string;
  before(async () => {
    h = await Harness.start({ ackWindowMs: 100 });
    till = await h.registerTerminal();
    payments.push(await paidInvoice(h, '93.31', terminalContext(), 'Bob'));
    payments.push(await paidInvoice(h, '6.69', till.context, 'Alice'));
    payments.push(await paidInvoice(h, '10.00', till.context));
    refundReference = (await refund(h, payments[0], '3.31')).ersReference;
    // A reversed payment (nobody fetched PAID) is no transaction.
    const unfetched = await h.send({}, terminalContext());
    await h.emu.payer.pay(unfetched);
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
  after(() => h.stop());

  const mark = async (parameters?: object) => {
    const answer = await h.call('markTransactionPeriod', { context: resellerContext(), parameters });
    assert.equal(answer.resultCode, 0);
    assert.match(answer.transactionPeriodId, /^\d{25}$/);
    return answer.transactionPeriodId as string;
  };
  const entries = (map: Record<string, string>) => ({ parameter: { entry: Object.entries(map).map(([key, value]) => ({ key, value })) } });
  const execute = (reportId: string, transactionPeriodId: string, extra: Record<string, string> = {}) =>
    h.call('executeReport', { context: resellerContext(), reportId, language: 'en', parameters: entries({ transactionPeriodId, ...extra }) });
  const ready = async (reportId: string, transactionPeriodId: string): Promise<Wire> => {
    const first = await execute(reportId, transactionPeriodId);
    assert.deepEqual([first.resultCode, first.resultDescription], [2, 'REPORT_NOT_READY'], `${reportId} is not ready at first`);
    const second = await execute(reportId, transactionPeriodId);
    assert.equal(second.resultCode, 0);
    const report = second.report;
    assert.equal(report.mimeType, 'text/html');
    assert.equal(Buffer.from(report.content, 'base64').toString('utf8'), report.contentString);
    return report;
  };

  it('produces the shop reports of a period from the emulator\'s own payments and refunds', async () => {
    const period = await mark();
    const shop = await ready('Reconciliation/Shop.xml', period);
    assert.equal(shop.title ?? '', '');
    assert.match(shop.contentString, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ResellerTransactionSummary>/);
    assert.match(shop.contentString, new RegExp(`<Meta><ResellerId>public_test_shop</ResellerId><TransactionPeriodId>${period}</TransactionPeriodId><GeneratedAt>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d</GeneratedAt></Meta>`));
    assert.match(shop.contentString, /<Row><SalesCount>4<\/SalesCount><SalesTotal>106\.69000<\/SalesTotal><\/Row>/);

    const perTerminal = await ready('Reconciliation/STD_RECON_002.xml', period);
    assert.equal(perTerminal.title, `STD_RECON_002_${period}.xml`);
    assert.match(perTerminal.contentString, /<Row><TerminalId>public_test_shop_terminal<\/TerminalId><SalesCount>2<\/SalesCount><SalesTotal>90\.00000<\/SalesTotal><\/Row>/);
    assert.match(perTerminal.contentString, new RegExp(`<Row><TerminalId>${till.terminalId}</TerminalId><SalesCount>2</SalesCount><SalesTotal>16\\.69000</SalesTotal></Row>`));

    const details = await ready('Reconciliation/STD_RECON_003.xml', period);
    assert.match(details.contentString, /^<\?xml[^\n]+\n<TransactionDetails>/);
    assert.match(details.contentString, new RegExp(`<Row><TerminalId>public_test_shop_terminal</TerminalId><CashierId>Bob</CashierId><SalesAmount>93\\.31000</SalesAmount><ErsReference>${payments[0]}</ErsReference></Row>`));
    assert.match(details.contentString, new RegExp(`<Row><TerminalId>${till.terminalId}</TerminalId><CashierId>NULL</CashierId><SalesAmount>10\\.00000</SalesAmount><ErsReference>${payments[2]}</ErsReference></Row>`));
    assert.match(details.contentString, new RegExp(`<SalesAmount>-3\\.31000</SalesAmount><ErsReference>${refundReference}</ErsReference>`));
    assert.equal(details.contentString.match(/<Row>/g)?.length, 4);

    const cashiers = await ready('Reconciliation/STD_RECON_004.xml', period);
    assert.match(cashiers.contentString, /<CashierTransactionSummary>/);
    assert.match(cashiers.contentString, /<Row><CashierId>Bob<\/CashierId><SalesCount>2<\/SalesCount><SalesTotal>90\.00000<\/SalesTotal><\/Row>/);
    assert.match(cashiers.contentString, /<Row><CashierId>NULL<\/CashierId><SalesCount>1<\/SalesCount><SalesTotal>10\.00000<\/SalesTotal><\/Row>/);

    const next = await mark();
    const empty = await ready('Reconciliation/Shop.xml', next);
    assert.match(empty.contentString, /<Row><SalesCount>0<\/SalesCount><SalesTotal>0\.00000<\/SalesTotal><\/Row>/, 'the next period starts empty');
  });

  it('produces terminal reports only for a period marked with a TERMINALID entry', async () => {
    const shopPeriod = await mark();
    for (let i = 0; i < 3; i++) {
      assert.equal((await execute('Reconciliation/STD_RECON_006.xml', shopPeriod)).resultCode, 2, 'never ready without TERMINALID');
    }
    const terminalPeriod = await mark(entries({ TERMINALID: till.terminalId }));
    const summary = await ready('Reconciliation/STD_RECON_006.xml', terminalPeriod);
    assert.match(summary.contentString, new RegExp(`<TerminalTransactionSummary>\\n  <Meta><ResellerId>public_test_shop</ResellerId><TransactionPeriodId>${terminalPeriod}</TransactionPeriodId><TerminalId>${till.terminalId}</TerminalId>`));
    assert.match(summary.contentString, /<Row><SalesCount>2<\/SalesCount><SalesTotal>16\.69000<\/SalesTotal><\/Row>/);
    const details = await ready('Reconciliation/STD_RECON_007.xml', terminalPeriod);
    assert.equal(details.title, `STD_RECON_007_${terminalPeriod}.xml`);
    assert.equal(details.contentString.match(/<Row>/g)?.length, 2);
    assert.doesNotMatch(details.contentString, /public_test_shop_terminal/);
  });

  it('answers 91 for an unknown report, 90 for an unknown period, 29 for a TERMINALID that is not the reseller\'s', async () => {
    const period = await mark();
    assert.equal((await execute('Reconciliation/STD_RECON_005.xml', period)).resultCode, 91);
    assert.equal((await h.call('executeReport', { context: resellerContext() })).resultCode, 91);
    assert.equal((await execute('Reconciliation/Shop.xml', '2012102916093771801000146')).resultCode, 90);
    const unknownTerminal = await h.call('markTransactionPeriod', { context: resellerContext(), parameters: entries({ TERMINALID: 'nobody' }) });
    assert.equal(unknownTerminal.resultCode, 29);
  });

  it('is ready at once when reportNotReadyCalls is 0', async () => {
    const eager = await Harness.start({ reportNotReadyCalls: 0 });
    try {
      const { transactionPeriodId } = await eager.call('markTransactionPeriod', { context: resellerContext() });
      const answer = await eager.call('executeReport', { context: resellerContext(), reportId: 'Reconciliation/Shop.xml', parameters: entries({ transactionPeriodId }) });
      assert.equal(answer.resultCode, 0);
    } finally {
      await eager.stop();
    }
  });
});
