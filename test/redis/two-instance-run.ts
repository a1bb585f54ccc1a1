/**
 * The rig of the two-instance suite (issue 14): a real redis-server, the emulator as SEQR (in the test process,
 * so it outlives every kill), the crash suite's recorder and webshop flow, and two real Node-RED processes
 * running the same flows with the ledger in the same Redis, as two copies behind a load balancer do. The
 * customers' checkouts are spread over both; the scenario kills, stops and restarts them, and Redis.
 *
 * The emulator's own record is the ground truth, judged by the crash suite's rules (crash-run.ts `judge`).
 * Takeover time: for each invoice open on an instance when it went away, from then to the first getPaymentStatus
 * of it that the other instance sent (after the kill nobody else polls it).
 */
import * as path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { startEmulator, type EmulatorHandle } from '../../src/emulator';
import { NodeRedProcess } from '../helpers/node-red-process';
import { RedisServer } from '../helpers/redis-server';
import { crashFlow, type FlowNode } from '../crash/crash-flow';
import { ACK_WINDOW_MS, decidedAt, everyPaymentDecided, findingOf, followEmulatorLog, type InvoiceFinding, type Payment, type Phase } from '../crash/crash-run';
import { Recorder } from '../crash/recorder';
import { pause } from '../helpers/time';

const TERMINAL = { id: 'redis-suite-webshop', password: 'redis-suite-pw', name: 'Redis suite webshop', type: 'webshop' as const };
export const REDIS_PASSWORD = 'redis-suite-secret';

export type Instance = 'A' | 'B';

export interface TwoInstanceResult {
  findings: InvoiceFinding[];
  /** Invoices judged anything but ok (or 'not paid'). */
  bad: InvoiceFinding[];
  outcomes: number;
  redelivered: number;
  reversed: number;
  /** Seconds from an instance going away to the other's first poll of each invoice it had open. */
  takeoverSeconds: number[];
}

export class TwoInstanceRun {
  phase: Phase = 'before';
  readonly instances: Record<Instance, NodeRedProcess>;
  private readonly created: string[] = [];
  private readonly reversedRefs = new Set<string>();
  private readonly payments = new Map<string, Payment>();
  /** Invoice → the instance whose checkout created it (from the checkout page's answer). */
  readonly boughtAt = new Map<string, Instance>();
  /** Every getPaymentStatus the emulator answered, per invoice (time). */
  private readonly polls = new Map<string, number[]>();
  private readonly goneAt: Array<{ instance: Instance; at: number; open: string[] }> = [];
  private readonly requests: Array<Promise<unknown>> = [];
  private orders = 0;
  private lastPayAt = 0;
  /** The emulator's log lines, with the time since the run began. */
  log: string[] = [];

  private constructor(
    readonly name: string,
    readonly redis: RedisServer,
    readonly emu: EmulatorHandle,
    readonly recorder: Recorder,
    flows: FlowNode[],
  ) {
    const options = () =>
      new NodeRedProcess({
        flows,
        credentials: { 'crash-cfg': { principalId: TERMINAL.id, password: TERMINAL.password, redisPassword: REDIS_PASSWORD } },
        contextStorage: false,
      });
    this.instances = { A: options(), B: options() };
  }

  static async open(name: string): Promise<TwoInstanceRun> {
    const redis = new RedisServer(REDIS_PASSWORD);
    await redis.start();
    const log: string[] = [];
    const began = Date.now();
    const emu = await startEmulator({
      port: 0,
      ackWindowMs: ACK_WINDOW_MS,
      terminals: [TERMINAL],
      log: (line) => log.push(`+${((Date.now() - began) / 1000).toFixed(3)}s ${line}`),
    });
    const recorder = new Recorder();
    await recorder.start();
    // The crash suite's webshop, its configuration pointed at the emulator and at Redis.
    const flows = crashFlow({ endpoint: emu.url, recorderUrl: recorder.url }).map((node) =>
      node.id === 'crash-cfg' ? { ...node, ledgerBackend: 'redis', redisUrl: redis.url } : node,
    );
    const run = new TwoInstanceRun(name, redis, emu, recorder, flows);
    run.watchEmulator(log);
    await Promise.all([run.instances.A.start(30_000), run.instances.B.start(30_000)]);
    return run;
  }

  private watchEmulator(log: string[]): void {
    followEmulatorLog(log, this.created, this.reversedRefs);
    this.log = log;
    // Every status query, timed: what "polled again after the takeover" is measured by.
    const book = this.emu.core.invoices;
    const status = book.status.bind(book);
    book.status = (terminal, reference) => {
      if (reference) this.polls.set(reference, [...(this.polls.get(reference) ?? []), Date.now()]);
      return status(terminal, reference);
    };
  }

  /** `count` customers open the checkout on `instance` (not waited for: it may die with their page). */
  buy(instance: Instance, count: number): void {
    const url = this.instances[instance].url;
    for (let i = 0; i < count; i++) {
      const order = `${this.name}-${++this.orders}`;
      this.requests.push(
        fetch(`${url}/buy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order, amount: `${10 + this.orders}.00` }) })
          .then((response) => response.json() as Promise<{ invoiceReference?: string }>)
          .then((page) => {
            if (page.invoiceReference) this.boughtAt.set(page.invoiceReference, instance);
          })
          .catch(() => undefined),
      );
    }
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
      await pause(20);
    }
  }

  waitIssued(count: number): Promise<void> {
    return this.waitFor(() => this.recorder.issued().length >= count && this.boughtAt.size >= count, 20_000, `${count} QR codes`);
  }

  unpaid(instance?: Instance): string[] {
    return this.recorder
      .issued()
      .map((record) => record.invoiceReference)
      .filter((ref) => !this.payments.has(ref) && (instance === undefined || this.boughtAt.get(ref) === instance));
  }

  /** Customers pay these now with the payer API (the phone's scan and PIN), not waited for. */
  pay(refs: string[]): Promise<void> {
    return Promise.all(
      refs.map(async (ref) => {
        const qr = this.recorder.issued().find((record) => record.invoiceReference === ref)?.qrCode ?? ref;
        const payment: Payment = { phase: this.phase, at: Date.now() };
        this.payments.set(ref, payment);
        this.lastPayAt = payment.at;
        await this.emu.payer.pay(qr).catch((error: Error) => (payment.error = error.message));
      }),
    ).then(() => undefined);
  }

  waitOutcomes(refs: string[], timeoutMs = 15_000): Promise<void> {
    return this.waitFor(() => refs.every((ref) => this.recorder.outcomes(ref).length > 0), timeoutMs, `outcomes of ${refs.length} invoices`);
  }

  /** The instance goes away (kill -9, or Node-RED's own stop); its open invoices are noted for the takeover times. */
  async stop(instance: Instance, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const open = [...this.boughtAt].filter(([ref, at]) => at === instance && this.recorder.outcomes(ref).length === 0).map(([ref]) => ref);
    const gone = this.instances[instance].kill(signal);
    await gone;
    // From the moment it stopped polling: a SIGTERM's shutdown takes a moment of its own.
    this.goneAt.push({ instance, at: Date.now(), open });
  }

  async start(instance: Instance): Promise<void> {
    await this.instances[instance].start(30_000);
  }

  /** Every QR code has an outcome and SEQR holds no PAID waiting for a poll; then a little longer for late repeats. */
  async settle(): Promise<void> {
    const decided = decidedAt(this.lastPayAt);
    // What is still missing then is judged (lost) by analyse.
    await this.waitFor(() => everyPaymentDecided(this, this.created, decided), Math.max(decided + 10_000 - Date.now(), 8000), 'every payment decided').catch(() => undefined);
    // Late duplicates (a takeover's redelivery) come within a poll or two.
    await pause(2500);
  }

  analyse(): TwoInstanceResult {
    const issuedRefs = new Map(this.recorder.issued().map((record) => [record.invoiceReference, record]));
    const seen = { emu: this.emu, recorder: this.recorder, issuedRefs, reversedRefs: this.reversedRefs };
    const findings = this.created.map((ref) => findingOf(ref, seen, this.payments.get(ref)));
    const takeoverSeconds: number[] = [];
    for (const { at, open } of this.goneAt) {
      for (const ref of open) {
        const first = (this.polls.get(ref) ?? []).find((time) => time > at);
        // No poll after the stop: it had its outcome already (sent just before), judged above.
        if (first !== undefined) takeoverSeconds.push((first - at) / 1000);
      }
    }
    return {
      findings,
      bad: findings.filter((finding) => finding.verdict !== 'ok'),
      outcomes: findings.reduce((sum, finding) => sum + finding.outcomes.length, 0),
      redelivered: findings.reduce((sum, finding) => sum + finding.outcomes.filter((outcome) => outcome.redelivered).length, 0),
      reversed: findings.filter((finding) => finding.reversed).length,
      takeoverSeconds: takeoverSeconds.sort((a, b) => a - b),
    };
  }

  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, this.name);
    writeFileSync(`${base}-emulator.log`, `${this.log.join('\n')}\n`);
    writeFileSync(`${base}-A.log`, this.instances.A.output);
    writeFileSync(`${base}-B.log`, this.instances.B.output);
    writeFileSync(`${base}-redis.log`, this.redis.output);
    writeFileSync(`${base}-recorder.json`, JSON.stringify(this.recorder.records, null, 1));
  }

  async close(): Promise<void> {
    await Promise.all([this.instances.A.dispose(), this.instances.B.dispose()]);
    await Promise.allSettled(this.requests);
    await this.recorder.stop();
    await this.emu.stop();
    await this.redis.dispose();
  }
}

/** The p-th percentile (0..100) of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
