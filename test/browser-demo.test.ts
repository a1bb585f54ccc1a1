import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium, openPage, pngSize, screenshot } from './helpers/browser';
import { Launcher, describeDemo, type Urls } from './helpers/demo-process';
import { CONFIG_FILE, PALETTE_TYPES, RAW_I18N_KEY, type EditorFile } from './helpers/editor-files';

/*
 * The demo as a user meets it: `node dist/demo/start.js` (what `npm start` runs after the build) on free ports,
 * then Chromium on its URLs. The till as a cashier drives it (one sale at a time, the customer display beside it),
 * the customer paying or declining in the payer app.
 * The editor: the SEQR palette, every node's edit dialog and the configuration node's, an example imported from
 * Import ▸ Examples, deployed and run against the demo's emulator. Writes the README's screenshots of the till,
 * the customer display, the payer app and the editor.
 * (How it starts, prints and stops is test/demo.test.ts's part.)
 */

const ROOT = path.join(__dirname, '..');

describeDemo('browser: the demo (npm start)', function () {
  this.timeout(120_000);

  let userDir: string;
  let launcher: Launcher | undefined;
  let demo: Urls;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async function () {
    browser = await launchChromium();
    userDir = mkdtempSync(path.join(tmpdir(), 'seqr-demo-browser-'));
    launcher = new Launcher(userDir);
    demo = await launcher.ready();
  });
  after(async function () {
    for (const context of contexts) await context.close();
    await browser?.close();
    await launcher?.stop();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  async function page(url: string, viewport: { width: number; height: number }): Promise<Page> {
    const opened = await openPage(browser, viewport);
    contexts.push(opened.context);
    await opened.page.goto(url);
    return opened.page;
  }

  describe('the till, the customer display and the payer app', function () {
    let till: Page;
    let phone: Page;
    let customer: Page;

    before(async function () {
      till = await page(demo.till, { width: 800, height: 900 });
      phone = await page(demo.payerApp, { width: 420, height: 900 });
      customer = await page(demo.customerDisplay, { width: 800, height: 760 });
    });

    const status = () => till.locator('.seqr-status');
    const deepLinkNow = () => till.evaluate(() => document.querySelector('a.seqr-deeplink')?.getAttribute('href') ?? null);

    /** The invoices the customer could pay now (the payer API beside the payer app). */
    async function payable(): Promise<string[]> {
      const open = (await (await fetch(new URL('/payer/invoices', demo.payerApp))).json()) as Array<{ invoiceReference: string }>;
      return open.map((invoice) => invoice.invoiceReference);
    }

    /** The reference in the till's deep link once it differs from `before` (a new invoice on screen). */
    async function newReference(before: string | null): Promise<string> {
      await till.locator('.seqr-status', { hasText: 'Waiting for payment' }).waitFor({ state: 'visible' });
      await till.locator('img.seqr-qr').waitFor({ state: 'visible' });
      await till.waitForFunction((old) => {
        const href = document.querySelector('a.seqr-deeplink')?.getAttribute('href');
        return !!href && href !== old;
      }, before);
      const href = (await deepLinkNow()) ?? '';
      const reference = /\/R(\d+)$/.exec(href)?.[1];
      assert.ok(reference, `the deep link names the invoice: ${href}`);
      assert.equal((await till.locator('.seqr-reference-number').textContent())?.trim(), reference, 'the screen names the invoice');
      return reference;
    }

    /** Types an amount as a cashier does, presses Charge and waits for the QR code; returns the invoice reference. */
    async function charge(amount: string): Promise<string> {
      const before = await deepLinkNow();
      await till.getByLabel('Amount').fill(amount);
      await till.getByRole('button', { name: 'Charge' }).click();
      return newReference(before);
    }

    /** After an outcome: New sale clears the screen for the next one. */
    async function newSale(): Promise<void> {
      await till.getByRole('button', { name: 'New sale' }).click();
      await status().filter({ hasText: 'Enter an amount and press Charge' }).waitFor({ state: 'visible' });
      assert.equal(await till.getByLabel('Amount').inputValue(), '', 'the amount is cleared');
    }

    function listed(reference: string): Locator {
      return phone.locator('li.invoice', { hasText: `Ref ${reference}` });
    }

    it('charges on the till, the customer display shows the amount and QR code, the customer pays: Paid, the receipt, Thank you', async function () {
      await customer.locator('.seqr-merchant').waitFor({ state: 'visible' });
      const cancel = till.getByRole('button', { name: 'Cancel' });
      assert.equal(await cancel.isDisabled(), true, 'nothing to cancel before a charge');
      const reference = await charge('149.90');
      assert.equal(await cancel.isEnabled(), true, 'Cancel while the invoice is open');
      const qr = till.locator('img.seqr-qr');
      assert.match((await qr.getAttribute('src')) ?? '', /^data:image\/(png|svg\+xml)[;,]/);
      assert.ok(((await qr.boundingBox())?.width ?? 0) >= 300, 'the QR code is large');
      assert.equal((await till.locator('.seqr-amount').textContent())?.trim(), '149.90 SEK');
      await till.mouse.move(780, 880); // no hover left on Charge in the picture
      await screenshot(till, 'till');
      await customer.locator('.seqr-customer-amount', { hasText: '149.90 SEK' }).waitFor({ state: 'visible' });
      await customer.locator('img.seqr-customer-qr').waitFor({ state: 'visible' });
      assert.match(await customer.locator('.seqr-customer').innerText(), /SEQR demo shop[\s\S]*Scan to pay with SEQR/);
      await screenshot(customer, 'customer-display');

      const item = listed(reference);
      await item.waitFor({ state: 'visible' });
      assert.equal((await item.locator('.amount').textContent())?.trim(), '149.90 SEK');
      // The customer scans (the deep link pasted) with a loyalty card: the till shows Scanned and acknowledges.
      const deepLink = (await deepLinkNow()) ?? '';
      await phone.getByLabel('QR text, deep link, sticker code or invoice reference').fill(deepLink);
      await phone.getByLabel('Present my loyalty card').check();
      await phone.locator('#scan-form button[data-action=scan]').click();
      await phone.locator('#message', { hasText: 'Scanned: 149.90 SEK' }).waitFor({ state: 'visible' });
      const phonePng = await screenshot(phone, 'payer-app');
      assert.deepEqual(pngSize(phonePng), { width: 420, height: 900 });
      await status().filter({ hasText: 'Scanned' }).waitFor({ state: 'visible' });
      // Acknowledged by the till's flow (updateInvoice): the invoice is payable again ("Waiting" on the phone).
      await item.locator('.status', { hasText: /^Waiting$/ }).waitFor({ state: 'visible' });

      await phone.locator('#scan-form button[data-action=pay]').click();
      await phone.locator('#message', { hasText: 'Paid: 149.90 SEK' }).waitFor({ state: 'visible' });
      await status().filter({ hasText: /^Paid$/ }).waitFor({ state: 'visible' });
      assert.equal((await till.locator('.seqr-message').textContent())?.trim(), 'Paid: 149.90 SEK.');
      const receipt = till.locator('pre.seqr-receipt');
      await receipt.waitFor({ state: 'visible' });
      const receiptText = (await receipt.textContent()) ?? '';
      assert.match(receiptText, /149\.90/);
      assert.match(receiptText, /SEQR/);
      assert.equal(await till.getByRole('button', { name: 'Charge' }).count(), 0, 'no Charge after the outcome: New sale');
      await customer.locator('.seqr-customer-big', { hasText: 'Thank you' }).waitFor({ state: 'visible' });
      await screenshot(till, 'till-paid');
      await screenshot(customer, 'customer-display-paid');
      await newSale();
    });

    it('a second charge while one is open cancels the first and says so: exactly one invoice stays payable', async function () {
      const first = await charge('20.00');
      await listed(first).waitFor({ state: 'visible' });
      const second = await charge('30.00');
      await till.locator('.seqr-notice', { hasText: `The open charge of 20.00 SEK (invoice ${first}) is cancelled.` }).waitFor({ state: 'visible' });
      assert.equal((await till.locator('.seqr-amount').textContent())?.trim(), '30.00 SEK');
      assert.deepEqual(await payable(), [second]);
      await listed(first).waitFor({ state: 'detached' });
      await till.getByRole('button', { name: 'Cancel' }).click();
      await status().filter({ hasText: 'Cancelled' }).waitFor({ state: 'visible' });
      await newSale();
    });

    it('a double click on Charge sends one invoice', async function () {
      const before = await deepLinkNow();
      await till.getByLabel('Amount').fill('45.00');
      await till.getByRole('button', { name: 'Charge' }).dblclick();
      const reference = await newReference(before);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a second invoice would be out by now
      assert.deepEqual(await payable(), [reference]);
      await till.getByRole('button', { name: 'Cancel' }).click();
      await status().filter({ hasText: 'Cancelled' }).waitFor({ state: 'visible' });
      await newSale();
    });

    it('"abc" shows the cashier\'s sentence and no developer text; the corrected amount charges', async function () {
      await till.getByLabel('Amount').fill('abc');
      await till.getByRole('button', { name: 'Charge' }).click();
      await till.locator('.seqr-message', { hasText: 'Enter an amount such as 149.90.' }).waitFor({ state: 'visible' });
      const text = await till.locator('.seqr-till').innerText();
      assert.doesNotMatch(text, /InvoiceInputError|not a plain decimal|msg\.payload|Error:|ERROR/);
      assert.equal(await payable().then((open) => open.length), 0, 'no invoice');
      // "12,50", as Swedish cashiers type it, charges 12.50.
      const reference = await charge('12,50');
      assert.equal((await till.locator('.seqr-amount').textContent())?.trim(), '12.50 SEK');
      await listed(reference).locator('.amount', { hasText: '12.50 SEK' }).waitFor({ state: 'visible' });
      await till.getByRole('button', { name: 'Cancel' }).click();
      await status().filter({ hasText: 'Cancelled' }).waitFor({ state: 'visible' });
      assert.equal((await till.locator('.seqr-message').textContent())?.trim(), 'Cancelled at the till.');
      await newSale();
    });

    it('a payment the customer\'s bank declines reads as declined, on the till and the customer display', async function () {
      const reference = await charge('99.00');
      await listed(reference).getByRole('button', { name: 'Decline' }).click();
      await status().filter({ hasText: 'Declined' }).waitFor({ state: 'visible' });
      assert.equal((await till.locator('.seqr-message').textContent())?.trim(), "Declined by the customer's bank.");
      assert.doesNotMatch(await till.locator('.seqr-till').innerText(), /FAILED/);
      await customer.locator('.seqr-customer-big', { hasText: 'Payment declined' }).waitFor({ state: 'visible' });
      await newSale();
    });

    it('a charge nobody pays reads as not paid in time once the status node gives up, and its invoice is cancelled', async function () {
      // The till's status node gives up after 120 s; the shop owner may set less. The test deploys 4 s (as the
      // editor would, a modified-nodes deploy) and puts the 120 s back afterwards.
      await setGiveUpAfter(4);
      try {
        const reference = await charge('15.00');
        await status().filter({ hasText: 'Not paid in time' }).waitFor({ state: 'visible', timeout: 30_000 });
        assert.equal((await till.locator('.seqr-message').textContent())?.trim(), 'Not paid in time: the invoice is cancelled.');
        assert.doesNotMatch(await till.locator('.seqr-till').innerText(), /TIMEOUT|CANCELED/);
        assert.ok(!(await payable()).includes(reference), 'the invoice can no longer be paid');
        assert.equal(await till.getByRole('button', { name: 'Cancel' }).count(), 0, 'nothing left to cancel: New sale');
        await customer.locator('.seqr-customer-big', { hasText: 'Not paid in time' }).waitFor({ state: 'visible' });
        await newSale();
      } finally {
        await setGiveUpAfter(120);
      }
    });

    /** Sets the till's payment status node's give-up time and deploys only that node, through the admin API. */
    async function setGiveUpAfter(seconds: number): Promise<void> {
      const headers = { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2' };
      const current = (await (await fetch(new URL('flows', demo.editor), { headers })).json()) as { rev: string; flows: Array<Record<string, unknown>> };
      const statusNode = current.flows.find((node) => node.type === 'seqr-payment-status');
      assert.ok(statusNode, 'the till has a payment status node');
      statusNode.giveUpAfter = seconds;
      const deployed = await fetch(new URL('flows', demo.editor), {
        method: 'POST',
        headers: { ...headers, 'Node-RED-Deployment-Type': 'nodes' },
        body: JSON.stringify({ rev: current.rev, flows: current.flows }),
      });
      assert.equal(deployed.status, 200, await deployed.text());
    }
  });

  describe('the editor', function () {
    let editor: Page;
    const chart = () => editor.locator('#red-ui-workspace-chart');

    before(async function () {
      editor = await page(demo.editor, { width: 1600, height: 680 });
      await editor.locator('#red-ui-palette-container-SEQR').waitFor({ state: 'visible' });
    });

    it('opens on the till flow (the README screenshot)', async function () {
      await editor.locator('.red-ui-tab', { hasText: 'SEQR till' }).waitFor({ state: 'visible' });
      await chart().locator('g.red-ui-flow-node-group', { hasText: 'send invoice' }).first().waitFor({ state: 'visible' });
      // The whole till flow in the picture, the palette filtered to SEQR, the sidebar folded away (ctrl-space).
      await filterPalette('seqr');
      await editor.locator('#red-ui-palette-container-common').waitFor({ state: 'hidden' });
      const sidebar = editor.locator('#red-ui-sidebar');
      await chart().click({ position: { x: 20, y: 500 } });
      await editor.keyboard.press('Control+Space');
      await sidebar.waitFor({ state: 'hidden' });
      const png = await screenshot(editor, 'editor');
      assert.deepEqual(pngSize(png), { width: 1600, height: 680 });
      await editor.keyboard.press('Control+Space');
      await sidebar.waitFor({ state: 'visible' });
      await filterPalette('');
    });

    it('has every node type of package.json in the SEQR palette category, and the configuration node in the config sidebar', async function () {
      assert.ok(PALETTE_TYPES.length >= 5 && CONFIG_FILE, 'the package has palette nodes and a configuration node');
      const category = editor.locator('#red-ui-palette-container-SEQR');
      assert.equal((await category.locator('.red-ui-palette-header').textContent())?.trim(), 'SEQR');
      for (const { type } of PALETTE_TYPES) {
        await category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).waitFor({ state: 'visible' });
      }
      // The filter finds them all by "seqr", and nothing of the core palette.
      await filterPalette('seqr');
      await editor.locator('.red-ui-palette-node[data-palette-type="inject"]').waitFor({ state: 'hidden' });
      for (const { type } of PALETTE_TYPES) {
        await category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).waitFor({ state: 'visible' });
      }
      await filterPalette('');
      // The till's configuration node is listed in the Configuration nodes sidebar.
      await showSidebarTab('config');
      await editor.locator(`li.red-ui-palette-node-config-type:text-is("${CONFIG_FILE?.type}") + li .red-ui-palette-node-config`).waitFor({ state: 'visible' });
    });

    for (const file of PALETTE_TYPES) {
      it(`opens the edit dialog of ${file.type} dropped from the palette: its fields, its help`, async function () {
        await editDroppedNode(file);
      });
    }

    it('opens the configuration node\'s dialog from the Configuration nodes sidebar: its fields, its help, no password shown', async function () {
      assert.ok(CONFIG_FILE);
      await showSidebarTab('config');
      const entry = editor.locator(`li.red-ui-palette-node-config-type:text-is("${CONFIG_FILE.type}") + li .red-ui-palette-node-config`);
      await entry.dblclick();
      const ok = editor.locator('#node-config-dialog-ok');
      await ok.waitFor({ state: 'visible' });
      try {
        const tray = editor.locator('.red-ui-tray', { has: ok });
        await tray.locator('#node-config-input-endpoint').waitFor({ state: 'visible' });
        for (const id of CONFIG_FILE.fieldIds) assert.equal(await tray.locator(`#${id}`).count(), 1, `#${id} in the config dialog`);
        assert.notEqual(await tray.locator('#node-config-input-endpoint').inputValue(), '');
        assert.doesNotMatch(await tray.innerText(), RAW_I18N_KEY);
        // Node-RED never sends a password back to the editor: the field holds a placeholder.
        assert.notEqual(await tray.locator('#node-config-input-password').inputValue(), '12345678');
      } finally {
        await editor.locator('#node-config-dialog-cancel').click();
        await ok.waitFor({ state: 'detached' });
      }
      // Its help, from the help sidebar's list of the package's nodes.
      await showSidebarTab('help');
      const packageItem = editor.locator('#red-ui-sidebar .red-ui-treeList-label-text', { hasText: /^@seqr-flows\/node-red-seqr$/ });
      await packageItem.waitFor({ state: 'visible' });
      // The package's entry is open already when one of its nodes' help was shown; a click would close it.
      const open = await packageItem.evaluate((label) => label.closest('.red-ui-editableList-item-content')?.classList.contains('expanded'));
      if (!open) await packageItem.click();
      await editor.locator('#red-ui-sidebar .red-ui-node-label', { hasText: new RegExp(`^${CONFIG_FILE.paletteLabel}$`) }).click();
      await editor.locator('.red-ui-help', { hasText: CONFIG_FILE.helpStart }).first().waitFor({ state: 'visible' });
    });

    it('imports an example from Import ▸ Examples into a new flow and deploys it', async function () {
      const exampleName = '01 Basic payment';
      const example = JSON.parse(readFileSync(path.join(ROOT, 'examples', `${exampleName}.json`), 'utf8')) as Array<Record<string, string>>;
      const comment = example.find((node) => node.type === 'comment');
      assert.ok(comment);

      await editor.locator('#red-ui-header-button-sidemenu').click();
      await editor.locator('#menu-item-import').click();
      await editor.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples').click();
      const examples = editor.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await examples.locator('.red-ui-treeList-label', { hasText: '@seqr-flows/node-red-seqr' }).click();
      await examples.locator('.red-ui-treeList-label', { hasText: exampleName }).click();
      await editor.locator('#red-ui-clipboard-dialog-import-opt-new').click();
      await editor.locator('#red-ui-clipboard-dialog-ok').click();
      await editor.locator('.red-ui-notification', { hasText: 'Imported' }).waitFor({ state: 'visible' });
      // Imported nodes follow the mouse until a click puts them down.
      await chart().click({ position: { x: 400, y: 500 } });
      await chart().locator('g.red-ui-flow-node-group', { hasText: comment.name }).waitFor({ state: 'visible' });

      await editor.locator('#red-ui-header-button-deploy').click();
      await editor.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ state: 'visible' });
      await editor.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });

      // The runtime has it now: the example's nodes in the deployed flows, beside the till.
      const deployed = (await (await fetch(new URL('flows', demo.editor))).json()) as Array<Record<string, string>>;
      for (const type of new Set(example.map((node) => node.type))) {
        assert.ok(deployed.some((node) => node.type === type && node.name === example.find((n) => n.type === type)?.name), `deployed: ${type}`);
      }
      assert.ok(deployed.some((node) => node.type === 'tab' && node.label === 'SEQR till'), 'the till stays deployed');
    });

    it('runs the imported example: its configuration pointed at the demo\'s emulator, Charge pressed, paid on the phone, PAID in the debug sidebar', async function () {
      const example = JSON.parse(readFileSync(path.join(ROOT, 'examples', '01 Basic payment.json'), 'utf8')) as Array<Record<string, string>>;
      const config = example.find((node) => node.type === 'seqr-config');
      const inject = example.find((node) => node.type === 'inject');
      assert.ok(config && inject);
      // The example's endpoint is the emulator's default port; the demo's emulator runs on a free one here.
      const endpoint = new URL(new URL(config.endpoint).pathname, demo.payerApp).href;
      await showSidebarTab('config');
      await editor.locator('.red-ui-palette-node-config', { hasText: config.name }).dblclick();
      await editor.locator('#node-config-input-endpoint').fill(endpoint);
      await editor.locator('#node-config-dialog-ok').click();
      await editor.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
      const deploy = editor.locator('#red-ui-header-button-deploy');
      await editor.locator('#red-ui-header-button-deploy:not(.disabled)').waitFor({ state: 'visible' });
      await deploy.click();
      await editor.locator('#red-ui-header-button-deploy.disabled').waitFor({ state: 'attached' });

      await showSidebarTab('debug');
      await chart().locator('g.red-ui-flow-node-group', { hasText: inject.name }).locator('.red-ui-flow-node-button').click();
      const phone = await page(demo.payerApp, { width: 420, height: 900 });
      const item = phone.locator('li.invoice', { hasText: '149.90 SEK' });
      await item.getByRole('button', { name: 'Pay' }).click();
      await phone.locator('#message', { hasText: 'Paid: 149.90 SEK' }).waitFor({ state: 'visible' });
      await editor.locator('.red-ui-debug-msg', { hasText: 'PAID' }).first().waitFor({ state: 'visible' });
    });

    /** Types into the palette filter as a user does (it filters on key presses); '' clears it with its × button. */
    /**
     * Brings the sidebar's `id` tab (config, help, debug) to the front with its button, as a user does: a link
     * button on Node-RED 3 and 4, a button of the sidebar's tab bar on Node-RED 5, where a click on the tab already
     * shown folds the sidebar away instead.
     */
    async function showSidebarTab(id: string): Promise<void> {
      const button = editor.locator(`#red-ui-tab-${id}-link-button, .red-ui-sidebar-tab-bar button[data-tab-id="${id}"]`).first();
      await button.waitFor({ state: 'visible' });
      if (!(await button.evaluate((element) => element.classList.contains('selected')))) await button.click();
      await editor.locator('#red-ui-sidebar').waitFor({ state: 'visible' });
    }

    async function filterPalette(text: string): Promise<void> {
      const search = editor.locator('#red-ui-palette-search input');
      const clear = editor.locator('#red-ui-palette-search .red-ui-searchBox-clear');
      if ((await search.inputValue()) !== '') {
        await clear.click();
        await clear.waitFor({ state: 'hidden' });
      }
      if (text) await search.pressSequentially(text);
    }

    /** Drops a node of `type` from the palette onto the canvas, runs `inDialog` in its open edit dialog, then deletes it. */
    async function dropNode(type: string, inDialog: (node: Locator) => Promise<void>): Promise<void> {
      const groups = chart().locator('g.red-ui-flow-node-group');
      const idsBefore = new Set(await groups.evaluateAll((nodes) => nodes.map((node) => node.id)));
      await editor.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).dragTo(chart(), { targetPosition: { x: 560, y: 450 } });
      await groups.nth(idsBefore.size).waitFor({ state: 'attached' });
      const id = (await groups.evaluateAll((nodes) => nodes.map((node) => node.id))).find((nodeId) => !idsBefore.has(nodeId));
      assert.ok(id, `a new ${type} node on the canvas`);
      const node = chart().locator(`g.red-ui-flow-node-group[id="${id}"]`);
      await node.locator('rect.red-ui-flow-node').dblclick();
      await editor.locator('#node-dialog-ok').waitFor({ state: 'visible' });
      try {
        await inDialog(node);
      } finally {
        // Leave the till flow as it was, also when a check failed: the dialog's Delete removes the node.
        await editor.locator('#node-dialog-delete').click();
        await node.waitFor({ state: 'detached' });
        await editor.locator('#node-dialog-ok').waitFor({ state: 'detached' });
      }
    }

    async function editDroppedNode(file: EditorFile): Promise<void> {
      await dropNode(file.type, async () => {
        const tray = editor.locator('.red-ui-tray', { has: editor.locator('#node-dialog-ok') });
        // The dialog's buttons show before its form is built: wait for a field.
        await tray.locator('#node-input-name').waitFor({ state: 'visible' });
        for (const id of file.fieldIds) assert.equal(await tray.locator(`#${id}`).count(), 1, `#${id} in the ${file.type} dialog`);
        // Every visible field has a label with words (a missing catalog shows the bare key instead).
        const trayText = await tray.innerText();
        assert.doesNotMatch(trayText, RAW_I18N_KEY);
        // The configuration choice offers the till's seqr-config beside "Add new".
        const choices = await tray.locator('#node-input-seqr option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
        assert.ok(choices.some((value) => value !== '_ADD_' && value !== ''), `configurations offered: ${choices.join(', ')}`);
        // Its help is in the help sidebar while it is selected.
        await showSidebarTab('help');
        await editor.locator('.red-ui-help', { hasText: file.helpStart }).first().waitFor({ state: 'visible' });
      });
    }
  });
});
