import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { emulatorForNodeTests } from './helpers/node-emulator';
import { POLL_START_CHANNEL, type PollStartMessage } from '../src/watcher';
import { HttpNodeServer, NODE_MODULES, TAB, callsOf, collect, helper, nextMessage, type FlowNode } from './helpers/node-red';
import { pause } from './helpers/time';

/*
 * seqr-notification with seqr-send-invoice and seqr-payment-status under node-red-node-test-helper, against the
 * emulator, which POSTs each invoice's notificationUrl when it is paid. The runtime's HTTP-in app is served on
 * a loopback port of the test's own (HttpNodeServer), which is also the notification node's public URL.
 * The status node polls every 10 s: a PAID within a second or two can only come from the notification.
 */

const TERMINAL = { id: 'node-notification-terminal', password: 'Notify-pw-7Hq2x' };
const CREDENTIALS = { cfg: { principalId: TERMINAL.id, password: TERMINAL.password } };
const MODULES = [NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus, NODE_MODULES.notification];
const INTERVAL_MS = 10_000;
const KEY = /^[A-Za-z0-9_-]{22}$/;

type Msg = Record<string, unknown> & { payload: Record<string, unknown>; seqr: Record<string, unknown> };

describe('seqr-notification node', function () {
  const emulatorLog: string[] = [];
  const rig = emulatorForNodeTests(TERMINAL, { log: (line) => emulatorLog.push(line) });
  const httpNodeServer = new HttpNodeServer();
  before(() => httpNodeServer.start());
  after(() => httpNodeServer.stop());
  afterEach(() => httpNodeServer.forget());

  const place = (n: FlowNode): FlowNode => ({ x: 100, y: 100, z: TAB.id, ...n });

  /** send invoice → payment status (paid, failed, updates), and a notification node; `changes` by node id. */
  function shopFlow(changes: Record<string, Record<string, unknown>> = {}, omit: string[] = []): FlowNode[] {
    const nodes: FlowNode[] = [
      { id: 'cfg', type: 'seqr-config', name: 'emulator', endpoint: rig.emu.url },
      place({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: 'Notified', notify: 'node', wires: [['status', 'issued']] }),
      place({ id: 'status', type: 'seqr-payment-status', seqr: 'cfg', interval: INTERVAL_MS, giveUpAfter: 120, wires: [['paid'], ['failed'], ['updates']] }),
      place({ id: 'notify', type: 'seqr-notification', seqr: 'cfg', url: '/seqr/notify', publicUrl: httpNodeServer.url, wires: [['notified']] }),
      ...['issued', 'paid', 'failed', 'updates', 'notified'].map((id) => place({ id, type: 'helper' })),
    ];
    return [TAB, ...nodes.filter((n) => !omit.includes(n.id)).map((n) => ({ ...n, ...(changes[n.id] ?? {}) }))];
  }

  async function load(flow: FlowNode[] = shopFlow()): Promise<void> {
    await helper.load([...MODULES, httpNodeServer.module], flow, CREDENTIALS);
  }

  /** An invoice sent through the send invoice node, as its output message. */
  async function issue(amount = '10.00'): Promise<Msg> {
    const issued = nextMessage<Msg>(helper.getNode('issued'));
    helper.getNode('send').receive({ payload: amount });
    return issued;
  }

  function post(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${httpNodeServer.url}${path}`, { method: 'POST', ...init });
  }

  function lastStatus(id: string): unknown {
    return callsOf(helper.getNode(id), 'status').at(-1)?.[0];
  }

  it('send invoice fills in notificationUrl with a fresh key; the callback makes PAID arrive long before the 10 s poll', async function () {
    await load();
    const timedPolls: PollStartMessage[] = [];
    const onPollStart = (message: unknown) => timedPolls.push(message as PollStartMessage);
    subscribe(POLL_START_CHANNEL, onPollStart);
    try {
      const keys = new Set<string>();
      let measured: number | undefined;
      // A timed poll between payment and PAID would make the figure prove nothing (one in ten or so, as the first
      // poll falls anywhere in the first 10 s): then the test tries again with another invoice.
      for (let attempt = 0; attempt < 4 && measured === undefined; attempt++) {
        const issued = await issue();
        const reference = String(issued.payload.invoiceReference);
        assert.match(String(issued.seqr.notificationKey), KEY);
        keys.add(String(issued.seqr.notificationKey));
        const paid = nextMessage<Msg>(helper.getNode('paid'), (msg) => assert.equal(msg.payload.invoiceReference, reference), 8000);
        const notified = nextMessage<Msg>(helper.getNode('notified'));
        const polledBefore = timedPolls.filter((p) => p.invoiceReference === reference).length;
        const paidAt = performance.now();
        await rig.emu.payer.pay(reference);
        const msg = await paid;
        const latencyMs = performance.now() - paidAt;
        assert.equal(msg.payload.status, 'PAID');
        assert.deepEqual(msg.payload.amount, '10.00');
        const notice = await notified;
        assert.equal(notice.payload.invoiceReference, reference);
        assert.equal(notice.payload.watched, true);
        if (timedPolls.filter((p) => p.invoiceReference === reference).length === polledBefore) measured = latencyMs;
      }
      assert.ok(measured !== undefined, 'every attempt had a timed poll between payment and PAID');
      assert.ok(measured < 2000, `PAID ${measured.toFixed(0)} ms after the payment, with a ${INTERVAL_MS} ms poll interval`);
      assert.ok(keys.size >= 1);
    } finally {
      unsubscribe(POLL_START_CHANNEL, onPollStart);
    }
    // What SEQR was given: the public URL and path of the notification node (the key is in the query).
    assert.ok(emulatorLog.some((line) => line.includes(`to ${httpNodeServer.url}/seqr/notify: HTTP 200`)), emulatorLog.join('\n'));
    assert.deepEqual(lastStatus('notify'), { fill: 'green', shape: 'dot', text: 'checking (1)' });
  });

  it('a forged callback makes no PAID: an unknown key changes nothing, the right key of an unpaid invoice only a status poll', async function () {
    await load();
    const issued = await issue('11.00');
    const reference = String(issued.payload.invoiceReference);
    const key = String(issued.seqr.notificationKey);
    const paid = collect<Msg>(helper.getNode('paid'));
    const failed = collect<Msg>(helper.getNode('failed'));
    const notified = collect<Msg>(helper.getNode('notified'));

    const unknown = await post(`/seqr/notify?key=AAAAAAAAAAAAAAAAAAAAAA`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `invoiceReference=${reference}`,
    });
    assert.equal(unknown.status, 200, 'answered like any callback: nothing tells a prober which keys exist');
    assert.deepEqual(lastStatus('notify'), { fill: 'yellow', shape: 'ring', text: 'unknown key' });

    const forged = await post(`/seqr/notify?key=${key}`);
    assert.equal(forged.status, 200);
    await pause(500);
    assert.equal(notified.length, 1, 'one message, for the known key only');
    assert.deepEqual({ ...notified[0].payload, receivedAt: 'x' }, { invoiceReference: reference, watched: true, receivedAt: 'x' });
    assert.equal(paid.length + failed.length, 0, 'no outcome: SEQR says ISSUED');
    assert.equal((await rig.client.getPaymentStatus(reference, 0)).status, 'ISSUED');

    // The real payment afterwards still comes out once, at once.
    const paidMsg = nextMessage<Msg>(helper.getNode('paid'));
    await rig.emu.payer.pay(reference);
    assert.equal((await paidMsg).payload.invoiceReference, reference);
    await pause(200);
    assert.equal(paid.length, 1);

    // Without "accept references", a bare invoice reference counts for nothing.
    const bare = await post('/seqr/notify', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `invoiceReference=${reference}` });
    assert.equal(bare.status, 400);
    assert.deepEqual(lastStatus('notify'), { fill: 'red', shape: 'ring', text: 'no key' });
  });

  it('answers bad requests sensibly: 405 to other methods, 400 to a bad key, reference or body, 413 to a large body', async function () {
    await load(shopFlow({ notify: { acceptReference: true } }));
    const get = await fetch(`${httpNodeServer.url}/seqr/notify?key=AAAAAAAAAAAAAAAAAAAAAA`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await post('/seqr/notify?key=not%20a%20key')).status, 400);
    assert.equal((await post('/seqr/notify?key=a&key=b')).status, 400);
    assert.equal((await post('/seqr/notify')).status, 400, 'neither key nor reference');
    assert.equal((await post('/seqr/notify', { headers: { 'content-type': 'application/json' }, body: '{"invoiceReference":' })).status, 400);
    assert.equal((await post('/seqr/notify', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invoiceReference: 'has space' }) })).status, 400);
    const large = await post('/seqr/notify', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `invoiceReference=${'1'.repeat(9000)}` });
    assert.equal(large.status, 413);

    // With references accepted: one nobody watches is answered and reported as not watched.
    const notified = nextMessage<Msg>(helper.getNode('notified'));
    const unwatched = await post('/seqr/notify', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invoiceReference: '1234567890123' }) });
    assert.equal(unwatched.status, 200);
    assert.deepEqual({ ...(await notified).payload, receivedAt: 'x' }, { invoiceReference: '1234567890123', watched: false, receivedAt: 'x' });
    assert.deepEqual(lastStatus('notify'), { fill: 'yellow', shape: 'ring', text: 'not watched' });

    // And a watched one, named in the form body as the emulator does, is checked at once.
    const issued = await issue('12.00');
    const reference = String(issued.payload.invoiceReference);
    const paid = nextMessage<Msg>(helper.getNode('paid'), undefined, 8000);
    await rig.emu.payer.pay(reference);
    assert.equal((await paid).payload.invoiceReference, reference);
  });

  it('removes its route when closed or redeployed, and serves the new path after a redeploy', async function () {
    await load();
    assert.equal((await post('/seqr/notify?key=AAAAAAAAAAAAAAAAAAAAAA')).status, 200);
    // Redeployed on another path: the old one is gone, the new one answers, with a single route each time.
    await helper.setFlows(shopFlow({ notify: { url: 'seqr/v2/notify' } }), 'full', CREDENTIALS);
    assert.equal((await post('/seqr/notify?key=AAAAAAAAAAAAAAAAAAAAAA')).status, 404);
    assert.equal((await post('/seqr/v2/notify?key=AAAAAAAAAAAAAAAAAAAAAA')).status, 200);
    await helper.setFlows(shopFlow({ notify: { url: 'seqr/v2/notify' } }), 'full', CREDENTIALS);
    assert.equal(httpNodeServer.routeCount('/seqr/v2/notify'), 2, 'the POST and the 405 route, once each');
    // Deleted: nothing answers there any more.
    await helper.setFlows(shopFlow({}, ['notify']), 'full', CREDENTIALS);
    assert.equal((await post('/seqr/v2/notify?key=AAAAAAAAAAAAAAAAAAAAAA')).status, 404);
  });

  it('a status node redeployed mid-watch still takes the callback: the key travels with the message', async function () {
    await load();
    const issued = await issue('13.00');
    const reference = String(issued.payload.invoiceReference);
    await helper.setFlows(shopFlow({ status: { name: 'redeployed' } }), 'full', CREDENTIALS);
    // A resumed watch polls at once (a payment may have come while nobody watched): let that poll answer
    // ISSUED first, so that the payment below is found by the callback, not by that poll.
    await pause(300);
    const paid = nextMessage<Msg>(helper.getNode('paid'), (msg) => assert.equal(msg.payload.invoiceReference, reference), 8000);
    const notified = nextMessage<Msg>(helper.getNode('notified'));
    await rig.emu.payer.pay(reference);
    assert.equal((await notified).payload.watched, true, 'the resumed watch holds the key');
    await paid;
  });

  it('send invoice without a usable notification node sends the invoice without notificationUrl and warns once', async function () {
    await load(shopFlow({}, ['notify']));
    const first = await issue();
    await issue();
    assert.equal(first.seqr.notificationKey, undefined);
    const warnings = callsOf(helper.getNode('send'), 'warn').map((args) => String(args[0]));
    assert.deepEqual(warnings, ['No seqr-notification node uses this SEQR configuration: invoices go out without a notification URL (payments are still found by polling).']);

    await helper.unload();
    httpNodeServer.forget();
    await load(shopFlow({ notify: { publicUrl: '' } }));
    assert.equal((await issue()).seqr.notificationKey, undefined);
    assert.match(String(callsOf(helper.getNode('send'), 'warn')[0]?.[0]), /has no public URL/);

    // Two notification nodes for one configuration: which one SEQR should call is unclear, so neither.
    await helper.unload();
    httpNodeServer.forget();
    const second = { id: 'notify2', type: 'seqr-notification', seqr: 'cfg', url: '/seqr/other', publicUrl: httpNodeServer.url, x: 100, y: 100, z: TAB.id, wires: [[]] };
    await load([...shopFlow(), second]);
    assert.equal((await issue()).seqr.notificationKey, undefined);
    assert.match(String(callsOf(helper.getNode('send'), 'warn')[0]?.[0]), /Several seqr-notification nodes/);

    // A notificationUrl in the message wins over the node's setting: no key then.
    const own = nextMessage<Msg>(helper.getNode('issued'));
    helper.getNode('send').receive({ payload: { amount: '5.00', notificationUrl: 'https://shop.example.com/own' } });
    assert.equal((await own).seqr.notificationKey, undefined);
  });

  it('joins a public URL with a prefix or a trailing slash and a path without a leading slash', async function () {
    await load(shopFlow({ notify: { url: 'shop/notify', publicUrl: `${httpNodeServer.url}/red/` } }));
    const issued = await issue();
    const reference = String(issued.payload.invoiceReference);
    await rig.emu.payer.pay(reference);
    // The emulator's POST went to <public URL>/red/shop/notify, where nothing listens in this test (404): the URL is
    // what a reverse proxy mapping /red to Node-RED's root would receive.
    await pause(300);
    assert.ok(emulatorLog.some((line) => line.includes(`${reference} to ${httpNodeServer.url}/red/shop/notify: HTTP 404`)), emulatorLog.join('\n'));
    assert.equal((await post(`/shop/notify?key=${String(issued.seqr.notificationKey)}`)).status, 200, 'the route itself is /shop/notify');
  });

  it('refuses a missing path or a public URL that is not an http(s) base, with a red status', async function () {
    await load(shopFlow({ notify: { url: '  ' } }));
    assert.deepEqual(lastStatus('notify'), { fill: 'red', shape: 'ring', text: 'no path' });
    await helper.unload();
    httpNodeServer.forget();
    await load(shopFlow({ notify: { publicUrl: 'ftp://shop.example.com' } }));
    assert.deepEqual(lastStatus('notify'), { fill: 'red', shape: 'ring', text: 'bad public URL' });
    assert.equal((await post('/seqr/notify?key=AAAAAAAAAAAAAAAAAAAAAA')).status, 404, 'no route was made');
  });
});
