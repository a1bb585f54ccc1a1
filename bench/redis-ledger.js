/*
 * The ledger in Redis at 2,000 open invoices (issue 14), on a private redis-server (Debian's; SEQR_REDIS_SERVER):
 *  - lifecycles: 2,000 invoices through their whole life in one instance's ledger (as bench/ledger.js), with the
 *    journal file, in memory and in Redis, side by side: what a ledger in Redis costs the instance;
 *  - steady state: 2,000 open invoices held by one instance, then split 1,000 / 1,000 across two instances (two
 *    processes, as two Node-RED have), each renewing its leases every second and scanning for lapsed ones every
 *    500 ms as seqr-config does: the lease traffic per second and the CPU of each instance and of Redis;
 *  - takeover: one of the two is killed (SIGKILL) and the other takes its 1,000 invoices over: how long that takes.
 * Ledger work only: no SEQR polls (bench/status-node.js measures those); a steady watch writes nothing until its
 * status changes, so the lease traffic is all a shared ledger adds at rest.
 */
const { fork, spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { FileLedgerStore, MemoryLedgerStore, PaymentLedger } = require('../dist/ledger');
const { LEASE_MS, RedisLedgerStore } = require('../dist/ledger/redis-ledger-store');

const REDIS_SERVER = process.env.SEQR_REDIS_SERVER || '/usr/bin/redis-server';
const STEADY_SECONDS = Number(process.env.BENCH_REDIS_SECONDS || 10);
const SCAN_MS = 500;
const MSG = { _msgid: 'b1e8c5f0a3d2', topic: 'sale', payload: { invoiceReference: '', qrCode: 'HTTP://SEQR.SE/R0', amount: '149.90', currency: 'SEK', title: 'Coffee', status: 'ISSUED' }, seqr: { amount: '149.90', currency: 'SEK', sentAt: '2026-12-02T07:00:00.000Z' } };

async function lifecycle(ledger, reference) {
  await ledger.recordInvoice(reference, { amount: '149.90', currency: 'SEK', owner: 'ps', msg: MSG });
  ledger.claim(reference, 'ps', MSG, { amount: '149.90', currency: 'SEK' });
  ledger.update(reference, { status: 'ISSUED', version: 1 });
  ledger.update(reference, { status: 'PENDING_ISSUER_ACKNOWLEDGE', version: 2 });
  await ledger.recordOutcome(reference, 1, { ...MSG, payload: { status: 'PAID', invoiceReference: reference, ersReference: '2026120112000000000000001' } });
  ledger.finish(reference);
}

async function lifecycles(store, invoices, base) {
  const ledger = new PaymentLedger(store, { onStoreError: (err) => { throw err; } });
  await ledger.ready;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: invoices }, (_, i) => lifecycle(ledger, String(base + i))));
  await ledger.flush();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await ledger.close();
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis(dir) {
  const port = await freePort();
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (/Ready to accept connections/.test(output)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return { url: `redis://127.0.0.1:${port}/0`, child };
}

/** Redis's own CPU so far (INFO cpu), in ms. */
async function redisCpuMs(url) {
  const Redis = require('ioredis');
  const client = new Redis(url);
  const info = await client.info('cpu');
  client.disconnect();
  const value = (name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)[1]);
  return (value('used_cpu_sys') + value('used_cpu_user')) * 1000;
}

/**
 * One instance (a child process): records and claims `count` invoices, then holds them for STEADY_SECONDS,
 * renewing (PaymentLedger's timer) and scanning as seqr-config does; reports, then keeps scanning until told
 * to stop, reporting when it holds `expect` entries (a takeover).
 */
async function instance({ url, name, count, base, expect }) {
  const store = new RedisLedgerStore({ url, namespace: 'bench', instanceId: name });
  const ledger = new PaymentLedger(store, { onStoreError: (err) => { throw err; } });
  await ledger.ready;
  const owner = { ownerId: 'ps', adopt: () => undefined };
  ledger.attach(owner);
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    const reference = String(base + i);
    await ledger.recordInvoice(reference, { owner: 'ps', msg: MSG });
    ledger.claim(reference, 'ps', MSG, {});
  }));
  await ledger.flush();
  const recordMs = performance.now() - started;
  const scan = setInterval(() => void ledger.takeOver(() => owner).catch(() => undefined), SCAN_MS);
  process.send({ kind: 'ready', recordMs });
  await new Promise((resolve) => process.once('message', resolve));
  const before = { ...store.stats };
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, STEADY_SECONDS * 1000));
  const used = process.cpuUsage(cpu);
  const per = (key) => (store.stats[key] - before[key]) / STEADY_SECONDS;
  process.send({ kind: 'steady', held: ledger.size, cpuPercent: ((used.user + used.system) / 1000 / (STEADY_SECONDS * 1000)) * 100, callsPerSecond: per('renew') + per('takeOver') + per('apply'), leasesRenewedPerSecond: per('renewed'), changesPerSecond: per('changes') });
  if (expect) {
    const waitFrom = await new Promise((resolve) => process.once('message', (m) => resolve(m.at)));
    while (ledger.size < expect) await new Promise((resolve) => setTimeout(resolve, 10));
    process.send({ kind: 'took-over', ms: Date.now() - waitFrom });
  }
  await new Promise((resolve) => process.once('message', resolve));
  clearInterval(scan);
  process.exit(0);
}

function next(child, kind) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.kind !== kind) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`instance exited with ${code} before ${kind}`)));
  });
}

async function flush(url) {
  const Redis = require('ioredis');
  const client = new Redis(url);
  await client.flushall();
  client.disconnect();
}

/** `split` instances hold `invoices` between them; steady figures of each, Redis's CPU; the last one takes over after a kill. */
async function steady(url, invoices, split) {
  await flush(url);
  const children = Array.from({ length: split }, (_, i) =>
    fork(require.resolve('./redis-ledger'), ['--instance', JSON.stringify({ url, name: `bench-${i}`, count: invoices / split, base: 30_000_000 + i * 1_000_000, expect: split > 1 && i === split - 1 ? invoices : 0 })], { stdio: 'inherit' }),
  );
  const ready = await Promise.all(children.map((child) => next(child, 'ready')));
  const redisBefore = await redisCpuMs(url);
  const steadyReports = children.map((child) => next(child, 'steady'));
  children.forEach((child) => child.send({ go: true }));
  const reports = await Promise.all(steadyReports);
  const redisCpuPercent = ((await redisCpuMs(url)) - redisBefore) / (STEADY_SECONDS * 1000) * 100;
  let takeoverMs;
  if (split > 1) {
    const survivor = children[split - 1];
    const took = next(survivor, 'took-over');
    children[0].kill('SIGKILL');
    survivor.send({ at: Date.now() });
    takeoverMs = (await took).ms;
  }
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.send({ stop: true });
  return { ready, reports, redisCpuPercent, takeoverMs };
}

async function run({ invoices = 2000, log = console.log } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'seqr-bench-redis-'));
  const redis = await startRedis(dir);
  try {
    const redisStore = (ns) => new RedisLedgerStore({ url: redis.url, namespace: ns });
    // Warm-up (JIT), not measured.
    await lifecycles(new MemoryLedgerStore(), 200, 1_000_000);
    await lifecycles(redisStore('warm'), 200, 2_000_000);
    const memory = await lifecycles(new MemoryLedgerStore(), invoices, 3_000_000);
    const file = await lifecycles(new FileLedgerStore(path.join(dir, 'cfg.jsonl')), invoices, 4_000_000);
    const inRedis = await lifecycles(redisStore('life'), invoices, 5_000_000);
    log(`payment ledger, ${invoices} invoices through their whole life at once (${invoices * 6} changes), one instance:`);
    for (const [label, figures] of [['journal file', file], ['Redis', inRedis], ['in memory', memory]]) {
      log(`  ${label.padEnd(12)} ${figures.wallMs.toFixed(0)} ms, CPU ${figures.cpuMs.toFixed(0)} ms (${((figures.cpuMs * 1000) / invoices).toFixed(0)} µs an invoice), ${(invoices * 6 / figures.wallMs * 1000).toFixed(0)} changes/s`);
    }
    const one = await steady(redis.url, invoices, 1);
    const two = await steady(redis.url, invoices, 2);
    log(`${invoices} open invoices at rest for ${STEADY_SECONDS} s (leases renewed every 1 s, scans every ${SCAN_MS} ms):`);
    const row = (label, report) =>
      `  ${label.padEnd(28)} holds ${String(report.held).padStart(4)}, ${report.leasesRenewedPerSecond.toFixed(0)} leases renewed/s in ${report.callsPerSecond.toFixed(1)} Redis calls/s, CPU ${report.cpuPercent.toFixed(2)} % of a core`;
    log(row('one instance', one.reports[0]));
    log(`  ${''.padEnd(28)} Redis CPU ${one.redisCpuPercent.toFixed(2)} %; recording ${invoices} took ${one.ready[0].recordMs.toFixed(0)} ms`);
    two.reports.forEach((report, i) => log(row(`two instances: instance ${i + 1}`, report)));
    log(`  ${''.padEnd(28)} Redis CPU ${two.redisCpuPercent.toFixed(2)} %; recording took ${two.ready.map((r) => r.recordMs.toFixed(0)).join(' / ')} ms`);
    log(`takeover: instance 1 killed (SIGKILL), instance 2 held all ${invoices} after ${two.takeoverMs} ms (lease ${LEASE_MS} ms)`);
    return { invoices, file, inRedis, memory, one, two };
  } finally {
    redis.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { run };

if (process.argv[2] === '--instance') {
  instance(JSON.parse(process.argv[3])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (require.main === module) {
  run().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
}
