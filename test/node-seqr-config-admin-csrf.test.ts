import assert from 'node:assert/strict';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { closeServer, recordingEndpoint } from './helpers/loopback';
import { NodeRedProcess, TEST_ADMIN_AUTH } from './helpers/node-red-process';

/*
 * Issue 10, item 3, as an attacker tries it: a page on another site makes the visitor's browser post to the
 * seqr-config buttons' admin endpoints of a Node-RED on the visitor's machine, naming the attacker's endpoint
 * and asking for the stored password (__PWRD__) with a guessable config id. An HTML form can post urlencoded,
 * multipart or text/plain without asking anyone; each is refused (415) before anything is read, in a real
 * Node-RED with and without adminAuth, also with a valid token. JSON naming the attacker's endpoint (which
 * Node-RED's admin API lets through cross-origin: it answers every origin with Access-Control-Allow-Origin *)
 * is refused (400) because the stored password stays with its own endpoint. The attacker's endpoint, which
 * records every connection, hears nothing, and no answer or log line has the password. The dialog's own use
 * (its endpoint, the stored password) still works.
 */

/** A guessable id, like the examples' fixed ones. */
const CONFIG_ID = '5e9f0c0nf1900001';
const ENDPOINTS = ['test', 'register-terminal', 'assign-seqr-id'] as const;

/** The fields of a forged request, flat as a form carries them (`settings[endpoint]` is nested by Node-RED's urlencoded parser). */
function forgedFields(attackerUrl: string): Array<[string, string]> {
  return [
    ['settings[endpoint]', attackerUrl],
    ['settings[principalType]', 'TERMINALID'],
    ['settings[timeout]', '2000'],
    ['credentials[principalId]', PUBLIC_TEST_TERMINAL.id],
    ['credentials[password]', '__PWRD__'],
    ['reseller[id]', PUBLIC_TEST_RESELLER.id],
    ['reseller[password]', '__PWRD__'],
    ['externalTerminalId', 'attacker till'],
    ['name', 'attacker'],
    ['seqrId', 'ATTACKER1'],
  ];
}

/** The same request as JSON. */
function forgedJson(attackerUrl: string): Record<string, unknown> {
  return {
    settings: { endpoint: attackerUrl, principalType: 'TERMINALID', timeout: '2000' },
    credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' },
    reseller: { id: PUBLIC_TEST_RESELLER.id, password: '__PWRD__' },
    externalTerminalId: 'attacker till',
    name: 'attacker',
    seqrId: 'ATTACKER1',
  };
}

/** The bodies a cross-site HTML form can send: urlencoded, multipart and text/plain (the JSON-in-a-form trick). */
function formBodies(attackerUrl: string): Array<{ kind: string; body: BodyInit; contentType?: string }> {
  const fields = forgedFields(attackerUrl);
  const multipart = new FormData();
  for (const [key, value] of fields) multipart.append(key, value);
  return [
    { kind: 'urlencoded', body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' },
    // fetch sets multipart/form-data with its boundary itself.
    { kind: 'multipart', body: multipart },
    { kind: 'text/plain', body: `${JSON.stringify(forgedJson(attackerUrl)).slice(0, -1)},"x":"="}`, contentType: 'text/plain' },
  ];
}

for (const withAdminAuth of [false, true]) {
  describe(`seqr-config buttons against a cross-site attacker, ${withAdminAuth ? 'with' : 'without'} adminAuth (a real Node-RED)`, function () {
    this.timeout(30_000);
    let emu: EmulatorHandle;
    let red: NodeRedProcess;
    let attacker: Awaited<ReturnType<typeof recordingEndpoint>>;
    let token: string | undefined;
    const answers: string[] = [];

    async function post(path: string, body: BodyInit, headers: Record<string, string>): Promise<{ status: number; text: string }> {
      const response = await fetch(`${red.url}/seqr-config/${CONFIG_ID}/${path}`, {
        method: 'POST',
        // What a browser adds to a request a page on another site makes.
        headers: { origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site', ...headers },
        body,
      });
      const text = await response.text();
      answers.push(text);
      return { status: response.status, text };
    }

    before(async function () {
      emu = await startEmulator({ port: 0 });
      attacker = await recordingEndpoint();
      red = new NodeRedProcess({
        flows: [
          { id: 'tab1', type: 'tab', label: 'SEQR' },
          { id: CONFIG_ID, type: 'seqr-config', name: 'till', endpoint: emu.url, principalType: 'TERMINALID', userId: '9900', timeout: 5000, verifyServerCert: true, ca: '', appScheme: 'SEQR' },
        ],
        credentials: { [CONFIG_ID]: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } },
        settings: withAdminAuth ? { adminAuth: TEST_ADMIN_AUTH } : {},
      });
      await red.start();
      if (withAdminAuth) token = await red.token('admin');
    });
    after(async function () {
      await red?.dispose();
      if (attacker) await closeServer(attacker.server);
      await emu?.stop();
    });

    it('a form post (urlencoded, multipart, text/plain) to each endpoint: 415 before anything is read, also with a valid token', async function () {
      const asWho: Array<Record<string, string>> = withAdminAuth ? [{}, { authorization: `Bearer ${token}` }] : [{}];
      for (const path of ENDPOINTS) {
        for (const form of formBodies(attacker.url)) {
          for (const auth of asWho) {
            const answer = await post(path, form.body, { ...(form.contentType ? { 'content-type': form.contentType } : {}), ...auth });
            const who = 'authorization' in auth ? 'with a token' : 'without a token';
            assert.equal(answer.status, 415, `${path}, ${form.kind}, ${who}: ${answer.text}`);
            assert.match(JSON.parse(answer.text).error as string, /accept only JSON/);
          }
        }
      }
    });

    it('JSON naming the attacker with the stored password: refused (400, or 401 without a token under adminAuth)', async function () {
      for (const path of ['test', 'assign-seqr-id'] as const) {
        const body = JSON.stringify(forgedJson(attacker.url));
        const anonymous = await post(path, body, { 'content-type': 'application/json' });
        assert.equal(anonymous.status, withAdminAuth ? 401 : 400, `${path}: ${anonymous.text}`);
        if (!withAdminAuth) assert.match(JSON.parse(anonymous.text).error as string, /type the password/);
        if (withAdminAuth) {
          const admin = await post(path, body, { 'content-type': 'application/json', authorization: `Bearer ${token}` });
          assert.equal(admin.status, 400, `${path} with a token: ${admin.text}`);
          assert.equal(JSON.parse(admin.text).field, 'password');
        }
      }
    });

    it("the dialog's own use still works: its endpoint and the stored password", async function () {
      const dialog = {
        settings: { endpoint: emu.url, timeout: '5000', principalType: 'TERMINALID', userId: '9900', verifyServerCert: true, ca: '' },
        credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' },
      };
      const answer = await post('test', JSON.stringify(dialog), { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(JSON.parse(answer.text).ok, true);
    });

    it('the attacker received nothing, the stored credentials are unchanged, and no answer or log line has the password', async function () {
      assert.equal(attacker.connections(), 0, `the attacker's endpoint got ${JSON.stringify(attacker.received)}`);
      const stored = await fetch(`${red.url}/credentials/seqr-config/${CONFIG_ID}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      assert.deepEqual(await stored.json(), { principalId: PUBLIC_TEST_TERMINAL.id, has_password: true, has_redisPassword: false });
      assert.equal(answers.length, ENDPOINTS.length * 3 * (withAdminAuth ? 2 : 1) + 2 * (withAdminAuth ? 2 : 1) + 1, 'every answer checked');
      for (const text of [...answers, red.output]) assert.ok(!text.includes(PUBLIC_TEST_TERMINAL.password), `the password in ${text.slice(0, 300)}`);
    });
  });
}
