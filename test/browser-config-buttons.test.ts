import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { launchChromium, openPage } from './helpers/browser';
import { NodeRedProcess, TEST_ADMIN_AUTH, TEST_USERS } from './helpers/node-red-process';

/*
 * The seqr-config dialog's buttons in a real editor (Node-RED's CLI with adminAuth, and Chromium) against the
 * emulator, logged in as a user who may change flows: Test connection with the stored password and with a wrong
 * typed one, Register terminal filling in the new terminal, Assign SEQR ID, then Done and Deploy as a user
 * would, after which the runtime keeps the generated password. Every answer the browser got is checked for
 * passwords.
 */

const CONFIG_ID = 'c0ffee0000000001';

describe('browser: the seqr-config buttons in the editor', function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let red: NodeRedProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The JSON the browser received from Node-RED's admin API. */
  const received: string[] = [];

  before(async function () {
    emu = await startEmulator({ port: 0 });
    red = new NodeRedProcess({
      flows: [
        { id: 'tab1', type: 'tab', label: 'SEQR' },
        { id: CONFIG_ID, type: 'seqr-config', name: 'shop till', endpoint: emu.url, principalType: 'TERMINALID', userId: '9900', timeout: 5000, verifyServerCert: true, ca: '', appScheme: 'SEQR' },
        { id: 'send1', type: 'seqr-send-invoice', z: 'tab1', x: 200, y: 100, seqr: CONFIG_ID, title: 'Browser', currency: 'SEK', wires: [[]] },
      ],
      credentials: { [CONFIG_ID]: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } },
      settings: { adminAuth: TEST_ADMIN_AUTH },
    });
    await red.start();
    browser = await launchChromium();
    ({ context, page } = await openPage(browser, { width: 1280, height: 900 }));
    // The admin API's data (JSON): flows, credentials, settings and the buttons' answers. The editor's own files
    // are left out (the config node's help names the emulator's public test password, for example).
    page.on('response', (response) => {
      const json = /json/.test(response.headers()['content-type'] ?? '');
      if (new URL(response.url()).origin === red.url && json) void response.text().then((text) => received.push(text), () => undefined);
    });
    // Logged in through the editor's login dialog as a user with write permission: the editor then sends the
    // user's token with every admin call, the buttons' too.
    await page.goto(red.url);
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', TEST_USERS.admin.password);
    await page.click('#node-dialog-login-submit');
    await page.locator('.red-ui-palette-node[data-palette-type="seqr-send-invoice"]').waitFor({ state: 'visible' });
  });
  after(async function () {
    await context?.close();
    await browser?.close();
    await red?.dispose();
    await emu?.stop();
  });

  async function result(kind: 'ok' | 'error', text: string | RegExp): Promise<string> {
    const shown = page.locator(`#seqr-config-tool-result.seqr-config-${kind}`, { hasText: text });
    await shown.waitFor({ state: 'visible' });
    return (await shown.textContent()) ?? '';
  }

  it('tests the connection, registers a terminal, assigns its sticker, and the deploy keeps the generated password', async function () {
    // The configuration's edit dialog, as the Configuration nodes sidebar opens it.
    await page.evaluate((id) => (window as unknown as { RED: { editor: { editConfig(n: string, t: string, id: string): void } } }).RED.editor.editConfig('', 'seqr-config', id), CONFIG_ID);
    await page.locator('#seqr-config-test').waitFor({ state: 'visible' });
    assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__', 'the editor shows the stored password as set');

    await page.click('#seqr-config-test');
    await result('ok', `accepted terminal ${PUBLIC_TEST_TERMINAL.id}`);

    await page.fill('#node-config-input-password', 'not-the-password');
    await page.click('#seqr-config-test');
    await result('error', '20 AUTHENTICATION_FAILED');

    await page.click('#seqr-config-register-open');
    await page.fill('#seqr-config-register-resellerId', PUBLIC_TEST_RESELLER.id);
    await page.fill('#seqr-config-register-resellerPassword', PUBLIC_TEST_RESELLER.password);
    await page.fill('#seqr-config-register-name', 'Browser shop, till 2');
    await page.click('#seqr-config-register');
    const registered = await result('ok', /registered/);
    const terminalId = await page.inputValue('#node-config-input-principalId');
    assert.match(terminalId, /^[0-9a-f]{32}$/);
    assert.ok(registered.includes(terminalId));
    assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__', 'the new password shows as set');
    assert.equal(await page.inputValue('#node-config-input-principalType'), 'TERMINALID');
    assert.equal(await page.inputValue('#seqr-config-register-resellerPassword'), '', 'the reseller password is cleared');

    await page.click('#seqr-config-assign-open');
    await page.fill('#seqr-config-assign-seqrId', 'BROWSER42');
    await page.click('#seqr-config-assign');
    await result('ok', `BROWSER42 is now linked to terminal ${terminalId}`);

    await page.click('#seqr-config-test');
    await result('ok', `accepted terminal ${terminalId}`);

    await page.click('#node-config-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ state: 'visible' });

    const saved = JSON.parse(readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8')) as Record<string, { principalId: string; password: string }>;
    assert.equal(saved[CONFIG_ID].principalId, terminalId);
    const password = saved[CONFIG_ID].password;
    assert.match(password, /^[A-Z2-7]{30}$/, 'the generated password, saved by the deploy');

    assert.ok(received.some((text) => text.includes(terminalId)), 'the answers were recorded');
    for (const secret of [password, PUBLIC_TEST_TERMINAL.password, PUBLIC_TEST_RESELLER.password]) {
      const pattern = new RegExp(`(^|[^0-9A-Za-z])${secret}([^0-9A-Za-z]|$)`);
      for (const text of received) assert.ok(!pattern.test(text), `a password reached the browser: ${text.slice(0, 200)}`);
      assert.ok(!pattern.test(red.output), 'a password in the log');
    }
  });
});
