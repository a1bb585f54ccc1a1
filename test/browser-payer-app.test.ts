import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SeqrClient, buildInvoice, invoiceQrText, type InvoiceInput } from '../src/seqr';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { launchChromium, openPage, requireChromium } from './helpers/browser';

/*
 * The payer app (the customer's phone) in a real Chromium against the emulator alone: what a person sees and
 * taps. The merchant side is a SeqrClient, and every tap is checked where it counts, in SEQR's answer to the
 * merchant. (The README's screenshot of it comes from the demo's test, with the till's invoice on it.)
 */
describe('browser: the payer app', function () {
  this.timeout(90_000);

  let emu: EmulatorHandle;
  let client: SeqrClient;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    emu = await startEmulator({ port: 0 });
    client = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
    browser = await launchChromium();
    ({ context, page } = await openPage(browser, { width: 420, height: 720 }));
    await page.goto(`${emu.baseUrl}/app`);
  });
  after(async function () {
    await context?.close();
    await browser?.close();
    client?.close();
    await emu?.stop();
  });

  async function issue(input: InvoiceInput): Promise<string> {
    return (await client.sendInvoice(buildInvoice(input, { currency: 'SEK', title: 'Coffee and a bun' }))).invoiceReference;
  }

  /** The list entry of one invoice, once the app (refreshing every second) shows it. */
  async function listed(reference: string) {
    const item = page.locator('li.invoice', { hasText: `Ref ${reference}` });
    await item.waitFor({ state: 'visible' });
    return item;
  }

  async function message(text: string): Promise<void> {
    await page.locator('#message', { hasText: text }).waitFor({ state: 'visible' });
  }

  it('lists an open invoice with its amount and merchant, scans its pasted QR text and pays it', async function () {
    await page.getByText('No open invoices').waitFor({ state: 'visible' });
    const reference = await issue({ amount: '149.90' });
    const item = await listed(reference);
    assert.equal((await item.locator('.amount').textContent())?.trim(), '149.90 SEK');
    assert.equal((await item.locator('.merchant').textContent())?.trim(), 'Public test shop');
    assert.match((await item.textContent()) ?? '', /Coffee and a bun/);

    await page.getByLabel('QR text, deep link, sticker code or invoice reference').fill(invoiceQrText(reference));
    await page.locator('#scan-form button[data-action=scan]').click();
    await message('Scanned: 149.90 SEK at Public test shop');

    await page.locator('#scan-form button[data-action=pay]').click();
    await message('Paid: 149.90 SEK at Public test shop');
    assert.equal((await client.getPaymentStatus(reference)).status, 'PAID');
    // Paid is no longer open: the entry leaves the list.
    await page.locator('li.invoice', { hasText: `Ref ${reference}` }).waitFor({ state: 'detached' });
  });

  it('declines one invoice and cancels another from their list buttons', async function () {
    const declined = await issue({ amount: '12.00' });
    const canceled = await issue({ amount: '13.00' });
    await (await listed(declined)).getByRole('button', { name: 'Decline' }).click();
    await message('Declined: 12.00 SEK');
    await (await listed(canceled)).getByRole('button', { name: 'Cancel' }).click();
    await message('Cancelled: 13.00 SEK');
    assert.equal((await client.getPaymentStatus(declined)).status, 'FAILED');
    assert.equal((await client.getPaymentStatus(canceled)).status, 'CANCELED');
  });

  it('approves a reservation, and presents a loyalty card when scanning', async function () {
    const reservation = await issue({ amount: '300.00', paymentMode: 'RESERVATION_DESIRED' });
    const item = await listed(reservation);
    await item.getByText('Reservation: the merchant captures it later').waitFor({ state: 'visible' });
    await item.getByRole('button', { name: 'Approve' }).click();
    await message('Reservation approved: 300.00 SEK');
    assert.equal((await client.getPaymentStatus(reservation)).status, 'RESERVED');

    const withCard = await issue({ amount: '20.00', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    await listed(withCard);
    await page.getByLabel('Present my loyalty card').check();
    await page.getByLabel('Card number').waitFor({ state: 'visible' });
    await page.getByLabel('Card value').fill('SILVER');
    await page.getByLabel('QR text, deep link, sticker code or invoice reference').fill(withCard);
    await page.locator('#scan-form button[data-action=scan]').click();
    await message('Scanned: 20.00 SEK');
    const status = await client.getPaymentStatus(withCard);
    assert.equal(status.tokens[0]?.id, 'LOYALTY-4711');
    assert.equal(status.tokens[0]?.value, 'SILVER');
  });

  it('says what is wrong with a code it cannot read', async function () {
    await page.getByLabel('QR text, deep link, sticker code or invoice reference').fill('not a code');
    await page.locator('#scan-form button[data-action=pay]').click();
    await page.locator('#message.error').waitFor({ state: 'visible' });
    assert.notEqual((await page.locator('#message').textContent())?.trim(), '');
  });
});

describe('browser: without Chromium', function () {
  it('the suite fails with how to install it, instead of passing', function () {
    assert.throws(() => requireChromium('/nonexistent/chromium'), /apt-get update && apt-get install -y chromium.*SEQR_CHROMIUM/s);
  });
});
