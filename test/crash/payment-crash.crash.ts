/**
 * Crash suite (issue 9): no paid invoice lost or doubled, whatever stops Node-RED. Every scenario runs twice,
 * with Node-RED's default settings.js (no contextStorage) and with the README's localfilesystem store, each on
 * its own Node-RED process and emulator; CRASH_PARALLEL of them at a time (default 3). Run with
 * `npm run test:crash`; CRASH_ONLY=K1,T3 picks scenarios, CRASH_MODES=none picks a storage mode.
 * The table is printed at the end, and every failing invoice with what the recorder saw.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CrashRun, STORAGE_MODES, type InvoiceFinding, type ScenarioResult, type StorageMode } from './crash-run';
import { SCENARIOS, type Scenario } from './scenarios';

const PARALLEL = Math.max(1, Number(process.env.CRASH_PARALLEL ?? 3));
const ONLY = (process.env.CRASH_ONLY ?? '').split(',').filter(Boolean);
const MODES = ((process.env.CRASH_MODES ?? '').split(',').filter(Boolean) as StorageMode[]).filter((mode) => mode in STORAGE_MODES);
const OUTPUT_DIR = path.resolve(__dirname, '..', '..', 'test-output');

interface Job {
  scenario: Scenario;
  mode: StorageMode;
  /** Settles when the scenario has run (it starts when a slot is free). */
  result: Promise<ScenarioResult>;
  start: () => void;
}

function job(scenario: Scenario, mode: StorageMode): Job {
  let start = () => undefined as void;
  const result = new Promise<ScenarioResult>((resolve) => {
    start = () => resolve(runScenario(scenario, mode));
  });
  return { scenario, mode, result, start: () => start() };
}

async function runScenario(scenario: Scenario, mode: StorageMode): Promise<ScenarioResult> {
  let run: CrashRun | undefined;
  try {
    run = await CrashRun.open(`${scenario.id} ${scenario.title}`, mode, scenario.flow);
    await scenario.run(run);
    await run.settle();
    return run.analyse();
  } catch (error) {
    if (run) return run.analyse(String((error as Error).stack ?? error));
    return { scenario: `${scenario.id} ${scenario.title}`, mode, invoices: 0, issued: 0, paid: 0, lost: 0, doubled: 0, wrong: 0, redelivered: 0, reversed: 0, notIssued: 0, slowRestart: 0, downSeconds: [], notes: [], findings: [], failed: true, error: String(error) };
  } finally {
    try {
      run?.writeLogs(path.join(OUTPUT_DIR, 'crash'));
    } catch {
      // Logs are for reading afterwards; a full disk must not hide the result.
    }
    await run?.close().catch(() => undefined);
  }
}

/** Starts the jobs CRASH_PARALLEL at a time, in order; each job's result is its own promise. */
function schedule(jobs: Job[]): void {
  let next = 0;
  const startNext = (): void => {
    const job = jobs[next++];
    if (!job) return;
    job.start();
    void job.result.then(startNext);
  };
  for (let i = 0; i < PARALLEL; i++) startNext();
}

function pad(text: string | number, width: number, right = false): string {
  const value = String(text);
  return right ? value.padStart(width) : value.padEnd(width);
}

function table(results: ScenarioResult[]): string {
  const head = ['scenario', 'invoices', 'paid', 'lost', 'doubled', 'redelivered', 'reversed', 'not issued', 'slow restart', 'down s'];
  const widths = [52, 8, 5, 5, 8, 11, 8, 10, 12, 10];
  const line = (cells: Array<string | number>) => cells.map((cell, i) => pad(cell, widths[i], i > 0)).join(' | ');
  const rows = results.map((result) =>
    line([
      `${result.failed ? '✗' : '✓'} ${result.scenario}`.slice(0, widths[0]),
      result.invoices,
      result.paid,
      result.lost,
      result.doubled + result.wrong,
      result.redelivered,
      result.reversed,
      result.notIssued,
      result.slowRestart,
      result.downSeconds.map((s) => s.toFixed(1)).join(',') || '-',
    ]),
  );
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows].join('\n');
}

function describeFinding(finding: InvoiceFinding): string {
  const outcomes = finding.outcomes.length === 0
    ? 'nothing'
    : finding.outcomes
      .map((o) => `output ${o.output} ${o.status}${o.ersReference ? ` ers ${o.ersReference}` : ''}${o.redelivered ? ' redelivered' : ''}${o.resumed ? ' resumed' : ''}${o.order ? ` order ${o.order}` : ''}`)
      .join('; ');
  const paid = finding.paid ? `paid ${finding.paid === 'down' ? 'while Node-RED was down' : finding.paid === 'before' ? 'before the crash' : 'after the restart'}` : finding.payError ? `pay failed: ${finding.payError}` : 'not paid';
  return (
    `    ${finding.verdict.toUpperCase()} ${finding.invoiceReference}${finding.order ? ` (${finding.order})` : ''}: ${paid}; SEQR ${finding.seqrStatus}` +
    `${finding.confirmed ? ' (fetched by a poll)' : ''}${finding.reversed ? ' (reversed)' : ''}; ${finding.updates} update(s); recorder saw ${outcomes}` +
    `${finding.why ? ` — ${finding.why}` : ''}`
  );
}

function report(mode: StorageMode, results: ScenarioResult[]): string {
  const lines = [`\nCrash suite, ${STORAGE_MODES[mode].label}:`, table(results)];
  for (const result of results) {
    const bad = result.findings.filter((finding) => finding.verdict !== 'ok' && finding.verdict !== 'not issued');
    const odd = result.findings.filter((finding) => finding.verdict === 'not issued' && finding.outcomes.length > 0);
    if (bad.length === 0 && odd.length === 0 && result.notes.length === 0 && !result.error) continue;
    lines.push(`  ${result.scenario}:`);
    for (const note of result.notes) lines.push(`    note: ${note}`);
    if (result.error) lines.push(`    error: ${result.error}`);
    for (const finding of [...bad, ...odd]) lines.push(describeFinding(finding));
  }
  return lines.join('\n');
}

describe('crash suite: no paid invoice lost or doubled, whatever stops Node-RED (issue 9)', function () {
  this.timeout(20 * 60_000);
  const modes: StorageMode[] = MODES.length > 0 ? MODES : ['none', 'localfilesystem'];
  const jobs: Job[] = [];
  for (const mode of modes) {
    for (const scenario of SCENARIOS) if (ONLY.length === 0 || ONLY.includes(scenario.id)) jobs.push(job(scenario, mode));
  }

  before(function () {
    schedule(jobs);
  });

  after(async function () {
    const settled = await Promise.all(jobs.map((scheduled) => scheduled.result));
    const text = modes
      .map((mode) => report(mode, settled.filter((result) => result.mode === mode)))
      .join('\n');
    console.log(text);
    mkdirSync(OUTPUT_DIR, { recursive: true });
    writeFileSync(path.join(OUTPUT_DIR, 'crash-suite.txt'), `${text}\n`);
    writeFileSync(path.join(OUTPUT_DIR, 'crash-suite.json'), JSON.stringify(settled, null, 2));
  });

  for (const mode of modes) {
    describe(STORAGE_MODES[mode].label, function () {
      for (const scheduled of jobs.filter((candidate) => candidate.mode === mode)) {
        it(`${scheduled.scenario.id} ${scheduled.scenario.title}: one outcome per payable invoice, none reversed, none doubled without redelivered`, async function () {
          const result = await scheduled.result;
          assert.equal(result.error, undefined, result.error);
          const bad = result.findings.filter((finding) => ['lost', 'doubled', 'wrong'].includes(finding.verdict));
          assert.ok(
            !result.failed,
            `${result.lost} lost, ${result.doubled} doubled, ${result.wrong} wrong of ${result.paid} paid (${result.reversed} reversed by SEQR):\n${bad.map(describeFinding).join('\n')}`,
          );
          assert.ok(result.paid >= 20, `only ${result.paid} payments: the scenario did not reach 20`);
        });
      }
    });
  }
});
