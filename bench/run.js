// `npm run bench`: every benchmark in turn (build first: the benchmarks use dist/), then one table of the
// figures against their targets. BENCH_SECONDS shortens the status-node run (default 60 s) for a quick check,
// BENCH_PAYMENTS the notification-latency run (default 200 payments per flow).
const { fork } = require('node:child_process');
const pollCpu = require('./poll-cpu');
const statusNode = require('./status-node');
const notificationLatency = require('./notification-latency');
const ledgerBench = require('./ledger');
const redisLedgerBench = require('./redis-ledger');
const { existsSync } = require('node:fs');

/** A bench in a fresh process, so that its RSS, event loop and Node-RED runtime are its own. */
function runApart(name, env = {}) {
  const child = fork(require.resolve(`./${name}`), ['--report'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the ${name} bench exited with ${code} before reporting`)));
  });
}

(async () => {
  console.log('\n== poll CPU (SeqrClient vs raw POST)');
  const cpu = await pollCpu.run();
  console.log('\n== seqr-payment-status node watching 2,000 invoices at 1 Hz');
  const node = await runApart('status-node');
  console.log('\n== the same with the payment ledger in memory (what the journal file costs)');
  const nodeInMemory = await runApart('status-node', { BENCH_LEDGER: 'memory' });
  console.log('\n== payment ledger: 2,000 invoices through their whole life, journal file vs memory');
  const ledger = await ledgerBench.run();
  // Issue 14: the ledger in Redis, one instance and two (needs redis-server; skipped without it).
  const hasRedis = existsSync(process.env.SEQR_REDIS_SERVER || '/usr/bin/redis-server');
  if (hasRedis) console.log('\n== payment ledger in Redis: lifecycles beside file and memory; 2,000 open invoices on one instance and on two');
  const redis = hasRedis ? await redisLedgerBench.run() : undefined;
  console.log('\n== PAID latency: notification callback vs polling alone (1 s interval)');
  const latency = await runApart('notification-latency');
  const ms = (value) => value.toFixed(1) + ' ms';

  const rows = [
    ['client CPU per poll / raw POST', cpu.ratio.toFixed(2) + '×', '≤ ' + pollCpu.BUDGET + '×', cpu.ratio <= pollCpu.BUDGET],
    ['poll lateness p50', node.latenessP50Ms.toFixed(1) + ' ms', '', undefined],
    ['poll lateness p99', node.latenessP99Ms.toFixed(1) + ' ms', `≤ ${statusNode.TARGETS.latenessP99Ms} ms`, node.latenessP99Ms <= statusNode.TARGETS.latenessP99Ms],
    ['event-loop delay p99', node.eventLoopP99Ms.toFixed(1) + ' ms', `≤ ${statusNode.TARGETS.eventLoopP99Ms} ms`, node.eventLoopP99Ms <= statusNode.TARGETS.eventLoopP99Ms],
    ['peak RSS', node.rssMb.toFixed(0) + ' MB', `≤ ${statusNode.TARGETS.rssMb} MB`, node.rssMb <= statusNode.TARGETS.rssMb],
    ['polls per second', node.pollsPerSecond.toFixed(0), String(node.invoices), undefined],
    ['status node CPU, ledger file / memory', `${node.cpuPercent.toFixed(0)} % / ${nodeInMemory.cpuPercent.toFixed(0)} % of a core`, '', undefined],
    ['peak RSS, ledger file / memory', `${node.rssMb.toFixed(0)} / ${nodeInMemory.rssMb.toFixed(0)} MB`, '', undefined],
    ['ledger: 2,000 lifecycles CPU, file / memory', `${ledger.file.cpuMs.toFixed(0)} / ${ledger.memory.cpuMs.toFixed(0)} ms (${ledger.file.syncs} syncs)`, '', undefined],
    ...(redis
      ? [
        ['ledger: 2,000 lifecycles CPU, Redis / file', `${redis.inRedis.cpuMs.toFixed(0)} / ${redis.file.cpuMs.toFixed(0)} ms`, '', undefined],
        ['Redis leases at rest, 1 / 2 instances', `${redis.one.reports[0].callsPerSecond.toFixed(1)} / ${redis.two.reports.map((r) => r.callsPerSecond.toFixed(1)).join('+')} calls/s`, '', undefined],
        ['instance CPU for leases, 1 / 2 instances', `${redis.one.reports[0].cpuPercent.toFixed(2)} % / ${redis.two.reports.map((r) => r.cpuPercent.toFixed(2)).join('+')} %`, '', undefined],
        ['Redis CPU at rest, 1 / 2 instances', `${redis.one.redisCpuPercent.toFixed(2)} % / ${redis.two.redisCpuPercent.toFixed(2)} %`, '', undefined],
        ['takeover of 1,000 invoices after kill -9', `${redis.two.takeoverMs} ms`, '< 5000 ms', redis.two.takeoverMs < 5000],
      ]
      : []),
    ['emulator CPU per poll', node.emulatorCpuUsPerPoll.toFixed(0) + ' µs', '', undefined],
    ['outputs 1/2 (paid/failed)', String(node.outcomes), '0', node.outcomes === 0],
    ['PAID latency notified p50 / p90', `${ms(latency.notified.p50Ms)} / ${ms(latency.notified.p90Ms)}`, '', undefined],
    ['PAID latency notified p99', ms(latency.notified.p99Ms), `≤ ${notificationLatency.TARGETS.notifiedP99Ms} ms`, latency.notified.p99Ms <= notificationLatency.TARGETS.notifiedP99Ms],
    ['PAID latency notified max', ms(latency.notified.maxMs), '', undefined],
    ['PAID latency polled p50 / p99', `${ms(latency.polled.p50Ms)} / ${ms(latency.polled.p99Ms)}`, '', undefined],
  ];
  const mark = (ok) => (ok === undefined ? '' : ok ? 'pass' : 'FAIL');
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i].length), ['metric', 'measured', 'target'][i].length));
  const line = (cells) => cells.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd();
  console.log(`\n== Summary (${node.seconds} s status-node run, ${latency.payments} payments per latency flow; Node ${process.version})`);
  console.log(line(['metric', 'measured', 'target', 'result']));
  for (const row of rows) console.log(line([row[0], row[1], row[2], mark(row[3])]));
  process.exit(rows.some((row) => row[3] === false) ? 1 : 0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
