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
 * emulator, logged in as a user who may change flows: Test connection with the stored password, with it for
 * another endpoint (refused: the password must be typed) and with a wrong typed one, Register terminal filling in the new terminal, Assign SEQR ID, then Done and Deploy as a user
 * would, after which the runtime keeps the generated password. Then a registration whose dialog is cancelled:
 * the editor keeps the new terminal, and the next deploy gives the runtime the matching id and password. Every
 * answer the browser got is checked for passwords.
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
        { id: 'inject1', type: 'inject', z: 'tab1', x: 120, y: 100, name: 'Charge 12.50', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: '12.50', payloadType: 'str', wires: [['send1']] },
        { id: 'send1', type: 'seqr-send-invoice', z: 'tab1', x: 320, y: 100, seqr: CONFIG_ID, title: 'Browser', currency: 'SEK', wires: [[]] },
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

  type EditorNode = { credentials?: Record<string, unknown>; principalType?: string; changed?: boolean };
  type EditorWindow = {
    RED: {
      editor: { editConfig(n: string, t: string, id: string): void };
      nodes: { node(id: string): EditorNode | null };
      events: { on(event: string, handler: () => void): void };
    };
  };

  /**
   * The configuration's edit dialog, as the Configuration nodes sidebar opens it, once it is ready: the editor
   * fills in the user count after the node's credentials were fetched and its fields filled in.
   */
  async function openConfigDialog(): Promise<void> {
    // The palette shows before the editor has loaded the flows: a configuration it does not have yet opens as a
    // new one, without the stored credentials (seen on a loaded machine).
    await page.waitForFunction((id) => (window as unknown as EditorWindow).RED.nodes.node(id) !== null, CONFIG_ID);
    await page.evaluate((id) => (window as unknown as EditorWindow).RED.editor.editConfig('', 'seqr-config', id), CONFIG_ID);
    await page.locator('#red-ui-editor-config-user-count', { hasText: /\d/ }).waitFor({ state: 'visible' });
  }

  /** Closes the dialog with its Update or Cancel button and waits until it is gone. */
  async function closeConfigDialog(button: 'ok' | 'cancel'): Promise<void> {
    await page.click(`#node-config-dialog-${button}`);
    await page.locator('#seqr-config-test').waitFor({ state: 'detached' });
  }

  /**
   * Deploys as the user does and resolves once the runtime has answered the deploy (flows and credentials saved)
   * and the editor has taken the answer in: only then has it dropped the nodes' credentials, which the next
   * dialog loads again from the runtime (on a loaded machine the next step could otherwise come in between).
   */
  async function deploy(): Promise<void> {
    // A count of the editor's 'deploy' events (no named function in the page: tsx would wrap it in a helper
    // the page does not have).
    const before = await page.evaluate(() => {
      const w = window as unknown as { seqrDeploys?: number };
      if (w.seqrDeploys === undefined) {
        w.seqrDeploys = 0;
        (window as unknown as EditorWindow).RED.events.on('deploy', () => {
          w.seqrDeploys = (w.seqrDeploys ?? 0) + 1;
        });
      }
      return w.seqrDeploys;
    });
    const deployed = page.waitForResponse((response) => new URL(response.url()).pathname === '/flows' && response.request().method() === 'POST');
    await page.click('#red-ui-header-button-deploy');
    assert.equal((await deployed).status(), 200);
    await page.waitForFunction((count) => ((window as unknown as { seqrDeploys?: number }).seqrDeploys ?? 0) > count, before);
  }


  function savedCredentials(): { principalId: string; password: string } {
    const saved = JSON.parse(readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8')) as Record<string, { principalId: string; password: string }>;
    return saved[CONFIG_ID];
  }

  async function register(terminalName: string): Promise<string> {
    await page.click('#seqr-config-register-open');
    await page.fill('#seqr-config-register-resellerId', PUBLIC_TEST_RESELLER.id);
    await page.fill('#seqr-config-register-resellerPassword', PUBLIC_TEST_RESELLER.password);
    await page.fill('#seqr-config-register-name', terminalName);
    await page.click('#seqr-config-register');
    const registered = await result('ok', /registered/);
    const terminalId = await page.inputValue('#node-config-input-principalId');
    assert.match(terminalId, /^[0-9a-f]{32}$/);
    assert.ok(registered.includes(terminalId));
    return terminalId;
  }

  function assertNoPasswordReachedTheBrowser(passwords: string[]): void {
    for (const secret of passwords) {
      const pattern = new RegExp(`(^|[^0-9A-Za-z])${secret}([^0-9A-Za-z]|$)`);
      for (const text of received) assert.ok(!pattern.test(text), `a password reached the browser: ${text.slice(0, 200)}`);
      assert.ok(!pattern.test(red.output), 'a password in the log');
    }
  }

  async function result(kind: 'ok' | 'error', text: string | RegExp): Promise<string> {
    const shown = page.locator(`#seqr-config-tool-result.seqr-config-${kind}`, { hasText: text });
    await shown.waitFor({ state: 'visible' });
    return (await shown.textContent()) ?? '';
  }

  it('tests the connection, registers a terminal, assigns its sticker, and the deploy keeps the generated password', async function () {
    await openConfigDialog();
    // The editor fills the credential fields in once it has the node's credentials from the runtime: on a loaded
    // machine that can come after the user count shows.
    await page.waitForFunction(() => (document.querySelector('#node-config-input-password') as HTMLInputElement | null)?.value === '__PWRD__', null, { timeout: 20_000 }).catch(() => undefined);
    assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__', 'the editor shows the stored password as set');

    await page.click('#seqr-config-test');
    await result('ok', `accepted terminal ${PUBLIC_TEST_TERMINAL.id}`);

    // Another endpoint in the dialog: the stored password stays with the deployed one, the dialog says to type it.
    await page.fill('#node-config-input-endpoint', emu.url.replace('127.0.0.1', 'localhost'));
    await page.click('#seqr-config-test');
    await result('error', /only used with the endpoint and certificate settings it was saved with/);
    await page.fill('#node-config-input-endpoint', emu.url);

    await page.fill('#node-config-input-password', 'not-the-password');
    await page.click('#seqr-config-test');
    await result('error', '20 AUTHENTICATION_FAILED');

    const terminalId = await register('Browser shop, till 2');
    assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__', 'the new password shows as set');
    assert.equal(await page.inputValue('#node-config-input-principalType'), 'TERMINALID');
    assert.equal(await page.inputValue('#seqr-config-register-resellerPassword'), '', 'the reseller password is cleared');

    await page.click('#seqr-config-assign-open');
    await page.fill('#seqr-config-assign-seqrId', 'BROWSER42');
    await page.click('#seqr-config-assign');
    await result('ok', `BROWSER42 is now linked to terminal ${terminalId}`);

    await page.click('#seqr-config-test');
    await result('ok', `accepted terminal ${terminalId}`);

    await closeConfigDialog('ok');
    await deploy();

    const saved = savedCredentials();
    assert.equal(saved.principalId, terminalId);
    assert.match(saved.password, /^[A-Z2-7]{30}$/, 'the generated password, saved by the deploy');

    assert.ok(received.some((text) => text.includes(terminalId)), 'the answers were recorded');
    assertNoPasswordReachedTheBrowser([saved.password, PUBLIC_TEST_TERMINAL.password, PUBLIC_TEST_RESELLER.password]);
  });

  it('keeps a registered terminal when the dialog is cancelled: the editor shows it, the next deploy pairs it with its password and the runtime uses it', async function () {
    const before = savedCredentials();
    await openConfigDialog();
    // A reseller configuration, to see that Cancel does not leave the terminal's credentials under a reseller login.
    await page.selectOption('#node-config-input-principalType', 'RESELLERUSER');
    await page.fill('#node-config-input-principalId', PUBLIC_TEST_RESELLER.id);
    await closeConfigDialog('ok');
    await openConfigDialog();
    const terminalId = await register('Browser shop, till 3');
    assert.notEqual(terminalId, before.principalId);
    await closeConfigDialog('cancel');

    // The editor's node holds the new id, no password (no Redis password either: none was set), and is marked changed.
    const node = await page.evaluate((id) => {
      const found = (window as unknown as EditorWindow).RED.nodes.node(id);
      const credentials = Object.fromEntries(Object.entries(found?.credentials ?? {}).filter(([key]) => key !== '_'));
      return { credentials, principalType: found?.principalType, changed: found?.changed };
    }, CONFIG_ID);
    assert.deepEqual(node, { credentials: { principalId: terminalId, has_password: true, has_redisPassword: false }, principalType: 'TERMINALID', changed: true });
    assert.equal(await page.locator('#red-ui-header-button-deploy.disabled').count(), 0, 'the Deploy button is enabled');

    // Reopened, the dialog shows the new terminal with the stored password, which SEQR accepts.
    await openConfigDialog();
    assert.equal(await page.inputValue('#node-config-input-principalId'), terminalId);
    assert.equal(await page.inputValue('#node-config-input-password'), '__PWRD__');
    assert.equal(await page.inputValue('#node-config-input-principalType'), 'TERMINALID');
    await page.click('#seqr-config-test');
    await result('ok', `accepted terminal ${terminalId}`);
    // Another edit, saved, and deployed.
    await page.fill('#node-config-input-name', 'shop till 3');
    await closeConfigDialog('ok');
    await deploy();

    const saved = savedCredentials();
    assert.equal(saved.principalId, terminalId, 'the deploy saved the new terminal id');
    assert.match(saved.password, /^[A-Z2-7]{30}$/);
    assert.notEqual(saved.password, before.password, 'with the new terminal\'s password');

    // The runtime's configuration now calls SEQR as the new terminal: the inject button sends an invoice.
    await page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group', { hasText: 'Charge 12.50' }).locator('.red-ui-flow-node-button').click();
    const deadline = Date.now() + 15_000;
    while (!emu.core.invoices.openInvoices().some((invoice) => invoice.terminal.id === terminalId)) {
      assert.ok(Date.now() < deadline, `no invoice from terminal ${terminalId}:\n${red.output.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    assertNoPasswordReachedTheBrowser([saved.password, before.password, PUBLIC_TEST_RESELLER.password]);
  });
});
