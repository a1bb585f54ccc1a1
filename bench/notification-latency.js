/*
 * How soon PAID leaves a seqr-payment-status node after the payer pays: with SEQR's notification callback
 * (seqr-notification node, send invoice filling in notificationUrl) and with polling alone, side by side at the
 * same poll interval (1 s), in one embedded Node-RED against the emulator in another process (which POSTs the
 * notification as SEQR does).
 *
 * Each payment: send invoice issues an invoice (through the flow: the notification URL with its key is the
 * node's own), the watch runs for a random 0.2–1.2 s, then the payer pays in the emulator's process. Latency =
 * the PAID message leaving the status node (Node-RED's onSend hook) minus the moment the payer tapped "pay"
 * (both sub-millisecond epoch times on one machine). A new payment starts every ~100 ms, alternating between
 * the two flows, so that both see the same load. BENCH_PAYMENTS (default 200) per flow.
 */
const { performance } = require('node:perf_hooks');
const { forkEmulator, pay } = require('./emulator-child');
const { startNodeRed } = require('./embedded-node-red');
const { PUBLIC_TEST_TERMINAL } = require('../dist');

const TARGETS = { notifiedP99Ms: 50 };
const INTERVAL_MS = 1000;
const MODES = ['notified', 'polled'];

function flows(endpoint) {
  const tab = { id: 'bench-tab', type: 'tab', label: 'bench' };
  const on = (n) => ({ z: tab.id, x: 100, y: 100, ...n });
  const pair = (mode, notify) => [
    on({ id: `send-${mode}`, type: 'seqr-send-invoice', seqr: 'bench-cfg', title: `bench ${mode}`, currency: 'SEK', notify, wires: [[`status-${mode}`]] }),
    // Wired to a sink: Node-RED's onSend hook sees only messages that go somewhere.
    on({ id: `status-${mode}`, type: 'seqr-payment-status', seqr: 'bench-cfg', interval: INTERVAL_MS, giveUpAfter: 600, onDeadline: 'keep', wires: [['bench-sink'], ['bench-sink'], []] }),
  ];
  return [
    tab,
    { id: 'bench-cfg', type: 'seqr-config', name: 'emulator', endpoint },
    ...pair('notified', 'node'),
    ...pair('polled', 'url'),
    on({ id: 'bench-sink', type: 'function', func: 'return null;', outputs: 0 }),
    on({ id: 'bench-notify', type: 'seqr-notification', seqr: 'bench-cfg', url: '/seqr/notify', publicUrl: '${SEQR_BENCH_HTTP_URL}', wires: [[]] }),
  ];
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted[sorted.length - 1] };
}

async function run({ payments = Number(process.env.BENCH_PAYMENTS || 200), log = console.log } = {}) {
  const { child, url } = await forkEmulator();
  let nodeRed;
  try {
    nodeRed = await startNodeRed(flows(url), { 'bench-cfg': { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } }, { httpNode: true });
    const { RED } = nodeRed;
    for (const mode of MODES) if (!RED.nodes.getNode(`status-${mode}`)) throw new Error(`the ${mode} status node did not start`);

    // Who waits for what: the issued message of a send node, the PAID of an invoice.
    const issuedWaiters = { notified: [], polled: [] };
    const paidWaiters = new Map();
    RED.hooks.add('onSend.seqrBench', (events) => {
      const at = now();
      for (const { source, msg } of events) {
        const id = source?.node?.id;
        if (id === 'send-notified' || id === 'send-polled') issuedWaiters[id.slice(5)].shift()?.(msg);
        else if ((id === 'status-notified' || id === 'status-polled') && msg.payload?.status === 'PAID') paidWaiters.get(msg.payload.invoiceReference)?.(at);
      }
    });

    const latencies = { notified: [], polled: [] };
    const withKey = { notified: 0, polled: 0 };
    async function onePayment(mode) {
      const issued = new Promise((resolve) => issuedWaiters[mode].push(resolve));
      RED.nodes.getNode(`send-${mode}`).receive({ payload: '10.00' });
      const msg = await issued;
      const reference = msg.payload.invoiceReference;
      if (msg.seqr.notificationKey) withKey[mode]++;
      const paid = new Promise((resolve) => paidWaiters.set(reference, resolve));
      await sleep(200 + Math.random() * 1000);
      const paidAt = await pay(child, reference);
      const leftAt = await paid;
      paidWaiters.delete(reference);
      latencies[mode].push(leftAt - paidAt);
      if (process.env.BENCH_VERBOSE) log(`  ${mode} ${reference}: ${(leftAt - paidAt).toFixed(1)} ms`);
    }

    const started = [];
    for (let i = 0; i < payments * 2; i++) {
      started.push(onePayment(MODES[i % 2]));
      await sleep(50 + Math.random() * 100);
    }
    await Promise.all(started);
    RED.hooks.remove('onSend.seqrBench');
    if (withKey.notified !== payments || withKey.polled !== 0) {
      throw new Error(`notification URLs: ${withKey.notified} of ${payments} notified invoices had a key, ${withKey.polled} polled ones did`);
    }

    const result = { payments, intervalMs: INTERVAL_MS, notified: summary(latencies.notified), polled: summary(latencies.polled) };
    log(`PAID latency from the payer's "pay" to the message leaving the status node, ${payments} payments each, poll interval ${INTERVAL_MS} ms:`);
    for (const mode of MODES) {
      const s = result[mode];
      log(`  ${mode === 'notified' ? 'with notification' : 'polling only     '}  p50 ${s.p50Ms.toFixed(1)} ms  p90 ${s.p90Ms.toFixed(1)} ms  p99 ${s.p99Ms.toFixed(1)} ms  max ${s.maxMs.toFixed(1)} ms`);
    }
    return result;
  } finally {
    if (nodeRed) await nodeRed.stop();
    child.disconnect();
  }
}

module.exports = { run, TARGETS };

if (require.main === module) {
  run().then(
    // --report: forked by run.js, which prints the table.
    (result) => (process.argv.includes('--report') ? process.send(result, () => process.exit(0)) : process.exit(result.notified.p99Ms <= TARGETS.notifiedP99Ms ? 0 : 1)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
