import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { buildInvoice, DEFAULT_CLIENT_ID, type SeqrClient, type SeqrTransportError } from '../src/seqr';
import type { SeqrConfigNode } from '../src/nodes/config-types';
import type { SeqrConfigError } from '../src/nodes/node-errors';
import { helper, NODE_MODULES, TAB, callsOf, everythingLogged, type FlowNode, type TestNode } from './helpers/node-red';
import { LOOPBACK_CERT, Servers, closeServer, envelope, failure, tlsFront } from './helpers/loopback';

const TERMINAL = { id: 'node-config-terminal', password: 'Cfg-pw-9f3Kq' };
const RESELLER = { id: 'public_test_shop', password: '1234' };

function configNode(settings: Record<string, unknown> = {}): FlowNode {
  return { id: 'cfg', type: 'seqr-config', name: 'test SEQR', ...settings };
}

/** Two nodes that stand in for SEQR nodes: they acquire the client and release it when they close. */
const USERS: FlowNode[] = [
  { id: 'u1', type: 'helper', z: 'tab1' },
  { id: 'u2', type: 'helper', z: 'tab1' },
];

describe('seqr-config node', function () {
  let emulator: EmulatorHandle;

  before(async function () {
    emulator = await startEmulator({ port: 0, terminals: [{ ...TERMINAL, type: 'webshop' }] });
    await helper.startServer();
  });

  after(async function () {
    await helper.stopServer();
    await emulator.stop();
  });

  afterEach(async function () {
    await helper.unload();
  });

  async function load(settings: Record<string, unknown>, credentials: Record<string, unknown> | undefined): Promise<SeqrConfigNode> {
    await helper.load([NODE_MODULES.config], [TAB, configNode({ endpoint: emulator.url, ...settings }), ...USERS], credentials ? { cfg: credentials } : {});
    return helper.getNode('cfg') as unknown as SeqrConfigNode;
  }

  function user(id: string): TestNode & Parameters<SeqrConfigNode['acquire']>[0] {
    return helper.getNode(id) as unknown as TestNode & Parameters<SeqrConfigNode['acquire']>[0];
  }

  /** Acquires the client for a stand-in user that releases it when it closes, as SEQR nodes do. */
  function acquire(config: SeqrConfigNode, id: string, principal?: Parameters<SeqrConfigNode['acquire']>[1]): SeqrClient {
    const node = user(id);
    const client = config.acquire(node, principal);
    node.once('close', () => config.release(node));
    return client;
  }

  async function sendOneInvoice(client: SeqrClient): Promise<string> {
    const sent = await client.sendInvoice(buildInvoice('12.50', { currency: 'SEK', title: 'config test' }));
    return sent.invoiceReference;
  }

  it('gives every user the same client, which reaches SEQR with the credentials and the defaults', async function () {
    const config = await load({}, { principalId: TERMINAL.id, password: TERMINAL.password });
    assert.equal(config.problem, undefined);
    const first = acquire(config, 'u1');
    const second = acquire(config, 'u2');
    assert.equal(first, second);
    assert.equal(first.principalType, 'TERMINALID');
    assert.equal(first.principalId, TERMINAL.id);
    assert.equal(first.clientId, DEFAULT_CLIENT_ID);
    assert.equal(first.channel, 'WS');
    assert.equal(first.timeoutMs, 10_000);
    assert.equal(first.maxAnswerBytes, 4 * 1024 * 1024, 'a flow without the setting gets the 4 MiB default');
    assert.equal(config.appScheme, 'SEQR');
    const reference = await sendOneInvoice(first);
    assert.equal((await second.getPaymentStatus(reference, 0)).status, 'ISSUED');
  });

  it('keeps the id and password as credentials (never in the exported flow), the passwords of SEQR and of Redis as passwords', async function () {
    await load({}, { principalId: TERMINAL.id, password: TERMINAL.password });
    const runtime = (helper as unknown as { _redNodes: { getCredentialDefinition(type: string): unknown } })._redNodes;
    assert.deepEqual(runtime.getCredentialDefinition('seqr-config'), { principalId: { type: 'text' }, password: { type: 'password' }, redisPassword: { type: 'password' } });
    assert.equal(helper.getNode('cfg').credentials?.password, TERMINAL.password);
  });

  it('passes client id, channel and timeout on to the client', async function () {
    const config = await load(
      { clientId: 'Till 7 v2', channel: 'POS-WS', timeout: '2500', appScheme: 'SEQR-DEMO' },
      { principalId: TERMINAL.id, password: TERMINAL.password },
    );
    const client = acquire(config, 'u1');
    assert.equal(client.clientId, 'Till 7 v2');
    assert.equal(client.channel, 'POS-WS');
    assert.equal(client.timeoutMs, 2500);
    assert.equal(config.appScheme, 'SEQR-DEMO');
    await sendOneInvoice(client);
  });

  it('refuses answers over its largest answer (KiB) with a too-large error, and reads those within it', async function () {
    // A loopback SEQR that answers every status call with a valid answer of 20 KiB.
    const answer = envelope(
      '<ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return><resultCode>0</resultCode>' +
        '<resultDescription>SUCCESS</resultDescription><status>ISSUED</status><version>1</version></return></ns2:getPaymentStatusResponse>',
    );
    const servers = new Servers();
    try {
      const { url } = await servers.http((request, response) => {
        request.resume();
        response.end(answer + ' '.repeat(20 * 1024 - Buffer.byteLength(answer)));
      });
      const small = acquire(await load({ endpoint: url, maxAnswerKiB: '16' }, { principalId: TERMINAL.id, password: TERMINAL.password }), 'u1');
      assert.equal(small.maxAnswerBytes, 16 * 1024);
      const error = await failure<SeqrTransportError>(small.getPaymentStatus('1', 0));
      assert.equal(error.kind, 'too-large', error.message);
      assert.equal(error.retryable, true);
      await helper.unload();
      const large = acquire(await load({ endpoint: url, maxAnswerKiB: 32 }, { principalId: TERMINAL.id, password: TERMINAL.password }), 'u1');
      assert.equal((await large.getPaymentStatus('1', 0)).status, 'ISSUED');
    } finally {
      await servers.stopAll();
    }
  });

  it('closes the client after the last user releases it, and opens a new one for the next user', async function () {
    const config = await load({}, { principalId: TERMINAL.id, password: TERMINAL.password });
    const client = acquire(config, 'u1');
    acquire(config, 'u2');
    config.release(user('u1'));
    await sendOneInvoice(client);
    config.release(user('u2'));
    const closed = await failure<SeqrTransportError>(client.getPaymentStatus('1', 0));
    assert.equal(closed.name, 'SeqrTransportError');
    assert.equal(closed.kind, 'closed');
    const next = acquire(config, 'u1');
    assert.notEqual(next, client);
    await sendOneInvoice(next);
  });

  it('on redeploy keeps the client open until its users have released it, then closes it', async function () {
    const config = await load({}, { principalId: TERMINAL.id, password: TERMINAL.password });
    const u1 = user('u1');
    const client = config.acquire(u1);
    let lateCall: Promise<string> | undefined;
    // Like a node finishing a sendInvoice while Node-RED stops it: the call still goes through.
    u1.on('close', () => {
      lateCall = sendOneInvoice(client).finally(() => config.release(u1));
    });
    const credentials = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
    await helper.setFlows([TAB, configNode({ endpoint: emulator.url, channel: 'redeployed' }), ...USERS], 'full', credentials);
    assert.ok(lateCall, 'the user was closed');
    assert.match(await lateCall, /^\d+$/);
    assert.equal((await failure<SeqrTransportError>(client.getPaymentStatus('1', 0))).kind, 'closed');
    const redeployed = helper.getNode('cfg') as unknown as SeqrConfigNode;
    assert.notEqual(redeployed, config);
    assert.equal(acquire(redeployed, 'u1').channel, 'redeployed');
  });

  it('logs in as a reseller (user id 9900 by default) and derives terminal clients that close with their user', async function () {
    const config = await load({ principalType: 'RESELLERUSER' }, { principalId: RESELLER.id, password: RESELLER.password });
    assert.equal(config.principalType, 'RESELLERUSER');
    const reseller = acquire(config, 'u1');
    assert.equal(reseller.principalType, 'RESELLERUSER');
    const period = await reseller.markTransactionPeriod();
    assert.match(period.transactionPeriodId, /^\d+$/);

    const { terminalId } = await reseller.registerTerminal('till-7', 'Till-pw-7x', 'Till 7');
    const terminal = acquire(config, 'u2', { type: 'TERMINALID', id: terminalId, password: 'Till-pw-7x' });
    assert.equal(terminal.principalType, 'TERMINALID');
    await sendOneInvoice(terminal);
    config.release(user('u2'));
    assert.equal((await failure<SeqrTransportError>(terminal.getPaymentStatus('1', 0))).kind, 'closed');
    // The reseller's client belongs to u1 and stays open.
    await reseller.markTransactionPeriod();
  });

  describe('settings that cannot work', function () {
    const cases: Array<{ title: string; settings: Record<string, unknown>; credentials?: Record<string, unknown>; field: string; says: RegExp }> = [
      { title: 'no password', settings: {}, credentials: { principalId: TERMINAL.id }, field: 'password', says: /password is missing.*enter the password under Credentials/ },
      { title: 'no credentials at all', settings: {}, credentials: undefined, field: 'principalId', says: /terminal id is missing.*enter the terminal id/ },
      {
        title: 'a reseller without its id',
        settings: { principalType: 'RESELLERUSER' },
        credentials: { password: RESELLER.password },
        field: 'principalId',
        says: /reseller id is missing/,
      },
      { title: 'an endpoint that is no URL', settings: { endpoint: 'seqr server' }, field: 'endpoint', says: /not an http:\/\/ or https:\/\/ URL/ },
      { title: 'an endpoint that is not http(s)', settings: { endpoint: 'ftp://seqr.example/soap' }, field: 'endpoint', says: /not an http:\/\/ or https:\/\/ URL/ },
      { title: 'an endpoint ending in ?wsdl', settings: { endpoint: 'http://127.0.0.1:1/soap?wsdl' }, field: 'endpoint', says: /remove \?wsdl/ },
      { title: 'a timeout of 5 ms', settings: { timeout: '5' }, field: 'timeout', says: /whole number of milliseconds from 100 to 120000/ },
      { title: 'a largest answer of 8 KiB', settings: { maxAnswerKiB: '8' }, field: 'maxAnswerKiB', says: /whole number of KiB from 16 to 262144.*4096 is the default/ },
      { title: 'a largest answer that is no number', settings: { maxAnswerKiB: 'lots' }, field: 'maxAnswerKiB', says: /whole number of KiB/ },
      { title: 'a channel over 40 characters', settings: { channel: 'x'.repeat(41) }, field: 'channel', says: /longer than 40 characters/ },
      { title: 'a CA that is not PEM', settings: { endpoint: 'https://127.0.0.1:1/soap', ca: 'not a certificate' }, field: 'ca', says: /not a PEM certificate/ },
      { title: 'an app scheme that is not a scheme', settings: { appScheme: 'seqr app' }, field: 'appScheme', says: /not a URL scheme/ },
    ];
    for (const { title, settings, credentials, field, says } of cases) {
      it(`${title}: logged once naming ${field} and the fix; acquire throws`, async function () {
        const config = await load(settings, credentials ?? (field === 'principalId' ? undefined : { principalId: TERMINAL.id, password: TERMINAL.password }));
        assert.equal(config.problem?.field, field);
        assert.match(config.problem!.message, /^SEQR configuration "test SEQR": /);
        assert.match(config.problem!.message, says);
        assert.match(config.problem!.message, /Open the configuration/);
        assert.ok(config.problem!.status.length <= 20, config.problem!.status);
        const logged = callsOf(helper.getNode('cfg'), 'error').map((args) => String(args[0]));
        assert.deepEqual(logged, [config.problem!.message]);
        assert.throws(() => config.acquire(user('u1')), (err: SeqrConfigError) => err.name === 'SeqrConfigError' && err.field === field);
        assert.ok(!everythingLogged().includes(TERMINAL.password));
      });
    }
  });

  describe('TLS', function () {
    let tlsUrl: string;
    let proxy: tls.Server;

    before(async function () {
      // A TLS front for the emulator with the test certificate (self-signed for 127.0.0.1).
      const front = await tlsFront(emulator.port);
      proxy = front.server;
      tlsUrl = `${front.origin}${new URL(emulator.url).pathname}`;
    });

    after(async function () {
      await closeServer(proxy);
    });

    const credentials = { principalId: TERMINAL.id, password: TERMINAL.password };

    it('checks the certificate by default: an untrusted server fails with kind tls', async function () {
      const config = await load({ endpoint: tlsUrl }, credentials);
      const err = await failure<SeqrTransportError>(sendOneInvoice(acquire(config, 'u1')));
      assert.equal(err.name, 'SeqrTransportError');
      assert.equal(err.kind, 'tls');
    });

    it('trusts the CA pasted into the configuration', async function () {
      const config = await load({ endpoint: tlsUrl, ca: LOOPBACK_CERT }, credentials);
      assert.match(await sendOneInvoice(acquire(config, 'u1')), /^\d+$/);
    });

    it('skips the check only when told to', async function () {
      const config = await load({ endpoint: tlsUrl, verifyServerCert: false }, credentials);
      assert.match(await sendOneInvoice(acquire(config, 'u1')), /^\d+$/);
    });
  });
});
