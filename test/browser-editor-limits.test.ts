import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { API_LIMITS, CONFIG_LIMITS, INVOICE_SETTINGS, PAYMENT_STATUS_LIMITS, REFUND_LIMITS, SEND_INVOICE_LIMITS } from '../src/nodes/shared-limits';
import { launchChromium, openPage } from './helpers/browser';
import { NodeRedProcess } from './helpers/node-red-process';
import { NODE_RED_VERSION } from './helpers/node-red-runtime';

/*
 * The limits and defaults the editor and the runtime share come from one module (src/nodes/shared-limits.ts):
 * a real Node-RED exports them with its settings, and the editor's node definitions, in real Chromium, apply
 * exactly those (defaults, validators at and just beyond each bound).
 */

type EditorDefaults = Record<string, { value: unknown; validate?: (value: unknown) => boolean }>;
type EditorWindow = { RED: { nodes: { getType(type: string): { defaults: EditorDefaults } }; validators: Record<string, unknown> } };
type TypedInputWindow = { $: (html: string) => { appendTo(target: unknown): { typedInput(options: object): { typedInput(method: 'instance'): { typeMap?: Record<string, unknown> } | undefined; remove(): void } } } };

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
/** Each node type's editor file (nodes/<type>.html). */
const EDITOR_HTML = Object.entries(pkg['node-red'].nodes).map(([type, jsFile]) => ({ type, html: readFileSync(path.join(ROOT, path.dirname(jsFile), `${type}.html`), 'utf8') }));

describe('browser: the editor reads the limits it shares with the runtime', function () {
  this.timeout(120_000);
  let red: NodeRedProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async function () {
    red = new NodeRedProcess({ flows: [{ id: 'tab1', type: 'tab', label: 'SEQR' }] });
    await red.start();
    browser = await launchChromium();
    ({ context, page } = await openPage(browser, { width: 1280, height: 900 }));
    await page.goto(red.url);
    await page.locator('.red-ui-palette-node[data-palette-type="seqr-send-invoice"]').waitFor({ state: 'visible' });
  });
  after(async function () {
    await context?.close();
    await browser?.close();
    await red?.dispose();
  });

  /** The editor's value of `defaults[property].value`, and what its validator says of each of `values`. */
  function editorField(type: string, property: string, values: unknown[] = []): Promise<{ value: unknown; valid: boolean[] }> {
    return page.evaluate(
      ({ type, property, values }) => {
        const field = (window as unknown as EditorWindow).RED.nodes.getType(type).defaults[property];
        return { value: field.value, valid: values.map((value) => (field.validate ? field.validate(value) : true)) };
      },
      { type, property, values },
    );
  }

  it('gets each node type its limits with the runtime settings (GET /settings)', async function () {
    const settings = (await (await fetch(`${red.url}/settings`)).json()) as Record<string, unknown>;
    assert.deepEqual(settings.seqrConfigLimits, CONFIG_LIMITS);
    assert.deepEqual(settings.seqrPaymentStatusLimits, PAYMENT_STATUS_LIMITS);
    assert.deepEqual(settings.seqrApiLimits, API_LIMITS);
    assert.deepEqual(settings.seqrSendInvoiceLimits, SEND_INVOICE_LIMITS);
    assert.deepEqual(settings.seqrRefundLimits, REFUND_LIMITS);
  });

  it('seqr-config: default endpoint, timeout and answer-size ranges, channel length as the runtime checks them', async function () {
    assert.equal((await editorField('seqr-config', 'endpoint')).value, CONFIG_LIMITS.defaultEndpoint);
    const { min, max } = CONFIG_LIMITS.timeoutMs;
    assert.deepEqual(await editorField('seqr-config', 'timeout', [min - 1, min, max, max + 1]), { value: CONFIG_LIMITS.timeoutMs.default, valid: [false, true, true, false] });
    const kib = CONFIG_LIMITS.maxAnswerKiB;
    assert.deepEqual(await editorField('seqr-config', 'maxAnswerKiB', [kib.min - 1, kib.min, kib.max, kib.max + 1, '']), { value: kib.default, valid: [false, true, true, false, true] });
    const channel = CONFIG_LIMITS.maxChannelLength;
    assert.deepEqual((await editorField('seqr-config', 'channel', ['x'.repeat(channel), 'x'.repeat(channel + 1)])).valid, [true, false]);
    assert.equal((await editorField('seqr-config', 'userId')).value, CONFIG_LIMITS.defaultResellerUserId);
    assert.deepEqual(await editorField('seqr-config', 'appScheme', ['', 'seqr+test', '1seqr', 'se qr']), { value: CONFIG_LIMITS.defaultAppScheme, valid: [true, true, false, false] });
  });

  it('seqr-payment-status: poll interval and give-up ranges and defaults', async function () {
    const { min, max } = PAYMENT_STATUS_LIMITS.intervalMs;
    assert.deepEqual(await editorField('seqr-payment-status', 'interval', [min - 1, min, max, max + 1]), {
      value: PAYMENT_STATUS_LIMITS.intervalMs.default,
      valid: [false, true, true, false],
    });
    const giveUp = PAYMENT_STATUS_LIMITS.giveUpAfterS;
    assert.deepEqual(await editorField('seqr-payment-status', 'giveUpAfter', [giveUp.min, giveUp.max, giveUp.max + 1]), { value: giveUp.default, valid: [false, true, false] });
    assert.equal((await editorField('seqr-payment-status', 'receiptWidth')).value, PAYMENT_STATUS_LIMITS.defaultReceiptWidth);
  });

  it('the invoice nodes: the default currency and modes, and seqr-api its operation and report defaults', async function () {
    for (const type of ['seqr-send-invoice', 'seqr-refund', 'seqr-api']) {
      assert.equal((await editorField(type, 'currency')).value, INVOICE_SETTINGS.defaultCurrency, type);
    }
    assert.equal((await editorField('seqr-send-invoice', 'paymentMode')).value, SEND_INVOICE_LIMITS.defaultPaymentMode);
    assert.equal((await editorField('seqr-send-invoice', 'acknowledgmentMode')).value, SEND_INVOICE_LIMITS.defaultAcknowledgmentMode);
    assert.equal((await editorField('seqr-api', 'operation')).value, API_LIMITS.defaultOperation);
    assert.equal((await editorField('seqr-api', 'reportId')).value, API_LIMITS.defaultReportId);
    assert.equal((await editorField('seqr-api', 'reportRetryInterval')).value, API_LIMITS.defaultReportRetryS);
    assert.equal((await editorField('seqr-api', 'reportGiveUpAfter')).value, API_LIMITS.defaultReportGiveUpS);
  });

  it(`uses only typedInput types and validators the editor of Node-RED ${NODE_RED_VERSION} has`, async function () {
    const typedInputTypes = new Set<string>();
    const validators = new Set<string>();
    for (const { html } of EDITOR_HTML) {
      for (const list of html.matchAll(/\btypes:\s*\[([^\]]*)\]/g)) for (const used of list[1].matchAll(/'([^']+)'/g)) typedInputTypes.add(used[1]);
      for (const used of html.matchAll(/RED\.validators\.(\w+)/g)) validators.add(used[1]);
    }
    assert.ok(typedInputTypes.has('msg') && validators.size > 0, 'the editor files were read');
    // Asked of the running editor: a typedInput offered an unknown type has no entry for it in its type map.
    const missing = await page.evaluate(
      ({ types, names }) => {
        const { $ } = window as unknown as TypedInputWindow;
        const red = (window as unknown as EditorWindow).RED;
        const unknownTypes = types.filter((type) => {
          const input = $('<input type="text">').appendTo(document.body).typedInput({ types: [type] });
          const known = input.typedInput('instance')?.typeMap?.[type] !== undefined;
          input.remove();
          return !known;
        });
        return { types: unknownTypes, validators: names.filter((name) => typeof red.validators[name] !== 'function') };
      },
      { types: [...typedInputTypes], names: [...validators] },
    );
    assert.deepEqual(missing, { types: [], validators: [] });
  });
});
