import assert from 'node:assert/strict';
import { Harness, COFFEE, payerCall, terminalContext } from './helpers/emulator';
import { invoice } from './helpers/seqr';
import { eventually } from './helpers/time';

/** The payer side over HTTP (/payer/*), the control endpoints (/control/*) and the auto-payer. */

describe('SEQR emulator: payer API', () => {
  let h: Harness;
  let base: string;
  before(async () => {
    h = await Harness.start();
    base = h.emu.baseUrl;
  });
  after(() => h.stop());

  it('lists open invoices as the app shows them', async () => {
    const reference = await h.send({ title: 'Lunch', totalAmount: { currency: 'EUR', value: '12.5' } });
    const { status, json } = await payerCall(base, '/payer/invoices');
    assert.equal(status, 200);
    const listed = json.find((view: { invoiceReference: string }) => view.invoiceReference === reference);
    assert.deepEqual(listed, {
      invoiceReference: reference,
      invoiceQRCode: `HTTP://SEQR.SE/R${reference}`,
      status: 'ISSUED',
      amount: '12.50',
      currency: 'EUR',
      title: 'Lunch',
      merchantName: 'Public test shop',
      terminalName: 'Public test shop terminal',
      terminalId: 'public_test_shop_terminal',
      paymentMode: 'IMMEDIATE_DEBIT',
      acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
      tokens: [],
      version: 1,
    });
    await payerCall(base, '/payer/pay', { code: reference });
    const after = await payerCall(base, '/payer/invoices');
    assert.ok(!after.json.some((view: { invoiceReference: string }) => view.invoiceReference === reference), 'paid invoices are not open');
  });

  it('takes the QR text, the deep link in any case and scheme, and the bare reference', async () => {
    const forms = [
      (ref: string) => `HTTP://SEQR.SE/R${ref}`,
      (ref: string) => `http://seqr.se/R${ref}`,
      (ref: string) => `SEQR://SEQR.SE/R${ref}`,
      (ref: string) => `seqr://seqr.se/r${ref}`,
      (ref: string) => `SEQR-DEMO://SEQR.SE/R${ref}`,
      (ref: string) => ` ${ref} `,
    ];
    for (const form of forms) {
      const reference = await h.send();
      const { status, json } = await payerCall(base, '/payer/pay', { code: form(reference) });
      assert.equal(status, 200, form('…'));
      assert.equal(json.status, 'PAID');
      assert.equal(json.invoiceReference, reference);
    }
  });

  it('pays a terminal\'s open invoice through its sticker HTTP://SEQR.SE/Q<seqrId>', async () => {
    const till = await h.registerTerminal('till-pass', 'Kiosk');
    await h.call('assignSeqrId', { context: till.context, seqrId: 'KIOSK7' });
    const none = await payerCall(base, '/payer/scan', { code: 'HTTP://SEQR.SE/QKIOSK7' });
    assert.equal(none.status, 404);
    assert.match(none.json.error, /Kiosk has no open invoice/);
    const reference = await h.send({}, till.context);
    const scanned = await payerCall(base, '/payer/scan', { code: 'http://seqr.se/qkiosk7' });
    assert.deepEqual([scanned.status, scanned.json.invoiceReference, scanned.json.terminalName], [200, reference, 'Kiosk']);
    const paid = await payerCall(base, '/payer/pay', { code: 'HTTP://SEQR.SE/QKIOSK7' });
    assert.equal(paid.json.status, 'PAID');
    assert.equal((await h.status(reference, till.context)).status, 'PAID');
    const unknown = await payerCall(base, '/payer/pay', { code: 'HTTP://SEQR.SE/QNOBODY' });
    assert.equal(unknown.status, 404);
  });

  it('presents a loyalty token, declines, cancels and approves reservations', async () => {
    const loyal = await h.send({ acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    const scanned = await payerCall(base, '/payer/scan', { code: loyal, loyaltyToken: { id: 'X_CARD', value: '4711', description: 'Bonus' } });
    assert.equal(scanned.json.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.deepEqual(scanned.json.tokens, [{ description: 'Bonus', id: 'X_CARD', status: 0, value: '4711' }]);

    const declined = await h.send();
    assert.equal((await payerCall(base, '/payer/decline', { code: declined })).json.status, 'FAILED');
    const cancelled = await h.send();
    assert.equal((await payerCall(base, '/payer/cancel', { code: cancelled })).json.status, 'CANCELED');
    const reserved = await h.send({ paymentMode: 'RESERVATION_DESIRED' });
    assert.equal((await payerCall(base, '/payer/pay', { code: reserved })).json.status, 'RESERVED');
    const debited = await h.send({ paymentMode: 'RESERVATION_DESIRED' });
    assert.equal((await payerCall(base, '/payer/pay', { code: debited, canReserve: false })).json.status, 'PAID');
  });

  it('answers mistakes with 4xx and a message', async () => {
    const paid = await h.send();
    await payerCall(base, '/payer/pay', { code: paid });
    const cases: Array<[string, object | undefined, number, RegExp]> = [
      ['/payer/pay', { code: paid }, 409, /is PAID/],
      ['/payer/pay', { code: '99999999999999' }, 404, /no invoice 99999999999999/],
      ['/payer/pay', { code: 'HTTP://EXAMPLE.COM/R1' }, 400, /not a SEQR invoice code/],
      ['/payer/pay', {}, 400, /give the scanned code/],
      ['/payer/pay', { code: 42 }, 400, /give the scanned code/],
      ['/payer/pay', { code: paid, canReserve: 'no' }, 400, /"canReserve" must be true or false/],
      ['/payer/scan', { code: paid, loyaltyToken: 'card' }, 400, /"loyaltyToken" must be an object/],
      ['/payer/refund', { code: paid }, 404, /no such endpoint/],
      ['/control/nothing', {}, 404, /no such endpoint/],
    ];
    for (const [path, body, status, message] of cases) {
      const answer = await payerCall(base, path, body);
      assert.equal(answer.status, status, `${path} ${JSON.stringify(body)}`);
      assert.match(answer.json.error, message);
    }
    const notJson = await fetch(`${base}/payer/pay`, { method: 'POST', body: '{code:' });
    assert.deepEqual([notJson.status, ((await notJson.json()) as { error: string }).error], [400, 'the body is not JSON']);
    const array = await fetch(`${base}/payer/pay`, { method: 'POST', body: '[]' });
    assert.equal(array.status, 400);
    const get = await fetch(`${base}/payer/pay`);
    assert.equal(get.status, 405);
    const postList = await fetch(`${base}/payer/invoices`, { method: 'POST' });
    assert.equal(postList.status, 405);
    const huge = await fetch(`${base}/payer/pay`, { method: 'POST', body: 'x'.repeat(1_100_000) });
    assert.deepEqual([huge.status, ((await huge.json()) as { error: string }).error], [413, 'request body larger than 1 MiB']);
    const hugeSoap = await fetch(h.emu.url, { method: 'POST', body: 'x'.repeat(1_100_000) });
    assert.equal(hugeSoap.status, 413);
  });
});

describe('SEQR emulator: control endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('POST /control/fail-next makes the next SOAP calls fail with the code', async () => {
    const answer = await payerCall(h.emu.baseUrl, '/control/fail-next', { count: 1, code: 94 });
    assert.deepEqual(answer, { status: 200, json: { failNext: 1, code: 94 } });
    const failed = await h.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });
    assert.deepEqual([failed.resultCode, failed.resultDescription], [94, 'SERVICE_UNAVAILABLE']);
    assert.equal((await h.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) })).resultCode, 0);
    const bad = await payerCall(h.emu.baseUrl, '/control/fail-next', { count: 'many', code: 94 });
    assert.equal(bad.status, 400);
  });

  it('POST /control/refunds switches refunds for a reseller (97) or terminal (99)', async () => {
    const reference = await h.send();
    await h.emu.payer.pay(reference);
    const { ersReference } = await h.status(reference);
    const refund = () => h.call('refundPayment', { context: terminalContext(), ersReference, invoice: invoice(COFFEE, { totalAmount: { currency: 'SEK', value: '1.00' } }) });
    assert.deepEqual(await payerCall(h.emu.baseUrl, '/control/refunds', { resellerId: 'public_test_shop', allowed: false }), {
      status: 200,
      json: { resellerId: 'public_test_shop', refundsAllowed: false },
    });
    assert.equal((await refund()).resultCode, 97);
    await payerCall(h.emu.baseUrl, '/control/refunds', { resellerId: 'public_test_shop', allowed: true });
    await payerCall(h.emu.baseUrl, '/control/refunds', { terminalId: 'public_test_shop_terminal', allowed: false });
    assert.equal((await refund()).resultCode, 99);
    assert.equal((await payerCall(h.emu.baseUrl, '/control/refunds', { terminalId: 'nobody', allowed: false })).status, 404);
    assert.equal((await payerCall(h.emu.baseUrl, '/control/refunds', { allowed: false })).status, 400);
    assert.equal((await payerCall(h.emu.baseUrl, '/control/refunds', { resellerId: 'public_test_shop' })).status, 400);
  });
});

describe('SEQR emulator: auto-pay', () => {
  it('pays every new invoice after the delay, and loyalty invoices once the merchant acknowledged', async () => {
    const h = await Harness.start({ autoPayMs: 30 });
    try {
      const plain = await h.send();
      await eventually(async () => (await h.status(plain)).status === 'PAID');
      const loyal = await h.send({ acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
      await eventually(async () => (await h.status(loyal)).status === 'PENDING_ISSUER_ACKNOWLEDGE');
      await h.call('updateInvoice', { context: terminalContext(), invoiceReference: loyal, invoice: invoice(COFFEE) });
      await eventually(async () => (await h.status(loyal)).status === 'PAID');
      const reservation = await h.send({ paymentMode: 'RESERVATION_REQUIRED' });
      await eventually(async () => (await h.status(reservation)).status === 'RESERVED');
    } finally {
      await h.stop();
    }
  });
});
