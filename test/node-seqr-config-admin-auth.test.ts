import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { NodeRedProcess, TEST_ADMIN_AUTH } from './helpers/node-red-process';

/*
 * The seqr-config buttons' admin endpoints in a real Node-RED (the CLI, as users run it) with adminAuth on:
 * they refuse a caller without a token and one whose user may only read (401), and serve a user with write
 * permission, whose token comes from /auth/token as the editor gets it. Then the editor's whole round trip:
 * Register terminal, deploy the dialog as the editor does (new terminal id, password left as stored), and the
 * deployed configuration works with the generated password, which the editor never sees.
 */

const CONFIG_ID = 'a1b2c3d4e5f60718';

describe('seqr-config editor buttons with adminAuth (a real Node-RED)', function () {
  this.timeout(30_000);
  let emu: EmulatorHandle;
  let red: NodeRedProcess;
  const tokens: Record<string, string> = {};
  const bodies: string[] = [];
  let generatedPassword = '';

  function dialog(extra: Record<string, unknown> = {}) {
    return { settings: { endpoint: emu.url, timeout: '5000', principalType: 'TERMINALID', userId: '9900', verifyServerCert: true, ca: '' }, ...extra };
  }

  async function call(method: string, url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${red.url}${url}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  }

  before(async function () {
    emu = await startEmulator({ port: 0 });
    red = new NodeRedProcess({
      flows: [
        { id: 'tab1', type: 'tab', label: 'SEQR' },
        { id: CONFIG_ID, type: 'seqr-config', name: 'till', endpoint: emu.url, principalType: 'TERMINALID', userId: '9900', timeout: 5000, verifyServerCert: true, ca: '', appScheme: 'SEQR' },
      ],
      credentials: { [CONFIG_ID]: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } },
      settings: { adminAuth: TEST_ADMIN_AUTH },
    });
    await red.start();
    tokens.admin = await red.token('admin');
    tokens.viewer = await red.token('viewer');
  });
  after(async function () {
    await red?.dispose();
    await emu?.stop();
  });

  it('401 without a token, and for a user who may only read', async function () {
    for (const endpoint of ['test', 'register-terminal', 'assign-seqr-id']) {
      const anonymous = await call('POST', `/seqr-config/${CONFIG_ID}/${endpoint}`, undefined, dialog());
      assert.equal(anonymous.status, 401, `${endpoint} without a token`);
      const reader = await call('POST', `/seqr-config/${CONFIG_ID}/${endpoint}`, tokens.viewer, dialog());
      assert.equal(reader.status, 401, `${endpoint} for a reader`);
    }
    // The reader's token itself is good: it reads the flows.
    assert.equal((await call('GET', '/flows', tokens.viewer)).status, 200);
  });

  it('serves a user with write permission: Test connection with the password Node-RED keeps', async function () {
    const answer = await call('POST', `/seqr-config/${CONFIG_ID}/test`, tokens.admin, dialog({ credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } }));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json().ok, true);
  });

  it('Register terminal, then the editor deploys the dialog: the configuration works as the new terminal', async function () {
    const registered = await call('POST', `/seqr-config/${CONFIG_ID}/register-terminal`, tokens.admin, {
      ...dialog(),
      reseller: { id: PUBLIC_TEST_RESELLER.id, userId: PUBLIC_TEST_RESELLER.userId, password: PUBLIC_TEST_RESELLER.password },
      externalTerminalId: 'Store 1/Till 2',
      name: 'Auth test till',
    });
    assert.equal(registered.status, 200, registered.text);
    const terminalId = String(registered.json().terminalId);
    assert.match(terminalId, /^[0-9a-f]{32}$/);

    // What the editor deploys after the button: the new terminal id; the password field holds the placeholder,
    // so no password is sent and the runtime keeps the one the endpoint stored.
    const current = (await call('GET', '/flows', tokens.admin, undefined, { 'Node-RED-API-Version': 'v2' })).json() as { rev: string; flows: Array<Record<string, unknown>> };
    const flows = current.flows.map((n) => (n.id === CONFIG_ID ? { ...n, credentials: { principalId: terminalId } } : n));
    const deployed = await call('POST', '/flows', tokens.admin, { rev: current.rev, flows }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' });
    assert.equal(deployed.status, 200, deployed.text);

    const saved = JSON.parse(readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8')) as Record<string, { principalId: string; password: string }>;
    assert.equal(saved[CONFIG_ID].principalId, terminalId, 'the deploy saved the new terminal id');
    generatedPassword = saved[CONFIG_ID].password;
    assert.match(generatedPassword, /^[A-Z2-7]{30}$/, 'and the generated password');

    const test = await call('POST', `/seqr-config/${CONFIG_ID}/test`, tokens.admin, dialog({ credentials: { principalId: terminalId, password: '__PWRD__' } }));
    assert.equal(test.status, 200, test.text);
    const assigned = await call('POST', `/seqr-config/${CONFIG_ID}/assign-seqr-id`, tokens.admin, dialog({ credentials: { principalId: terminalId, password: '__PWRD__' }, seqrId: 'AUTHTEST1' }));
    assert.equal(assigned.status, 200, assigned.text);

    // The editor learns that a password is set, never the password.
    const editorView = await call('GET', `/credentials/seqr-config/${CONFIG_ID}`, tokens.admin);
    assert.deepEqual(editorView.json(), { principalId: terminalId, has_password: true, has_redisPassword: false });
  });

  it('no password in any answer or in what Node-RED logged', function () {
    assert.ok(generatedPassword !== '');
    for (const password of [generatedPassword, PUBLIC_TEST_TERMINAL.password, PUBLIC_TEST_RESELLER.password]) {
      const pattern = new RegExp(`(^|[^0-9A-Za-z])${password}([^0-9A-Za-z]|$)`);
      for (const body of bodies) assert.ok(!pattern.test(body), `a password in ${body}`);
      assert.ok(!pattern.test(red.output), 'a password in the log');
    }
  });
});
