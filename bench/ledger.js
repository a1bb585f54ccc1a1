/*
 * The payment ledger's own cost at 2,000 watches: every invoice through its whole life in the ledger as the nodes
 * drive it (send invoice records it and waits, the status node claims it, two status changes, the outcome
 * recorded and waited for, then removed), 2,000 invoices at once, once with the journal file and once with a
 * store in memory, side by side. CPU is this process's (the ledger's work plus the file calls); `syncs` are the
 * fdatasync calls group commit needed for the ~12,000 changes.
 */
const { mkdtempSync, rmSync, statSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { FileLedgerStore, MemoryLedgerStore, PaymentLedger } = require('../dist/ledger');

async function lifecycle(ledger, reference, msg) {
  await ledger.recordInvoice(reference, { amount: '149.90', currency: 'SEK', owner: 'ps', msg });
  ledger.claim(reference, 'ps', msg, { amount: '149.90', currency: 'SEK' });
  ledger.update(reference, { status: 'ISSUED', version: 1 });
  ledger.update(reference, { status: 'PENDING_ISSUER_ACKNOWLEDGE', version: 2 });
  await ledger.recordOutcome(reference, 1, { ...msg, payload: { status: 'PAID', invoiceReference: reference, ersReference: '2026120112000000000000001' } });
  ledger.finish(reference);
}

async function measure(store, invoices) {
  const ledger = new PaymentLedger(store, { onStoreError: (err) => { throw err; } });
  await ledger.ready;
  const msg = { _msgid: 'b1e8c5f0a3d2', topic: 'sale', payload: { invoiceReference: '', qrCode: 'HTTP://SEQR.SE/R0', amount: '149.90', currency: 'SEK', title: 'Coffee', status: 'ISSUED' }, seqr: { amount: '149.90', currency: 'SEK', sentAt: new Date().toISOString() } };
  const cpu = process.cpuUsage();
  const started = performance.now();
  let peakBytes = 0;
  const sampler = store.location.startsWith('memory:') ? undefined : setInterval(() => (peakBytes = Math.max(peakBytes, statSync(store.location).size)), 5);
  await Promise.all(Array.from({ length: invoices }, (_, i) => lifecycle(ledger, String(20261201000000 + i), msg)));
  await ledger.flush();
  if (sampler) clearInterval(sampler);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await ledger.close();
  return { wallMs, cpuMs: (used.user + used.system) / 1000, syncs: store.stats?.appends ?? 0, compactions: store.stats?.compactions ?? 0, peakKb: peakBytes / 1024, left: ledger.size };
}

async function run({ invoices = 2000, log = console.log } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'seqr-bench-ledger-'));
  try {
    // Warm-up of both paths (JIT), not measured.
    await measure(new MemoryLedgerStore(), 200);
    await measure(new FileLedgerStore(path.join(dir, 'warm.jsonl')), 200);
    const memory = await measure(new MemoryLedgerStore(), invoices);
    const file = await measure(new FileLedgerStore(path.join(dir, 'cfg.jsonl')), invoices);
    log(`payment ledger, ${invoices} invoices through their whole life at once (${invoices * 6} changes):`);
    log(`  journal file: ${file.wallMs.toFixed(0)} ms, CPU ${file.cpuMs.toFixed(0)} ms (${((file.cpuMs * 1000) / invoices).toFixed(0)} µs an invoice), ${file.syncs} fdatasync, ${file.compactions} compactions, file at most ${file.peakKb.toFixed(0)} KB`);
    log(`  in memory:    ${memory.wallMs.toFixed(0)} ms, CPU ${memory.cpuMs.toFixed(0)} ms (${((memory.cpuMs * 1000) / invoices).toFixed(0)} µs an invoice)`);
    return { invoices, file, memory };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (require.main === module) {
  run().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
}
