import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SeqrClient, buildInvoice } from '../src/seqr';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { LOOPBACK_CERT, closeServer, listen, recordingEndpoint, refusedUrl, tlsFront } from './helpers/loopback';
import { everythingLogged, helper, NODE_MODULES, TAB, type FlowNode } from './helpers/node-red';

/*
 * The seqr-config editor buttons' admin endpoints (src/nodes/seqr-config-admin.ts), called over HTTP the way
 * the editor calls them, against the emulator. The test helper's admin app has no adminAuth (needsPermission
 * lets every call through): test/node-seqr-config-admin-auth.test.ts checks the permission in a real Node-RED.
 */

const DEPLOYED = 'cfg';
/** The public test terminal's id and password as typed into the dialog. */
const PUBLIC_TEST_TERMINAL_CREDENTIALS = { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password };
/** A configuration the editor has open but that was never deployed: the runtime knows only its id. */
const UNDEPLOYED = '0123456789abcdef';

/** The dialog's settings as the editor posts them. */
function settings(endpoint: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'test SEQR', endpoint, timeout: '5000', principalType: 'TERMINALID', userId: '9900', clientId: '', channel: '', appScheme: 'SEQR', verifyServerCert: true, ca: '', ...extra };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('seqr-config editor buttons (admin endpoints)', function () {
  let emu: EmulatorHandle;
  let adminUrl = '';
  /** Every response body and everything logged during each test, for the secret check at the end. */
  const bodies: string[] = [];
  const logs: string[] = [];
  /** Every password the endpoints handled (the generated ones are read from the runtime's credentials). */
  const passwords = new Set<string>([PUBLIC_TEST_TERMINAL.password, PUBLIC_TEST_RESELLER.password]);
  // The test helper makes a new admin app on each load: the server hands each request to the current one.
  const adminServer = http.createServer((req, res) => (helper as unknown as { _httpAdmin: http.RequestListener })._httpAdmin(req, res));

  before(async function () {
    emu = await startEmulator({ port: 0 });
    await helper.startServer();
    await listen(adminServer);
    adminUrl = `http://127.0.0.1:${(adminServer.address() as AddressInfo).port}`;
  });
  after(async function () {
    adminServer.closeAllConnections();
    await closeServer(adminServer);
    await helper.stopServer();
    await emu.stop();
  });
  beforeEach(async function () {
    // A deployed terminal configuration with SEQR's public test terminal, and a node of another type.
    const flow: FlowNode[] = [TAB, { id: DEPLOYED, type: 'seqr-config', ...settings(emu.url) }, { id: 'other', type: 'helper', z: TAB.id }];
    await helper.load([NODE_MODULES.config], flow, { [DEPLOYED]: { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } });
  });
  afterEach(async function () {
    logs.push(everythingLogged());
    await helper.unload();
  });

  async function post(id: string, path: string, body: Record<string, unknown>): Promise<Answer> {
    const response = await fetch(`${adminUrl}/seqr-config/${id}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  function storedCredentials(id: string): { principalId?: string; password?: string } | undefined {
    const nodes = (helper as unknown as { _redNodes: { getCredentials(id: string): { principalId?: string; password?: string } | undefined } })._redNodes;
    return nodes.getCredentials(id);
  }

  function registration(id: string, reseller: Record<string, unknown> = { id: PUBLIC_TEST_RESELLER.id, userId: '9900', password: PUBLIC_TEST_RESELLER.password }) {
    return post(id, 'register-terminal', { settings: settings(emu.url), reseller, externalTerminalId: 'Store 1/Till 4', name: 'Test shop, till 4' });
  }

  describe('Test connection', function () {
    it('a deployed terminal configuration: the password shown as stored is the one Node-RED keeps', async function () {
      const answer = await post(DEPLOYED, 'test', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.ok, true);
      assert.equal(answer.body.principalType, 'TERMINALID');
      assert.equal(answer.body.operation, 'getPaymentStatus');
      assert.match(String(answer.body.message), /accepted terminal public_test_shop_terminal/);
    });

    it('the settings in the dialog, not the deployed ones: another endpoint and a typed reseller password', async function () {
      const answer = await post(UNDEPLOYED, 'test', {
        settings: settings(emu.url, { principalType: 'RESELLERUSER' }),
        credentials: { principalId: PUBLIC_TEST_RESELLER.id, password: PUBLIC_TEST_RESELLER.password },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.body.principalType, 'RESELLERUSER');
      assert.equal(answer.body.operation, 'executeReport');
    });

    it("a wrong password, an unknown terminal or reseller: 502 with SEQR's code and name", async function () {
      const wrong = await post(DEPLOYED, 'test', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: 'not-the-password' } });
      assert.equal(wrong.status, 502);
      assert.equal(wrong.body.code, 20);
      assert.equal(wrong.body.codeName, 'AUTHENTICATION_FAILED');
      assert.match(String(wrong.body.error), /20 AUTHENTICATION_FAILED/);
      assert.ok(!String(wrong.body.error).includes('not-the-password'));

      const unknown = await post(DEPLOYED, 'test', { settings: settings(emu.url), credentials: { principalId: 'no_such_terminal', password: '__PWRD__' } });
      assert.equal(unknown.status, 502);
      assert.equal(unknown.body.code, 29);
      assert.equal(unknown.body.codeName, 'INVALID_INITIATOR_PRINCIPAL_ID');

      const reseller = await post(DEPLOYED, 'test', { settings: settings(emu.url, { principalType: 'RESELLERUSER' }), credentials: { principalId: 'no_such_shop', password: 'x1234y' } });
      assert.equal(reseller.status, 502);
      assert.equal(reseller.body.code, 37);
    });

    it('SEQR unreachable: 502 naming the failure; a setting that makes no client: 400 naming it', async function () {
      // Another endpoint than the deployed one: the password is typed (the stored one stays with its endpoint).
      const refused = await post(DEPLOYED, 'test', { settings: settings(await refusedUrl()), credentials: PUBLIC_TEST_TERMINAL_CREDENTIALS });
      assert.equal(refused.status, 502);
      assert.equal(refused.body.kind, 'refused');
      assert.match(String(refused.body.error), /refused/);

      const bad = await post(DEPLOYED, 'test', { settings: settings(`${emu.url}?wsdl`), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'endpoint');
      assert.match(String(bad.body.error), /\?wsdl/);

      // An undeployed configuration has no stored password: the placeholder finds nothing.
      const none = await post(UNDEPLOYED, 'test', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } });
      assert.equal(none.status, 400);
      assert.equal(none.body.field, 'password');
    });

    it("the dialog's TLS settings: an untrusted certificate fails (kind tls), a pasted CA or no check passes", async function () {
      const front = await tlsFront(emu.port);
      try {
        const endpoint = `${front.origin}${new URL(emu.url).pathname}`;
        const dialog = (tls: Record<string, unknown>) => ({ settings: settings(endpoint, tls), credentials: PUBLIC_TEST_TERMINAL_CREDENTIALS });
        const untrusted = await post(DEPLOYED, 'test', dialog({}));
        assert.equal(untrusted.status, 502);
        assert.equal(untrusted.body.kind, 'tls');
        assert.equal((await post(DEPLOYED, 'test', dialog({ ca: LOOPBACK_CERT }))).status, 200);
        assert.equal((await post(DEPLOYED, 'test', dialog({ verifyServerCert: false }))).status, 200);
      } finally {
        await closeServer(front.server);
      }
    });

    it('refuses an id that is not a SEQR configuration (404): its credentials are never used', async function () {
      const answer = await post('other', 'test', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' } });
      assert.equal(answer.status, 404);
      assert.match(String(answer.body.error), /No SEQR configuration/);
    });
  });

  describe('the stored password goes only where it was stored for', function () {
    /** Loads the deployed configuration with other settings (the terminal's stored credentials as before). */
    async function redeploy(extra: Record<string, unknown>, password: string = PUBLIC_TEST_TERMINAL.password): Promise<void> {
      await helper.unload();
      const flow: FlowNode[] = [TAB, { id: DEPLOYED, type: 'seqr-config', ...settings(emu.url), ...extra }];
      await helper.load([NODE_MODULES.config], flow, { [DEPLOYED]: { principalId: PUBLIC_TEST_TERMINAL.id, password } });
    }
    const stored = { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' };

    it('another endpoint with the password shown as stored: 400 asking for the password, and that endpoint receives nothing', async function () {
      const attacker = await recordingEndpoint();
      try {
        for (const [path, extra] of [['test', {}], ['assign-seqr-id', { seqrId: 'NRATTACK1' }]] as const) {
          const answer = await post(DEPLOYED, path, { settings: settings(attacker.url), credentials: stored, ...extra });
          assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.field, 'password');
          assert.match(String(answer.body.error), /only used with the endpoint and certificate settings it was saved with.*type the password/);
        }
        // The same endpoint spelt another way is the same destination.
        const respelt = emu.url.replace('/soap/', '/soap/./');
        assert.notEqual(respelt, emu.url);
        assert.equal((await post(DEPLOYED, 'test', { settings: settings(respelt), credentials: stored })).status, 200);
        // With the password typed, the dialog may try any endpoint.
        const typed = await post(DEPLOYED, 'test', { settings: settings(attacker.url), credentials: { principalId: 'someone', password: 'typed-here-1' } });
        assert.equal(typed.status, 502);
        assert.equal(attacker.received.length, 1);
        assert.match(attacker.received[0].body, /typed-here-1/);
        assert.ok(!attacker.received[0].body.includes(PUBLIC_TEST_TERMINAL.password), 'and nothing stored');
      } finally {
        await closeServer(attacker.server);
      }
    });

    it('https: the certificate check turned off or another CA needs the password typed; the deployed TLS settings use the stored one', async function () {
      const front = await tlsFront(emu.port);
      try {
        const endpoint = `${front.origin}${new URL(emu.url).pathname}`;
        await redeploy({ endpoint, ca: LOOPBACK_CERT });
        assert.equal((await post(DEPLOYED, 'test', { settings: settings(endpoint, { ca: LOOPBACK_CERT }), credentials: stored })).status, 200);
        for (const tls of [{ ca: LOOPBACK_CERT, verifyServerCert: false }, { ca: '' }]) {
          const answer = await post(DEPLOYED, 'test', { settings: settings(endpoint, tls), credentials: stored });
          assert.equal(answer.status, 400, JSON.stringify(tls));
          assert.equal(answer.body.field, 'password');
        }
        const typed = await post(DEPLOYED, 'test', { settings: settings(endpoint, { verifyServerCert: false }), credentials: PUBLIC_TEST_TERMINAL_CREDENTIALS });
        assert.equal(typed.status, 200);
      } finally {
        await closeServer(front.server);
      }
    });

    it('${NAME} endpoints compare as the runtime resolved them when it deployed the node', async function () {
      const attacker = await recordingEndpoint();
      const name = 'SEQR_ADMIN_TEST_ENDPOINT';
      process.env[name] = emu.url;
      try {
        await redeploy({ endpoint: `\${${name}}` });
        assert.equal((await post(DEPLOYED, 'test', { settings: settings(`\${${name}}`), credentials: stored })).status, 200, 'as the dialog shows it');
        assert.equal((await post(DEPLOYED, 'test', { settings: settings(emu.url), credentials: stored })).status, 200, 'the same URL written out');
        // The variable now names another server; the deployed node still sends its password to the first one.
        process.env[name] = attacker.url;
        const moved = await post(DEPLOYED, 'test', { settings: settings(`\${${name}}`), credentials: stored });
        assert.equal(moved.status, 400);
        assert.equal(moved.body.field, 'password');
        assert.equal(attacker.connections(), 0, 'the other server heard nothing');

        // A password stored as ${NAME}: the placeholder means the password the runtime resolved, not the text.
        process.env[name] = emu.url;
        process.env.SEQR_ADMIN_TEST_PASSWORD = PUBLIC_TEST_TERMINAL.password;
        await redeploy({ endpoint: `\${${name}}` }, '${SEQR_ADMIN_TEST_PASSWORD}');
        assert.equal((await post(DEPLOYED, 'test', { settings: settings(`\${${name}}`), credentials: stored })).status, 200, 'the resolved password');
      } finally {
        delete process.env.SEQR_ADMIN_TEST_PASSWORD;
        delete process.env[name];
        await closeServer(attacker.server);
      }
    });

    it("Register terminal's password, not yet deployed, goes only to the endpoint the terminal was registered at", async function () {
      const attacker = await recordingEndpoint();
      try {
        const answer = await registration(UNDEPLOYED);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        passwords.add(storedCredentials(UNDEPLOYED)?.password ?? '');
        const terminal = { principalId: String(answer.body.terminalId), password: '__PWRD__' };
        const elsewhere = await post(UNDEPLOYED, 'test', { settings: settings(attacker.url), credentials: terminal });
        assert.equal(elsewhere.status, 400);
        assert.equal(elsewhere.body.field, 'password');
        assert.equal((await post(UNDEPLOYED, 'test', { settings: settings(emu.url), credentials: terminal })).status, 200);
        assert.equal(attacker.connections(), 0);
      } finally {
        await closeServer(attacker.server);
      }
    });
  });

  describe('Register terminal and Assign SEQR ID', function () {
    it('registers a terminal with a generated password kept on the server, which then works as that terminal', async function () {
      const answer = await registration(UNDEPLOYED);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body), ['terminalId'], 'the terminal id and nothing else');
      const terminalId = String(answer.body.terminalId);
      assert.match(terminalId, /^[0-9a-f]{32}$/);

      const stored = storedCredentials(UNDEPLOYED);
      assert.equal(stored?.principalId, terminalId);
      const password = stored?.password ?? '';
      passwords.add(password);
      assert.match(password, /^[A-Z2-7]{30}$/, 'a 150-bit base-32 password');
      const again = await registration('fedcba9876543210');
      passwords.add(storedCredentials('fedcba9876543210')?.password ?? '');
      assert.notEqual(storedCredentials('fedcba9876543210')?.password, password, 'a new password for each terminal');
      assert.notEqual(again.body.terminalId, terminalId);

      // The dialog now shows the new terminal with the password as stored: Test connection passes.
      const test = await post(UNDEPLOYED, 'test', { settings: settings(emu.url), credentials: { principalId: terminalId, password: '__PWRD__' } });
      assert.equal(test.status, 200, JSON.stringify(test.body));

      // Assign SEQR ID as the new terminal; a payer scanning that sticker gets the terminal's invoice.
      const assigned = await post(UNDEPLOYED, 'assign-seqr-id', { settings: settings(emu.url), credentials: { principalId: terminalId, password: '__PWRD__' }, seqrId: 'NRTEST4711' });
      assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
      assert.deepEqual(assigned.body, { seqrId: 'NRTEST4711', terminalId });
      const till = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', id: terminalId, password } });
      try {
        const { invoiceReference } = await till.sendInvoice(buildInvoice('12.50', { currency: 'SEK', title: 'Coffee' }));
        const scanned = await emu.payer.scan('HTTP://SEQR.SE/QNRTEST4711');
        assert.equal(scanned.invoiceReference, invoiceReference);
      } finally {
        till.close();
      }

      // The sticker is taken: another terminal gets 53.
      const taken = await post(DEPLOYED, 'assign-seqr-id', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' }, seqrId: 'NRTEST4711' });
      assert.equal(taken.status, 502);
      assert.equal(taken.body.code, 53);
      assert.equal(taken.body.codeName, 'INVALID_SEQR_ID');
    });

    it('registers for a deployed configuration too, keeping its credentials until the next deploy replaces the node', async function () {
      const answer = await registration(DEPLOYED);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const stored = storedCredentials(DEPLOYED);
      passwords.add(stored?.password ?? '');
      assert.equal(stored?.principalId, answer.body.terminalId);
    });

    it('a wrong reseller password: 502 with code 20, nothing stored; missing inputs, a bad sticker number, a sticker for a reseller: 400', async function () {
      const wrong = await registration(UNDEPLOYED, { id: PUBLIC_TEST_RESELLER.id, userId: '9900', password: 'wrong-reseller-pw' });
      assert.equal(wrong.status, 502);
      assert.equal(wrong.body.code, 20);
      assert.ok(!JSON.stringify(wrong.body).includes('wrong-reseller-pw'));
      assert.equal(storedCredentials(UNDEPLOYED), undefined);

      const noPassword = await registration(UNDEPLOYED, { id: PUBLIC_TEST_RESELLER.id, userId: '9900' });
      assert.equal(noPassword.status, 400);
      assert.equal(noPassword.body.field, 'resellerPassword');
      assert.match(String(noPassword.body.error), /Reseller password is missing/);

      const noName = await post(UNDEPLOYED, 'register-terminal', { settings: settings(emu.url), reseller: { id: 'public_test_shop', password: '1234' }, externalTerminalId: 'Till 9' });
      assert.equal(noName.status, 400);
      assert.equal(noName.body.field, 'name');

      const badSticker = await post(DEPLOYED, 'assign-seqr-id', { settings: settings(emu.url), credentials: { principalId: PUBLIC_TEST_TERMINAL.id, password: '__PWRD__' }, seqrId: 'NR 12/3' });
      assert.equal(badSticker.status, 400);
      assert.equal(badSticker.body.field, 'seqrId');

      const asReseller = await post(DEPLOYED, 'assign-seqr-id', { settings: settings(emu.url, { principalType: 'RESELLERUSER' }), credentials: { principalId: PUBLIC_TEST_RESELLER.id, password: PUBLIC_TEST_RESELLER.password }, seqrId: 'NR123' });
      assert.equal(asReseller.status, 400);
      assert.equal(asReseller.body.field, 'principalType');
      assert.match(String(asReseller.body.error), /choose Log in as terminal/);
    });

    it('never writes credentials onto a node of another type', async function () {
      const answer = await registration('other');
      assert.equal(answer.status, 404);
      assert.equal(storedCredentials('other'), undefined);
    });
  });

  // In a describe of its own so that it runs after the others (mocha runs a describe's own tests first).
  describe('afterwards', function () {
    it('no password in any answer or anything logged', function () {
      assert.ok(bodies.length >= 15, `${bodies.length} answers checked`);
      const logged = logs.join('\n');
      for (const password of passwords) {
        assert.ok(password.length >= 4);
        // The public reseller's "1234" also occurs inside numbers (ports, references): look for it on its own.
        const pattern = new RegExp(`(^|[^0-9A-Za-z])${password}([^0-9A-Za-z]|$)`);
        for (const body of bodies) assert.ok(!pattern.test(body), `a password in ${body}`);
        assert.ok(!pattern.test(logged), 'a password in the log');
      }
    });
  });
});
