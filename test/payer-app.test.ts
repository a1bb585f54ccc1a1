import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { main } from '../src/emulator/cli';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SeqrClient, buildInvoice, type InvoiceInput } from '../src/seqr';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';

/*
 * The payer app (the customer's phone) served by the emulator at /app: the page and its script, from a
 * source run and from the built package, and the payer API calls the script makes, made here the way the
 * script makes them (same paths, same bodies) against a running emulator.
 */

const APP_SCRIPT = readFileSync(path.join(__dirname, '..', 'payer-app', 'app.js'), 'utf8');
const APP_PAGE = readFileSync(path.join(__dirname, '..', 'payer-app', 'index.html'), 'utf8');

/** What the page's buttons ask for: every data-action in the page and in the script. */
function actionsUsed(): Set<string> {
  const actions = new Set<string>();
  for (const match of (APP_PAGE + APP_SCRIPT).matchAll(/data-action="?(\w+)/g)) actions.add(match[1]);
  for (const match of APP_SCRIPT.matchAll(/\['(\w+)', '[^']+', '\w*'\]/g)) actions.add(match[1]);
  return actions;
}

describe('payer app at /app', function () {
  let emu: EmulatorHandle;
  let client: SeqrClient;

  before(async function () {
    emu = await startEmulator({ port: 0 });
    client = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
  });
  after(async function () {
    client.close();
    await emu.stop();
  });

  async function issue(input: InvoiceInput): Promise<string> {
    return (await client.sendInvoice(buildInvoice(input, { currency: 'SEK', title: 'app test' }))).invoiceReference;
  }

  /** A payer call as app.js's post() makes it. */
  async function post(action: string, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${emu.baseUrl}/payer/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('serves the page as HTML with its script, under a same-origin content security policy', async function () {
    for (const url of ['/app', '/app/', '/app/index.html']) {
      const response = await fetch(emu.baseUrl + url);
      assert.equal(response.status, 200, url);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      const page = await response.text();
      assert.match(page, /<meta name="viewport" content="width=device-width/);
      assert.match(page, /<script src="\/app\/app\.js"><\/script>/);
    }
    const script = await fetch(`${emu.baseUrl}/app/app.js`);
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await script.text(), APP_SCRIPT);
    const root = (await (await fetch(`${emu.baseUrl}/`)).json()) as Record<string, unknown>;
    assert.equal(root.app, '/app');
  });

  it('serves nothing else under /app, and only to GET', async function () {
    for (const url of ['/app/../package.json', '/app/%2e%2e/package.json', '/app/style.css']) {
      assert.equal((await fetch(emu.baseUrl + url)).status, 404, url);
    }
    assert.equal((await fetch(`${emu.baseUrl}/app`, { method: 'POST' })).status, 405);
  });

  it('is served by the built emulator too (dist/, what npx seqr-emulator runs)', async function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const built = require('../dist/emulator') as typeof import('../src/emulator');
    const distEmu = await built.startEmulator({ port: 0 });
    try {
      const response = await fetch(`${distEmu.baseUrl}/app`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), APP_PAGE);
      assert.equal(await (await fetch(`${distEmu.baseUrl}/app/app.js`)).text(), APP_SCRIPT);
    } finally {
      await distEmu.stop();
    }
  });

  it('the command prints the app URL', async function () {
    const lines: string[] = [];
    const cliEmu = await main(['--port', '0', '--quiet'], (line) => lines.push(line));
    try {
      assert.ok(cliEmu);
      assert.ok(lines.includes(`Payer app (the customer's phone): ${cliEmu.baseUrl}/app`), lines.join('\n'));
    } finally {
      await cliEmu?.stop();
    }
  });

  it('calls only payer endpoints that exist, with the bodies the emulator takes', async function () {
    const endpoints = new Set([...APP_SCRIPT.matchAll(/'(\/payer\/\w*)'/g)].map((match) => match[1]));
    assert.deepEqual([...endpoints].sort(), ['/payer/', '/payer/invoices']);
    assert.deepEqual([...actionsUsed()].sort(), ['cancel', 'decline', 'pay', 'scan']);

    // The list: what the app renders (amount, currency, merchant, status, payment mode, tokens, reference).
    const plain = await issue({ amount: '149.90' });
    const listed = (await (await fetch(`${emu.baseUrl}/payer/invoices`)).json()) as Array<Record<string, unknown>>;
    const shown = listed.find((invoice) => invoice.invoiceReference === plain);
    assert.ok(shown);
    for (const field of ['amount', 'currency', 'merchantName', 'terminalName', 'status', 'paymentMode', 'tokens']) {
      assert.ok(field in shown, `the list gives ${field}`);
    }
    assert.equal(shown.amount, '149.90');

    // Scan with a loyalty card, pasted as QR text: the merchant sees the token.
    const loyalty = await issue({ amount: '20.00', acknowledgmentMode: 'OPTIONAL_ACKNOWLEDGMENT' });
    const scanned = await post('scan', {
      code: `HTTP://SEQR.SE/R${loyalty}`,
      loyaltyToken: { id: 'LOYALTY-4711', value: 'GOLD', description: 'Member card' },
    });
    assert.equal(scanned.status, 200, JSON.stringify(scanned.json));
    assert.equal(scanned.json.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    const status = await client.getPaymentStatus(loyalty, 0);
    assert.equal(status.tokens[0]?.value, 'GOLD');

    // Pay (with canReserve as the checkbox sends it), approve a reservation, decline, cancel.
    assert.equal((await post('pay', { code: plain, canReserve: true })).json.status, 'PAID');
    const reservation = await issue({ amount: '300.00', paymentMode: 'RESERVATION_DESIRED' });
    assert.equal((await post('pay', { code: reservation, canReserve: true })).json.status, 'RESERVED');
    assert.equal((await post('decline', { code: await issue({ amount: '1.00' }) })).json.status, 'FAILED');
    assert.equal((await post('cancel', { code: await issue({ amount: '2.00' }) })).json.status, 'CANCELED');
    // A mistake answers { error } with a sentence, which the app shows as it is.
    const wrong = await post('pay', { code: 'not a code' });
    assert.equal(wrong.status, 400);
    assert.equal(typeof wrong.json.error, 'string');
  });
});
