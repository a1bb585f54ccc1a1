import assert from 'node:assert/strict';
import * as path from 'node:path';
import { helper, NODE_MODULES, TAB, asText, everythingLogged, type FlowNode } from './helpers/node-red';
import { resolveFromNodeRed } from './helpers/node-red-runtime';
import { Servers } from './helpers/loopback';
import { ECHO_MARK, ECHO_PLACES, PROBE_PASSWORDS, assertNoPasswordForm, encodingsOf, probeTag, startPasswordEcho, type EchoPlace } from './helpers/password-echo';
import { eventually } from './helpers/time';

/*
 * Password probes through a Node-RED flow: send invoice and payment status nodes whose configuration points at
 * a loopback endpoint that echoes the password in each encoding at each place of its answers
 * (test/helpers/password-echo.ts). On one tab a Catch node takes the errors to a debug node (sidebar, and its
 * status showing the message); on another, without a Catch node, the errors go to the log (and, as errors,
 * to the sidebar). The password must show up in no form in msg.error, the payment status node's failed
 * output, the debug sidebar (every comms message the runtime publishes), any node status, or the log: the
 * helper's spy sees every RED.log.log call at every level, trace included, whatever the console level.
 */

const TERMINAL_ID = 'till-flow-probe';
const DEBUG_NODE = path.join(path.dirname(resolveFromNodeRed('@node-red/nodes/package.json')), 'core', 'common', '21-debug.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debugModule = require(DEBUG_NODE) as unknown;

/** Places whose text the error quotes: there the mark proves that the echo reached msg.error. */
const QUOTED: ReadonlySet<EchoPlace> = new Set(['faultstring', 'faultstring-raw', 'faultcode', 'fault-in-200', 'reason-phrase']);

type Msg = Record<string, unknown> & { error?: { message?: string; source?: { id?: string } }; payload?: unknown };

function placed(node: FlowNode): FlowNode {
  return { x: 100, y: 100, ...node };
}

function probeFlow(endpoint: string): FlowNode[] {
  const debugNode = (id: string, z: string): FlowNode =>
    placed({ id, type: 'debug', z, active: true, tosidebar: true, console: false, tostatus: true, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto' });
  // Each tab on a configuration of its own: one configuration's ledger lets one status node watch an invoice.
  const status = (id: string, z: string, failedTo: string[], seqr: string): FlowNode =>
    placed({ id, type: 'seqr-payment-status', z, seqr, interval: 100, giveUpAfter: 0.6, onDeadline: 'keep', wires: [[], failedTo, []] });
  const send = (id: string, z: string, seqr: string): FlowNode =>
    placed({ id, type: 'seqr-send-invoice', z, seqr, invoice: 'payload', invoiceType: 'msg', currency: 'SEK', notify: 'none', qr: 'none', wires: [[]] });
  return [
    TAB,
    { id: 'tab2', type: 'tab', label: 'no catch' },
    { id: 'cfg', type: 'seqr-config', name: 'hostile', endpoint },
    { id: 'cfg2', type: 'seqr-config', name: 'hostile too', endpoint },
    // Tab 1: errors to a Catch node, on to a debug node and a helper; failed outcomes to a debug node too.
    send('send', 'tab1', 'cfg'),
    status('ps', 'tab1', ['failed', 'dbg-failed'], 'cfg'),
    placed({ id: 'failed', type: 'helper', z: 'tab1' }),
    debugNode('dbg-failed', 'tab1'),
    placed({ id: 'catcher', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['caught', 'dbg-caught']] }),
    placed({ id: 'caught', type: 'helper', z: 'tab1' }),
    debugNode('dbg-caught', 'tab1'),
    // Tab 2: no Catch node, so the runtime logs each error (and the debug sidebar shows logged errors).
    send('send2', 'tab2', 'cfg2'),
    status('ps2', 'tab2', ['failed2'], 'cfg2'),
    placed({ id: 'failed2', type: 'helper', z: 'tab2' }),
  ];
}

describe('password probes through a Node-RED flow', function () {
  const servers = new Servers();
  const published: unknown[] = [];
  const onComms = (event: unknown) => published.push(event);
  const events = (helper as unknown as { _events: NodeJS.EventEmitter })._events;

  before(async function () {
    await helper.startServer();
    events.on('comms', onComms);
  });

  after(async function () {
    events.off('comms', onComms);
    await helper.stopServer();
    await servers.stopAll();
  });

  afterEach(async function () {
    await helper.unload();
  });

  for (const password of PROBE_PASSWORDS) {
    it(`shows no form of ${JSON.stringify(password)} in msg.error, outputs, the debug sidebar, statuses or the log`, async function () {
      this.timeout(60_000);
      published.length = 0;
      const echo = await startPasswordEcho(servers, password, TERMINAL_ID);
      await helper.load(
        [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus, debugModule],
        probeFlow(echo.url),
        { cfg: { principalId: TERMINAL_ID, password }, cfg2: { principalId: TERMINAL_ID, password } },
      );
      const caught: Msg[] = [];
      const failed: Msg[] = [];
      helper.getNode('caught').on('input', (msg: never) => caught.push(msg));
      for (const id of ['failed', 'failed2']) helper.getNode(id).on('input', (msg: never) => failed.push(msg));

      const tags = ECHO_PLACES.flatMap((place) => Object.keys(encodingsOf(password, TERMINAL_ID)).map((encoding) => ({ place, tag: probeTag(place, encoding) })));
      for (const { tag } of tags) {
        for (const id of ['send', 'send2']) helper.getNode(id).receive({ payload: { amount: '10.00', title: tag } });
        for (const id of ['ps', 'ps2']) helper.getNode(id).receive({ payload: tag });
      }
      await eventually(() => {
        assert.equal(caught.length, tags.length, `caught ${caught.length} of ${tags.length}`);
        assert.equal(failed.length, 2 * tags.length, `failed outcomes ${failed.length} of ${2 * tags.length}`);
      }, 30_000);

      // The errors did carry what the endpoint sent (so redaction, not silence, keeps the password out).
      for (const { place, tag } of tags) {
        const error = caught.find((msg) => JSON.stringify(msg.payload).includes(tag))?.error;
        assert.equal(error?.source?.id, 'send', `the error for ${tag} came from the send invoice node`);
        if (QUOTED.has(place)) assert.ok(error?.message?.includes(ECHO_MARK), `${tag}: ${error?.message}`);
      }
      const logged = everythingLogged();
      const sidebar = published.filter((event) => (event as { topic?: string }).topic === 'debug');
      assert.ok(sidebar.length >= tags.length, `the sidebar showed the caught errors (${sidebar.length})`);
      assert.ok(logged.includes(ECHO_MARK), 'the uncaught errors were logged with what the endpoint sent');
      assertNoPasswordForm([logged], password, TERMINAL_ID, 'log and statuses');
      assertNoPasswordForm(published.map(asText), password, TERMINAL_ID, 'debug sidebar (comms)');
      assertNoPasswordForm(caught.map(asText), password, TERMINAL_ID, 'msg.error at the Catch node');
      assertNoPasswordForm(failed.map(asText), password, TERMINAL_ID, 'payment status failed output');
    });
  }
});
