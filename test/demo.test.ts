import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { Launcher, describeDemo, type Urls } from './helpers/demo-process';
import { pause } from './helpers/time';

/*
 * `npm start` as a user (and the browser suite) runs it: `node dist/demo/start.js` in its own process, on free
 * ports (0) with a temporary user directory, read from its stdout. The till is driven through Dashboard 2.0's
 * own socket.io protocol, the way its page talks to Node-RED (submit the form, click a button, receive what a
 * widget shows), and the customer pays through the emulator's payer API.
 */

/** True once nothing listens on the URL's port any more (the port can be bound again). */
function portIsFree(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(Number(port), hostname, () => probe.close(() => resolve(true)));
  });
}

type ScreenState = { state: string; status: string; reference?: string; amount?: string; qr?: string | null; deepLink?: string | null; receipt?: string; message?: string };
interface Widget {
  id: string;
  type: string;
  props?: { label?: string; format?: string };
}

/** A dashboard client: Dashboard 2.0's socket.io protocol, as the till page speaks it. */
class TillClient {
  private readonly socket: Socket;
  private readonly screens: ScreenState[] = [];
  private readonly waiters: Array<() => void> = [];
  widgets: Widget[] = [];

  constructor(editorUrl: string) {
    // The page's own path; its first request is long polling (the dashboard refuses a bare websocket).
    this.socket = io(new URL(editorUrl).origin, { path: '/dashboard/socket.io', transports: ['polling', 'websocket'], reconnection: false });
  }

  /** Connects and receives the dashboard's configuration (pages, groups, widgets). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect_error', reject);
      this.socket.once('ui-config', (_baseId: string, config: { widgets: Record<string, Widget> }) => {
        this.widgets = Object.values(config.widgets);
        this.socket.on(`msg-input:${this.till().id}`, (msg: { payload: ScreenState }) => {
          this.screens.push(msg.payload);
          this.waiters.splice(0).forEach((wake) => wake());
        });
        resolve();
      });
    });
  }

  /** The till's screen: the ui-template whose template is the cashier's (the other one is the customer display). */
  till(): Widget {
    const found = this.widgets.filter((w) => w.type === 'ui-template' && (w.props?.format ?? '').includes('class="seqr-till"'));
    assert.equal(found.length, 1, 'one till template on the dashboard');
    return found[0];
  }

  /** Types `amount` and presses Charge (what the till's template sends). */
  charge(amount: string): void {
    this.socket.emit('widget-action', this.till().id, { action: 'charge', payload: amount });
  }

  /** Presses Cancel or New sale. */
  click(label: 'Cancel' | 'New sale'): void {
    this.socket.emit('widget-action', this.till().id, { action: label === 'Cancel' ? 'cancel' : 'new-sale' });
  }

  /** The next screen state with `status` (earlier states are passed over), within `timeoutMs`. */
  async screen(status: string, timeoutMs = 15_000): Promise<ScreenState> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.screens.findIndex((s) => s.status === status);
      if (index >= 0) return this.screens.splice(0, index + 1)[index];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the till never showed "${status}"; it showed ${JSON.stringify(this.screens.map((s) => s.status))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** The customer's phone: the emulator's payer API beside the payer app. */
async function payerPost(payerAppUrl: string, action: 'scan' | 'pay' | 'decline', body: Record<string, unknown>): Promise<Response> {
  return fetch(new URL(`/payer/${action}`, payerAppUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function payerDoes(payerAppUrl: string, action: 'scan' | 'pay' | 'decline', body: Record<string, unknown>): Promise<void> {
  const response = await payerPost(payerAppUrl, action, body);
  assert.equal(response.status, 200, await response.text());
}

describeDemo('npm start (the demo launcher)', function () {
  this.timeout(120_000);
  let userDir: string;
  let launcher: Launcher | undefined;
  let urls: Urls;

  before(async function () {
    userDir = mkdtempSync(path.join(tmpdir(), 'seqr-demo-'));
    launcher = new Launcher(userDir);
    urls = await launcher.ready();
  });
  after(async function () {
    launcher?.kill();
    await launcher?.exited;
    rmSync(userDir, { recursive: true, force: true });
  });

  it('prints the editor, till, customer display and payer app URLs on free loopback ports, and nothing else on stdout', function () {
    assert.match(urls.editor, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(urls.till, `${urls.editor}dashboard/till`);
    assert.equal(urls.customerDisplay, `${urls.editor}dashboard/customer`);
    assert.match(urls.payerApp, /^http:\/\/127\.0\.0\.1:\d+\/app$/);
    assert.notEqual(new URL(urls.editor).port, '0');
    assert.equal(
      launcher?.stdout,
      `SEQR demo is running:\n  Editor:     ${urls.editor}\n  Till:       ${urls.till}\n  Customer:   ${urls.customerDisplay}\n  Payer app:  ${urls.payerApp}\nPress Ctrl-C to stop.\n`,
    );
  });

  it('serves the editor with this package and Dashboard 2.0 loaded, the till page and the payer app', async function () {
    const editor = await fetch(urls.editor);
    assert.equal(editor.status, 200);
    assert.match(await editor.text(), /Node-RED/);
    const modules = (await (await fetch(new URL('nodes', urls.editor), { headers: { accept: 'application/json' } })).json()) as Array<{ module: string; types: string[]; err?: string }>;
    const typesOf = (module: string) => modules.filter((set) => set.module === module && !set.err).flatMap((set) => set.types);
    assert.ok(typesOf('@seqr-flows/node-red-seqr').includes('seqr-payment-status'), 'the SEQR nodes from the checkout');
    assert.ok(typesOf('@flowfuse/node-red-dashboard').includes('ui-template'), 'Dashboard 2.0');
    const examples = (await (await fetch(new URL('library/examples/flows/@seqr-flows/node-red-seqr', urls.editor))).json()) as Array<{ fn?: string }>;
    assert.ok(examples.some((entry) => entry.fn === '20 Till dashboard'), 'the till is offered under Import ▸ Examples');

    const till = await fetch(urls.till);
    assert.equal(till.status, 200);
    assert.match(await till.text(), /<div id="app"/);
    const payerApp = await fetch(urls.payerApp);
    assert.equal(payerApp.status, 200);
    assert.match(payerApp.headers.get('content-type') ?? '', /^text\/html/);
  });

  it('deployed the till with its endpoint from the environment and the credentials encrypted, no password in flows.json', async function () {
    const flows = readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    assert.doesNotMatch(flows, new RegExp(PUBLIC_TEST_TERMINAL.password));
    const config = (JSON.parse(flows) as Array<Record<string, unknown>>).find((n) => n.type === 'seqr-config');
    assert.equal(config?.endpoint, '${SEQR_DEMO_ENDPOINT}');
    assert.equal(config?.credentials, undefined);
    const credentials = JSON.parse(readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(credentials), ['$'], 'encrypted with the credentialSecret of demo/settings.js');
    // What the editor gets for the config node: the terminal id, never the password.
    const safe = (await (await fetch(new URL(`credentials/seqr-config/${String(config?.id)}`, urls.editor))).json()) as Record<string, unknown>;
    assert.deepEqual(safe, { principalId: PUBLIC_TEST_TERMINAL.id, has_password: true, has_redisPassword: false });
    assert.doesNotMatch(launcher?.stderr ?? '', new RegExp(PUBLIC_TEST_TERMINAL.password), 'no password in the log');
  });

  it('answers Test connection on the till\'s own configuration, whose endpoint is ${SEQR_DEMO_ENDPOINT}, as the dialog posts it', async function () {
    const config = (JSON.parse(readFileSync(path.join(userDir, 'flows.json'), 'utf8')) as Array<Record<string, unknown>>).find((n) => n.type === 'seqr-config');
    assert.equal(config?.endpoint, '${SEQR_DEMO_ENDPOINT}');
    // The dialog's fields as they stand, the password shown as stored (the editor never has it).
    const fields = ['name', 'endpoint', 'timeout', 'maxAnswerKiB', 'principalType', 'userId', 'clientId', 'channel', 'appScheme', 'verifyServerCert', 'ca'];
    const settings = Object.fromEntries(fields.map((field) => [field, config?.[field] ?? '']));
    const response = await fetch(new URL(`seqr-config/${String(config?.id)}/test`, urls.editor), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ settings, credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } }),
    });
    const answer = await response.text();
    assert.equal(response.status, 200, answer);
    assert.doesNotMatch(answer, new RegExp(PUBLIC_TEST_TERMINAL.password));
  });

  it('takes a payment on the till: Charge, QR and deep link, the customer pays, PAID with the receipt; Cancel cancels', async function () {
    const till = new TillClient(urls.editor);
    try {
      await till.connect();
      const template = till.till().props?.format ?? '';
      for (const button of ['Charge', 'Cancel', 'New sale']) assert.match(template, new RegExp(`>${button}</button>`));

      till.charge('149.90');
      const waiting = await till.screen('Waiting for payment');
      assert.equal(waiting.amount, '149.90');
      assert.match(String(waiting.qr), /^data:image\/png;base64,/);
      assert.equal(waiting.deepLink, `SEQR://SEQR.SE/R${waiting.reference}`);
      await payerDoes(urls.payerApp, 'pay', { code: waiting.reference });
      const paid = await till.screen('Paid');
      assert.equal(paid.reference, waiting.reference);
      assert.match(String(paid.receipt), /TOTAL\s+149\.90 SEK/);
      till.click('New sale');
      await till.screen('Enter an amount and press Charge');

      // A loyalty card at the scan: Scanned, the flow acknowledges (updateInvoice), then the payment goes through.
      till.charge('60.00');
      const carded = await till.screen('Waiting for payment');
      await payerDoes(urls.payerApp, 'scan', { code: carded.reference, loyaltyToken: { id: 'CLUB_CARD', value: '4711', description: 'Club card' } });
      await till.screen('Scanned');
      // Paying before the till has acknowledged is refused (409): the acknowledgement takes a status poll or two.
      for (let tries = 0; (await payerPost(urls.payerApp, 'pay', { code: carded.reference })).status !== 200; tries++) {
        assert.ok(tries < 75, 'the till acknowledged the scan within 15 s');
        await pause(200);
      }
      assert.equal((await till.screen('Paid')).reference, carded.reference);
      till.click('New sale');

      till.charge('20.00');
      const next = await till.screen('Waiting for payment');
      till.click('Cancel');
      const cancelled = await till.screen('Cancelled');
      assert.equal(cancelled.reference, next.reference);
      assert.equal(cancelled.message, 'Cancelled at the till.');
    } finally {
      till.close();
    }
  });

  it('runs a loopback receipt printer that logs what it prints: the receipt, the cut, the drawer kick', async function () {
    const port = Number(/the receipt printer \(ESC\/POS capture\) listens on 127\.0\.0\.1:(\d+)/.exec(launcher?.stderr ?? '')?.[1]);
    assert.ok(port > 0, 'the log names the printer\'s port');
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.from([0x1b, 0x40, ...Buffer.from('TOTAL 12.50 SEK\n'), 0x1d, 0x56, 0x42, 0, 0x1b, 0x70, 0, 25, 250])));
      socket.on('error', reject);
      socket.on('close', () => resolve());
    });
    for (let tries = 0; !/\[printer\] \d+ bytes:\nTOTAL 12\.50 SEK\n--- partial cut ---\n\[drawer kick: pin 2, 50 ms\]/.test(launcher?.stderr ?? ''); tries++) {
      assert.ok(tries < 50, `the printout in the log:\n${launcher?.stderr.slice(-500)}`);
      await pause(100);
    }
  });

  it('stops on SIGINT: exit code 0, no process left, both ports free', async function () {
    const running = launcher as Launcher;
    assert.deepEqual(running.children(), [], 'the demo runs in one process');
    running.child.kill('SIGINT');
    assert.deepEqual(await running.exited, { code: 0, signal: null });
    assert.match(running.stderr, /SIGINT: stopping the SEQR demo/);
    assert.ok(await portIsFree(urls.editor), 'the editor port is free');
    assert.ok(await portIsFree(urls.payerApp), 'the emulator port is free');
    assert.throws(() => process.kill(running.child.pid as number, 0), /ESRCH/);
  });

  it('keeps the flows as the user left them on the next start (only a start without flows deploys the till)', async function () {
    const flowsFile = path.join(userDir, 'flows.json');
    const edited = (JSON.parse(readFileSync(flowsFile, 'utf8')) as Array<Record<string, unknown>>).map((n) => (n.type === 'tab' ? { ...n, label: 'My till' } : n));
    writeFileSync(flowsFile, JSON.stringify(edited));
    launcher = new Launcher(userDir);
    urls = await launcher.ready();
    const deployed = (await (await fetch(new URL('flows', urls.editor), { headers: { accept: 'application/json' } })).json()) as Array<Record<string, unknown>>;
    assert.deepEqual(deployed.filter((n) => n.type === 'tab').map((n) => n.label), ['My till']);
    // The kept flow follows the emulator to its new port.
    const till = new TillClient(urls.editor);
    try {
      await till.connect();
      till.charge('5.00');
      const waiting = await till.screen('Waiting for payment');
      await payerDoes(urls.payerApp, 'decline', { code: waiting.reference });
      assert.equal((await till.screen('Declined')).message, "Declined by the customer's bank.");
    } finally {
      till.close();
    }
    launcher.child.kill('SIGTERM');
    assert.deepEqual(await launcher.exited, { code: 0, signal: null });
  });
});

describeDemo('npm start when it cannot start', function () {
  this.timeout(60_000);
  let userDir: string;
  const taken = net.createServer();
  before(async function () {
    userDir = mkdtempSync(path.join(tmpdir(), 'seqr-demo-'));
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  after(async function () {
    await new Promise((resolve) => taken.close(resolve));
    rmSync(userDir, { recursive: true, force: true });
  });

  for (const variable of ['SEQR_DEMO_EMULATOR_PORT', 'SEQR_DEMO_EDITOR_PORT']) {
    it(`exits 1 naming ${variable} when its port is taken, printing no URLs`, async function () {
      const port = String((taken.address() as net.AddressInfo).port);
      const launcher = new Launcher(userDir, { [variable]: port });
      try {
        assert.deepEqual(await launcher.exited, { code: 1, signal: null });
        assert.match(launcher.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: it is in use\\. Set ${variable}`));
        assert.equal(launcher.stdout, '', 'no URLs');
      } finally {
        launcher.kill();
      }
    });
  }

  it('exits 1 on a port that is not a port', async function () {
    const launcher = new Launcher(userDir, { SEQR_DEMO_EDITOR_PORT: 'http' });
    try {
      assert.deepEqual(await launcher.exited, { code: 1, signal: null });
      assert.match(launcher.stderr, /SEQR_DEMO_EDITOR_PORT must be a TCP port \(0 for a free one\), not "http"/);
    } finally {
      launcher.kill();
    }
  });
});
