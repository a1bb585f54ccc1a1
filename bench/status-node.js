/*
 * One seqr-payment-status node in a real Node-RED runtime (embedded in this process, loading this package's
 * nodes through `nodesDir`) watching 2,000 open invoices at 1 Hz, against the emulator in another process.
 *
 * Measured over BENCH_SECONDS (default 60) after a short warm-up:
 * - poll lateness: how late each poll starts against its planned time, from the watcher's POLL_START_CHANNEL
 *   (a diagnostics channel: the bench listens without changing the node);
 * - event-loop delay p99 (perf_hooks.monitorEventLoopDelay);
 * - peak RSS of this process (Node-RED runtime, node, client and all);
 * - the emulator's CPU per poll (its process's CPU time over the polls answered), the other side of the wire.
 *
 * The invoices are created up front by the emulator's process through a SeqrClient (no payer, so they stay
 * ISSUED) and handed to the node as input messages; "give up after" is an hour so that every watch lasts the whole run.
 */
const { subscribe, unsubscribe } = require('node:diagnostics_channel');
const { createHistogram, monitorEventLoopDelay } = require('node:perf_hooks');
const { cpuUsage, createInvoices, forkEmulator } = require('./emulator-child');
const { startNodeRed } = require('./embedded-node-red');
const { PUBLIC_TEST_TERMINAL, POLL_START_CHANNEL } = require('../dist');
const { MemoryLedgerStore, setLedgerStoreFactory } = require('../dist/ledger');

// BENCH_LEDGER=memory: the same run with the payment ledger in memory instead of its journal file, to show what
// the durable ledger costs (run.js runs both, side by side).
if (process.env.BENCH_LEDGER === 'memory') setLedgerStoreFactory((file) => new MemoryLedgerStore(file));

const TARGETS = { latenessP99Ms: 50, eventLoopP99Ms: 20, rssMb: 150 };
const WARM_UP_MS = 3000;

/** BENCH_VERBOSE=1: where the memory goes. */
function memory() {
  // Under --expose-gc: the live size, without the garbage a lazy collector has not yet swept.
  if (typeof globalThis.gc === 'function') globalThis.gc();
  const usage = process.memoryUsage();
  return ['rss', 'heapTotal', 'heapUsed', 'external'].map((key) => `${key} ${(usage[key] / 2 ** 20).toFixed(0)} MB`).join(', ');
}

const LOOP_RESOLUTION_MS = 10;
/**
 * Event-loop delay in ms at a percentile. Node 20's monitorEventLoopDelay records the whole interval between
 * its timer's runs (an idle loop shows p50 ≈ the resolution), so the resolution is taken off.
 */
const loopDelayMs = (histogram, percentile) => Math.max(0, histogram.percentile(percentile) / 1e6 - LOOP_RESOLUTION_MS);

async function run({ invoices = 2000, intervalMs = 1000, seconds = Number(process.env.BENCH_SECONDS || 60), log = console.log } = {}) {
  const { child, url } = await forkEmulator();
  let nodeRed;
  let listener;
  try {
    const references = await createInvoices(child, invoices);
    const flows = [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-cfg', type: 'seqr-config', name: 'emulator', endpoint: url },
      {
        id: 'bench-status', type: 'seqr-payment-status', z: 'bench-tab', x: 100, y: 100, seqr: 'bench-cfg',
        interval: intervalMs, giveUpAfter: 3600, onDeadline: 'keep',
        wires: [['bench-outcome'], ['bench-outcome'], []],
      },
      // Outputs 1 and 2 land here: nothing is expected (no invoice is paid, none times out). Output 3 (the first
      // ISSUED of each invoice) goes nowhere.
      { id: 'bench-outcome', type: 'function', z: 'bench-tab', x: 300, y: 100, func: 'const seen = global.get("benchOutcomes") || []; if (seen.length < 3) seen.push(msg.payload); global.set("benchOutcomes", seen); global.set("benchOutcomeCount", (global.get("benchOutcomeCount") || 0) + 1); return null;', outputs: 0 },
    ];
    nodeRed = await startNodeRed(flows, { 'bench-cfg': { principalId: PUBLIC_TEST_TERMINAL.id, password: PUBLIC_TEST_TERMINAL.password } });
    if (process.env.BENCH_VERBOSE) log(`  memory with Node-RED running, no watch yet: ${memory()}`);
    const statusNode = nodeRed.RED.nodes.getNode('bench-status');
    if (!statusNode) throw new Error('the seqr-payment-status node did not start (see the log above)');

    const lateness = createHistogram();
    let polls = 0;
    let measuring = false;
    listener = (message) => {
      if (!measuring) return;
      polls++;
      // The histogram takes whole numbers ≥ 1: µs; an early start counts as on time.
      lateness.record(Math.max(1, Math.round(message.latenessMs * 1000)));
    };
    subscribe(POLL_START_CHANNEL, listener);

    for (const invoiceReference of references) statusNode.receive({ payload: invoiceReference, seqr: { invoiceReference } });
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));

    if (process.env.BENCH_VERBOSE) log(`  memory with ${invoices} watches: ${memory()}`);
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    let peakRss = process.memoryUsage.rss();
    const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 250);
    const emulatorCpuBefore = await cpuUsage(child);
    const cpuBefore = process.cpuUsage();
    measuring = true;
    loopDelay.enable();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    loopDelay.disable();
    measuring = false;
    clearInterval(rssSampler);
    if (process.env.BENCH_VERBOSE) log(`  memory at the end: ${memory()}`);
    const cpu = process.cpuUsage(cpuBefore);
    const emulatorCpuAfter = await cpuUsage(child);
    const emulatorCpuUs = emulatorCpuAfter.user - emulatorCpuBefore.user + emulatorCpuAfter.system - emulatorCpuBefore.system;

    const outcomeNode = nodeRed.RED.nodes.getNode('bench-outcome');
    const result = {
      invoices,
      seconds,
      ledger: process.env.BENCH_LEDGER === 'memory' ? 'memory' : 'file',
      pollsPerSecond: polls / seconds,
      latenessP50Ms: lateness.percentile(50) / 1e3,
      latenessP99Ms: lateness.percentile(99) / 1e3,
      latenessMaxMs: lateness.max / 1e3,
      eventLoopP50Ms: loopDelayMs(loopDelay, 50),
      eventLoopP99Ms: loopDelayMs(loopDelay, 99),
      rssMb: peakRss / 2 ** 20,
      cpuPercent: ((cpu.user + cpu.system) / 1e3 / (seconds * 1000)) * 100,
      emulatorCpuUsPerPoll: polls > 0 ? emulatorCpuUs / polls : 0,
      outcomes: outcomeNode.context().global.get('benchOutcomeCount') ?? 0,
      firstOutcomes: outcomeNode.context().global.get('benchOutcomes') ?? [],
    };
    for (const outcome of result.firstOutcomes) log(`  unexpected outcome: ${JSON.stringify(outcome)}`);
    log(`seqr-payment-status node, ${invoices} invoices at ${intervalMs} ms for ${seconds} s, payment ledger ${result.ledger === 'file' ? 'in its journal file' : 'in memory (no durability)'}:`);
    log(`  polls/s ${result.pollsPerSecond.toFixed(0)} (expected ${(invoices * 1000) / intervalMs}), outcomes ${result.outcomes} (expected 0), bench process CPU ${result.cpuPercent.toFixed(0)} % of a core`);
    log(`  poll lateness p50 ${result.latenessP50Ms.toFixed(1)} ms, p99 ${result.latenessP99Ms.toFixed(1)} ms, max ${result.latenessMaxMs.toFixed(1)} ms`);
    log(`  event-loop delay p50 ${result.eventLoopP50Ms.toFixed(1)} ms, p99 ${result.eventLoopP99Ms.toFixed(1)} ms; peak RSS ${result.rssMb.toFixed(0)} MB`);
    log(`  emulator CPU ${result.emulatorCpuUsPerPoll.toFixed(0)} µs per poll`);
    return result;
  } finally {
    if (listener) unsubscribe(POLL_START_CHANNEL, listener);
    if (nodeRed) await nodeRed.stop();
    child.disconnect();
  }
}

module.exports = { run, TARGETS };

if (require.main === module) {
  run().then(
    // --report: forked by run.js, which prints the table.
    (result) => (process.argv.includes('--report') ? process.send(result, () => process.exit(0)) : process.exit(result.latenessP99Ms <= TARGETS.latenessP99Ms && result.eventLoopP99Ms <= TARGETS.eventLoopP99Ms && result.rssMb <= TARGETS.rssMb ? 0 : 1)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
