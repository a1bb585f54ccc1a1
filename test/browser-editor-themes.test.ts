import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, openPage } from './helpers/browser';
import { CONFIG_FILE, PALETTE_TYPES, RAW_I18N_KEY, type EditorFile } from './helpers/editor-files';
import { NodeRedProcess } from './helpers/node-red-process';
import { NODE_RED_VERSION } from './helpers/node-red-runtime';

/*
 * Every node's edit dialog and help in the editor of the Node-RED under test (Node-RED 5 in
 * scripts/test-node-red-5.sh), in the light theme and in a dark one, with no console error: the palette entries
 * with their own icons on one line, each dialog's fields and labels, each help in the sidebar.
 * The dark theme is "dark-modern" of @node-red-contrib-themes/theme-collection (a devDependency), the theme
 * plugin Node-RED's editorTheme.theme names; Node-RED ships no dark theme of its own. Its version 5 needs
 * Node-RED 5, so on older Node-RED the dark half is skipped.
 */

const ROOT = path.join(__dirname, '..');
const THEME_COLLECTION = path.dirname(require.resolve('@node-red-contrib-themes/theme-collection/package.json'));
const DARK_THEME = 'dark-modern';
const CONFIG_ID = 'c0ffee00000000aa';

/** One node of each palette type on a tab, all using one configuration. */
const FLOWS = [
  { id: 'tab1', type: 'tab', label: 'SEQR' },
  { id: CONFIG_ID, type: 'seqr-config', name: 'shop till', endpoint: 'http://127.0.0.1:9/soap/merchant/cashregister-2', principalType: 'TERMINALID', userId: '9900', timeout: 5000, verifyServerCert: true, ca: '', appScheme: 'SEQR' },
  ...PALETTE_TYPES.map((file, index) => ({ id: `node${index}`, type: file.type, z: 'tab1', x: 200, y: 60 + 60 * index, seqr: CONFIG_ID, wires: [] })),
];

const nodeRedMajor = Number(NODE_RED_VERSION.split('.')[0]);

for (const theme of ['light', 'dark'] as const) {
  describe(`browser: every SEQR node's dialog and help, ${theme} theme (Node-RED ${NODE_RED_VERSION})`, function () {
    this.timeout(120_000);
    let red: NodeRedProcess;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    /** Console errors and uncaught exceptions of the page. */
    const errors: string[] = [];

    before(async function () {
      if (theme === 'dark' && nodeRedMajor < 5) {
        // The theme collection's Node-RED 4 line is another major; one version is installed (for Node-RED 5).
        this.skip();
      }
      red = new NodeRedProcess({
        flows: FLOWS,
        settings: theme === 'dark'
          ? { nodesDir: [ROOT, THEME_COLLECTION], editorTheme: { tours: false, palette: { catalogues: [] }, theme: DARK_THEME } }
          : {},
      });
      await red.start();
      browser = await launchChromium();
      ({ context, page } = await openPage(browser, { width: 1400, height: 900 }));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
      });
      page.on('pageerror', (error) => errors.push(`page: ${error.stack ?? error.message}`));
      await page.goto(red.url);
      await page.locator('#red-ui-palette-container-SEQR').waitFor({ state: 'visible' });
    });
    after(async function () {
      await context?.close();
      await browser?.close();
      await red?.dispose();
    });

    if (theme === 'dark') {
      it(`is in the dark theme (${DARK_THEME})`, async function () {
        const background = await page.locator('#red-ui-workspace-chart').evaluate((element) => getComputedStyle(element).backgroundColor);
        const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
        // Node-RED's own workspace is white: a dark one means the theme plugin loaded and applied.
        assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 80, `the workspace is dark: ${background}`);
      });
    }

    it('shows every palette node with its own icon and its label on one line, as high as a core node', async function () {
      const coreHeight = await page.locator('.red-ui-palette-node[data-palette-type="inject"]').evaluate((element) => element.getBoundingClientRect().height);
      const icons = new Set<string>();
      for (const file of PALETTE_TYPES) {
        const entry = page.locator(`#red-ui-palette-container-SEQR .red-ui-palette-node[data-palette-type="${file.type}"]`);
        assert.equal((await entry.locator('.red-ui-palette-label').innerText()).trim(), file.paletteLabel);
        assert.equal(await entry.evaluate((element) => element.getBoundingClientRect().height), coreHeight, `${file.type}: one line`);
        icons.add(await entry.locator('.red-ui-palette-icon').evaluate((element) => getComputedStyle(element).backgroundImage));
      }
      assert.equal(icons.size, PALETTE_TYPES.length, [...icons].join('\n'));
      for (const icon of icons) assert.match(icon, /icons\/@seqr-flows\/node-red-seqr\/seqr-[a-z]+\.svg/);
    });

    type EditorWindow = {
      RED: {
        nodes: { node(id: string): unknown };
        editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
        sidebar: { help: { show(type: string, bringToFront?: boolean): void } };
      };
    };

    /** The help sidebar showing `file`'s help, and no untranslated key in it. */
    async function checkHelp(file: EditorFile): Promise<void> {
      await page.evaluate((type) => (window as unknown as EditorWindow).RED.sidebar.help.show(type, true), file.type);
      const help = page.locator('.red-ui-help', { hasText: file.helpStart }).first();
      await help.waitFor({ state: 'visible' });
      assert.doesNotMatch(await help.innerText(), RAW_I18N_KEY);
    }

    PALETTE_TYPES.forEach((file, index) => {
      it(`opens the dialog and the help of ${file.type}`, async function () {
        await page.evaluate((id) => {
          const RED = (window as unknown as EditorWindow).RED;
          RED.editor.edit(RED.nodes.node(id));
        }, `node${index}`);
        const tray = page.locator('.red-ui-tray', { has: page.locator('#node-dialog-ok') });
        try {
          await tray.locator('#node-input-name').waitFor({ state: 'visible' });
          for (const id of file.fieldIds) assert.equal(await tray.locator(`#${id}`).count(), 1, `#${id} in the ${file.type} dialog`);
          assert.doesNotMatch(await tray.innerText(), RAW_I18N_KEY);
        } finally {
          await page.locator('#node-dialog-cancel').click();
          await page.locator('#node-dialog-ok').waitFor({ state: 'detached' });
        }
        await checkHelp(file);
      });
    });

    it('opens the configuration node\'s dialog and help', async function () {
      assert.ok(CONFIG_FILE);
      await page.evaluate((id) => (window as unknown as EditorWindow).RED.editor.editConfig('', 'seqr-config', id), CONFIG_ID);
      const ok = page.locator('#node-config-dialog-ok');
      await ok.waitFor({ state: 'visible' });
      try {
        const tray = page.locator('.red-ui-tray', { has: ok });
        await tray.locator('#node-config-input-endpoint').waitFor({ state: 'visible' });
        for (const id of CONFIG_FILE.fieldIds) assert.equal(await tray.locator(`#${id}`).count(), 1, `#${id} in the config dialog`);
        assert.doesNotMatch(await tray.innerText(), RAW_I18N_KEY);
      } finally {
        await page.locator('#node-config-dialog-cancel').click();
        await ok.waitFor({ state: 'detached' });
      }
      await checkHelp(CONFIG_FILE);
    });

    it('logged no console error and threw nothing in the page', function () {
      assert.deepEqual(errors, []);
    });
  });
}
