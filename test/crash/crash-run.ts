/**
 * One crash scenario's rig, as a user's system has it: the emulator as SEQR and the customers' phones (in the
 * test process, so it outlives Node-RED), the hold proxy in front of it, the recorder, and a real Node-RED (the
 * CLI on a private userDir, our flow, a settings.js with or without a context store) that the scenario kills and
 * starts again on the same userDir. At the end the emulator's own records are the ground truth: every invoice it
 * created is checked against what the recorder saw.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../../src/emulator';
import { NodeRedProcess } from '../helpers/node-red-process';
import { AnswerHoldProxy } from './answer-hold-proxy';
import { crashFlow, type FlowNode } from './crash-flow';
import { Recorder, type IssuedRecord, type StatusRecord } from './recorder';
import { pause } from '../helpers/time';

/** SEQR reverses a PAID that no getPaymentStatus reported within this window (the emulator's default, kept). */
export const ACK_WINDOW_MS = 20_000;
/** How long Node-RED stays dead before it is started again (its own start adds a few seconds more). */
export const RESTART_PAUSE_MS = 2000;

const TERMINAL = { id: 'crash-suite-webshop', password: 'crash-suite-pw', name: 'Crash suite webshop', type: 'webshop' as const };

export type StorageMode = 'none' | 'localfilesystem';
export const STORAGE_MODES: Record<StorageMode, { label: string; contextStorage: Record<string, unknown> | false }> = {
  none: { label: "no contextStorage (Node-RED's default settings.js)", contextStorage: false },
  localfilesystem: { label: 'contextStorage: { default: { module: "localfilesystem" } } (README)', contextStorage: { default: { module: 'localfilesystem' } } },
};

export type Phase = 'before' | 'down' | 'after';

export interface Payment {
  phase: Phase;
  at: number;
  error?: string;
}

/** What became of one invoice SEQR created. */
export interface InvoiceFinding {
  invoiceReference: string;
  order?: string;
  /** The recorder saw its QR code leave send invoice. */
  issued: boolean;
  /** When the customer paid it (undefined: nobody paid). */
  paid?: Phase;
  payError?: string;
  /** The emulator's status at the end, whether a poll confirmed the PAID, whether SEQR reversed it. */
  seqrStatus: string;
  confirmed: boolean;
  reversed: boolean;
  outcomes: StatusRecord[];
  updates: number;
  /**
   * 'slow restart': SEQR reversed a payment made around the crash whose window ended before Node-RED was even
   * back, and the flow was told so on output 2 with a reason: all a package can do; counted apart.
   */
  verdict: 'ok' | 'lost' | 'doubled' | 'wrong' | 'not issued' | 'slow restart';
  why?: string;
}

export interface ScenarioResult {
  scenario: string;
  mode: StorageMode;
  invoices: number;
  issued: number;
  paid: number;
  lost: number;
  doubled: number;
  wrong: number;
  redelivered: number;
  reversed: number;
  notIssued: number;
  slowRestart: number;
  /** Seconds Node-RED was down, per crash. */
  downSeconds: number[];
  notes: string[];
  findings: InvoiceFinding[];
  failed: boolean;
  error?: string;
}

export class CrashRun {
  readonly notes: string[] = [];
  phase: Phase = 'before';
  killedAt = 0;
  /** When Node-RED's latest start finished. */
  nodeRedStartedAt = 0;
  private readonly created: string[] = [];
  private readonly reversedRefs = new Set<string>();
  private readonly payments = new Map<string, Payment>();
  private readonly downSeconds: number[] = [];
  private readonly restarts: Array<{ killedAt: number; backAt: number }> = [];
  private lastPayAt = 0;
  private orders = 0;
  private readonly requests: Array<Promise<unknown>> = [];
  private constructor(
    readonly scenario: string,
    readonly mode: StorageMode,
    readonly emu: EmulatorHandle,
    readonly proxy: AnswerHoldProxy,
    readonly nodeRed: NodeRedProcess,
    readonly recorder: Recorder,
    private readonly flow: (statusName?: string) => FlowNode[],
    /** The emulator's log lines, with the time since the scenario began. */
    readonly emulatorLog: string[],
    /** When the scenario began (the emulator's start): the logs count from here. */
    readonly startedAt: number,
  ) {}

  static async open(scenario: string, mode: StorageMode, flowOptions: { linked?: boolean } = {}): Promise<CrashRun> {
    const log: string[] = [];
    const began = Date.now();
    const emu = await startEmulator({
      port: 0,
      ackWindowMs: ACK_WINDOW_MS,
      terminals: [TERMINAL],
      log: (line) => log.push(`+${((Date.now() - began) / 1000).toFixed(3)}s ${line}`),
    });
    const proxy = new AnswerHoldProxy(new URL(emu.url));
    await proxy.start();
    const endpoint = `${proxy.origin}${new URL(emu.url).pathname}`;
    const recorder = new Recorder();
    await recorder.start();
    const flow = (statusName?: string) => crashFlow({ endpoint, recorderUrl: recorder.url, statusName, ...flowOptions });
    const nodeRed = new NodeRedProcess({
      flows: flow(),
      credentials: { 'crash-cfg': { principalId: TERMINAL.id, password: TERMINAL.password } },
      contextStorage: STORAGE_MODES[mode].contextStorage,
    });
    const run = new CrashRun(scenario, mode, emu, proxy, nodeRed, recorder, flow, log, began);
    run.watchEmulatorLog(log);
    await nodeRed.start(30_000);
    run.nodeRedStartedAt = Date.now();
    return run;
  }

  private watchEmulatorLog(log: string[]): void {
    followEmulatorLog(log, this.created, this.reversedRefs);
  }

  /** Invoices SEQR created so far. */
  get createdCount(): number {
    return this.created.length;
  }

  /** Customers open the checkout: `count` POST /buy, not waited for (a crash may leave them unanswered). */
  buy(count: number): void {
    const url = this.nodeRed.url;
    for (let i = 0; i < count; i++) {
      const order = `${this.scenario.split(' ')[0]}-${++this.orders}`;
      const amount = `${10 + this.orders}.00`;
      this.requests.push(
        fetch(`${url}/buy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order, amount }) })
          .then((response) => response.text())
          .catch(() => undefined),
      );
    }
  }

  async waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) {
        this.notes.push(`gave up waiting for ${what} after ${timeoutMs} ms`);
        return false;
      }
      await pause(20);
    }
    return true;
  }

  /** Waits until the recorder has seen `count` QR codes in all. */
  waitIssued(count: number, timeoutMs = 15_000): Promise<boolean> {
    return this.waitFor(() => this.recorder.issued().length >= count, timeoutMs, `${count} QR codes at the recorder`);
  }

  /** Waits until payment status reported (output 3) each of `refs`: it watches them. */
  waitWatching(refs: string[], timeoutMs = 15_000): Promise<boolean> {
    return this.waitFor(() => refs.every((ref) => this.recorder.updates(ref).length > 0), timeoutMs, `payment status to report ${refs.length} invoices on output 3`);
  }

  /** QR codes the recorder saw that no customer has paid yet (oldest first). */
  unpaid(): string[] {
    return this.recorder.issued().map((record) => record.invoiceReference).filter((ref) => !this.payments.has(ref));
  }

  /** Customers pay these invoices now, with the payer API (the phone's scan and PIN). */
  async pay(refs: string[]): Promise<void> {
    await Promise.all(refs.map((ref) => this.payOne(ref)));
  }

  async payOne(ref: string): Promise<void> {
    const qr = this.recorder.issued().find((record) => record.invoiceReference === ref)?.qrCode ?? ref;
    const payment: Payment = { phase: this.phase, at: Date.now() };
    this.payments.set(ref, payment);
    this.lastPayAt = payment.at;
    try {
      await this.emu.payer.pay(qr);
    } catch (error) {
      payment.error = (error as Error).message;
    }
  }

  /** Kills Node-RED with `signal`, sent in this very tick; resolves when the process is gone. */
  crash(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    this.phase = 'down';
    this.killedAt = Date.now();
    // A PAID a poll fetched whose outcome has not reached the recorder yet is in Node-RED at this moment.
    const inFlight = this.created.filter((ref) => this.emu.core.invoices.get(ref)?.paymentConfirmed && this.recorder.outcomes(ref).length === 0);
    if (inFlight.length > 0) this.notes.push(`at the ${signal} ${inFlight.length} PAID(s) were fetched by a poll but not yet at the recorder: ${inFlight.join(', ')}`);
    return this.nodeRed.kill(signal).then(() => undefined);
  }

  /** Starts Node-RED again on the same userDir after the pause; customers who pay from now on pay 'after'. */
  async restart(pauseMs = RESTART_PAUSE_MS): Promise<void> {
    await pause(pauseMs);
    await this.nodeRed.start(30_000);
    this.nodeRedStartedAt = Date.now();
    this.downSeconds.push((Date.now() - this.killedAt) / 1000);
    this.restarts.push({ killedAt: this.killedAt, backAt: this.nodeRedStartedAt });
    this.phase = 'after';
  }

  /** A deploy from the editor: POST /flows, the whole configuration ('full') or only changed nodes ('nodes'). */
  async redeploy(type: 'full' | 'nodes' | 'flows', statusName?: string): Promise<void> {
    const response = await fetch(`${this.nodeRed.url}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v1', 'Node-RED-Deployment-Type': type },
      body: JSON.stringify(this.flow(statusName)),
    });
    if (response.status !== 204 && response.status !== 200) throw new Error(`deploy answered ${response.status}: ${await response.text()}`);
  }

  /**
   * Waits until every QR code has an outcome at the recorder and SEQR holds no PAID waiting for a poll, then a
   * little longer for late duplicates; or, when something was lost, until SEQR's window has reversed it.
   */
  async settle(): Promise<void> {
    const decided = decidedAt(this.lastPayAt);
    await this.waitFor(() => everyPaymentDecided(this, this.created, decided), Math.max(decided + 15_000 - Date.now(), 8000), 'every payment confirmed or reversed by SEQR');
    const missing = this.recorder.issued().filter((record) => this.recorder.outcomes(record.invoiceReference).length === 0).length;
    if (missing > 0) this.notes.push(`${missing} QR code(s) without an outcome when SEQR's window had decided every payment`);
    // Late duplicates (a redelivery after the restart) come within a poll or two.
    await pause(2500);
  }

  /** A payment made near a crash whose 20 s ended (less a poll) before Node-RED had started again. */
  private windowEndedWhileDown(paidAt: number): boolean {
    return this.restarts.some(({ killedAt, backAt }) => paidAt >= killedAt - 1500 && paidAt + ACK_WINDOW_MS < backAt + 1000);
  }


  analyse(error?: string): ScenarioResult {
    const issuedRefs = new Map(this.recorder.issued().map((record) => [record.invoiceReference, record]));
    const findings: InvoiceFinding[] = this.created.map((ref) => {
      const payment = this.payments.get(ref);
      const finding = findingOf(ref, { emu: this.emu, recorder: this.recorder, issuedRefs, reversedRefs: this.reversedRefs }, payment);
      if (finding.verdict === 'lost' && finding.reversed && payment && this.windowEndedWhileDown(payment.at)) {
        // Nothing could have fetched it; what the package owes is to say so, once, on output 2 (issue 9).
        const said = finding.outcomes.length === 1 && finding.outcomes[0].output === 2 && Boolean(finding.outcomes[0].reason);
        finding.verdict = said ? 'slow restart' : 'lost';
        finding.why = `paid ${((payment.at - this.killedAt) / 1000).toFixed(1)} s from the crash; SEQR's window ended before Node-RED was back` +
          (said ? `, reported on output 2: ${finding.outcomes[0].reason}` : ', and no single output-2 outcome with a reason said so');
      }
      return finding;
    });
    const count = (verdict: InvoiceFinding['verdict']) => findings.filter((finding) => finding.verdict === verdict).length;
    const result: ScenarioResult = {
      scenario: this.scenario,
      mode: this.mode,
      invoices: findings.length,
      issued: findings.filter((finding) => finding.issued).length,
      paid: findings.filter((finding) => finding.paid !== undefined).length,
      lost: count('lost'),
      doubled: count('doubled'),
      wrong: count('wrong'),
      redelivered: findings.reduce((sum, finding) => sum + finding.outcomes.filter((outcome) => outcome.redelivered).length, 0),
      reversed: findings.filter((finding) => finding.reversed).length,
      notIssued: count('not issued'),
      slowRestart: count('slow restart'),
      downSeconds: this.downSeconds,
      notes: [...this.notes, ...this.recorder.unreadable.map((body) => `recorder could not read ${body}`)],
      findings,
      failed: false,
      error,
    };
    // A redelivery is a second copy (the first reached the recorder) or the only one (the first died in the flow).
    const redelivered = findings.filter((finding) => finding.outcomes.some((outcome) => outcome.redelivered));
    const only = redelivered.filter((finding) => finding.outcomes.length === 1).length;
    if (redelivered.length > 0) result.notes.push(`invoices redelivered: ${redelivered.length - only} after a first copy reached the recorder, ${only} whose first copy died on its way through the flow`);
    result.failed = Boolean(error) || result.lost + result.doubled + result.wrong > 0;
    return result;
  }

  /** Writes the emulator's log, Node-RED's output and the recorder's records under `dir`, named by scenario. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `${this.mode}-${this.scenario.split(' ')[0]}`);
    writeFileSync(`${base}-emulator.log`, `${this.emulatorLog.join('\n')}\n`);
    writeFileSync(`${base}-node-red.log`, this.nodeRed.output);
    const records = this.recorder.records.map((record) => ({ ...record, at: `+${((record.at - this.startedAt) / 1000).toFixed(3)}s` }));
    writeFileSync(`${base}-recorder.json`, JSON.stringify({ killedAt: `+${((this.killedAt - this.startedAt) / 1000).toFixed(3)}s`, records }, null, 1));
  }

  async close(): Promise<void> {
    await this.nodeRed.dispose();
    await Promise.allSettled(this.requests);
    await this.proxy.stop();
    await this.recorder.stop();
    await this.emu.stop();
  }
}

/**
 * The rules: exactly one outcome per invoice a customer could pay, PAID exactly when SEQR kept the payment; a
 * second outcome only with msg.seqr.redelivered. An invoice whose QR code never left send invoice cannot have
 * been paid and is no loss, whatever became of it.
 */
/** SEQR's window decides every payment by the last one + ACK_WINDOW_MS; the slack is for timers late on a busy machine. */
export function decidedAt(lastPayAt: number): number {
  return lastPayAt + ACK_WINDOW_MS + 1000;
}

/**
 * SEQR holds no PAID waiting for a poll, and every QR code has an outcome at the recorder (or SEQR's window
 * has decided every payment, `decided`, so that what is missing now is lost).
 */
export function everyPaymentDecided(seen: { emu: EmulatorHandle; recorder: Recorder }, created: string[], decided: number): boolean {
  const waiting = created.some((ref) => {
    const invoice = seen.emu.core.invoices.get(ref);
    return invoice?.status === 'PAID' && !invoice.paymentConfirmed;
  });
  return !waiting && (Date.now() > decided || seen.recorder.issued().every((record) => seen.recorder.outcomes(record.invoiceReference).length > 0));
}

/** The emulator's log is its record of every invoice it created and every payment it reversed: collected as it grows. */
export function followEmulatorLog(log: string[], created: string[], reversedRefs: Set<string>): void {
  const push = log.push.bind(log);
  log.push = (...lines: string[]) => {
    for (const line of lines) {
      const issued = /^\S+ invoice (\d+) ISSUED \(v1\)/.exec(line);
      if (issued) created.push(issued[1]);
      const reversed = /^\S+ invoice (\d+) PAID -> CANCELED .*payment reversed/.exec(line);
      if (reversed) reversedRefs.add(reversed[1]);
    }
    return push(...lines);
  };
}

/** What became of invoice `ref`, judged: SEQR's own record beside what the recorder saw. */
export function findingOf(
  ref: string,
  seen: { emu: EmulatorHandle; recorder: Recorder; issuedRefs: Map<string, IssuedRecord>; reversedRefs: Set<string> },
  payment: Payment | undefined,
): InvoiceFinding {
  const invoice = seen.emu.core.invoices.get(ref);
  const outcomes = seen.recorder.outcomes(ref);
  const finding: InvoiceFinding = {
    invoiceReference: ref,
    order: seen.issuedRefs.get(ref)?.order ?? outcomes[0]?.order,
    issued: seen.issuedRefs.has(ref),
    paid: payment && !payment.error ? payment.phase : undefined,
    payError: payment?.error,
    seqrStatus: invoice?.status ?? 'unknown',
    confirmed: invoice?.paymentConfirmed ?? false,
    reversed: seen.reversedRefs.has(ref) || (invoice?.payment?.reversed ?? false),
    outcomes,
    updates: seen.recorder.updates(ref).length,
    verdict: 'ok',
  };
  judge(finding);
  return finding;
}

export function judge(finding: InvoiceFinding): void {
  const { outcomes } = finding;
  const unmarked = outcomes.filter((outcome) => !outcome.redelivered);
  const paidOutcomes = outcomes.filter((outcome) => outcome.status === 'PAID');
  const kept = finding.seqrStatus === 'PAID' && !finding.reversed;
  if (!finding.issued && finding.paid === undefined) {
    finding.verdict = 'not issued';
    if (outcomes.length > 0) finding.why = `no QR code left send invoice; outcome ${outcomes.map((o) => o.status).join(', ')} all the same`;
    return;
  }
  if (finding.reversed) {
    finding.verdict = 'lost';
    finding.why = 'SEQR reversed the payment: no poll fetched PAID within its window';
  } else if (outcomes.length === 0) {
    finding.verdict = 'lost';
    finding.why = kept ? 'paid and fetched by a poll, but no outcome reached the recorder' : 'no outcome at all';
  } else if (kept && paidOutcomes.length === 0) {
    finding.verdict = 'wrong';
    finding.why = `SEQR kept the payment but the flow got ${outcomes.map((o) => o.status).join(', ')}`;
  } else if (!kept && paidOutcomes.length > 0) {
    finding.verdict = 'wrong';
    finding.why = `PAID reached the flow but SEQR says ${finding.seqrStatus}`;
  } else if (unmarked.length > 1) {
    finding.verdict = 'doubled';
    finding.why = `${unmarked.length} outcomes without msg.seqr.redelivered`;
  } else if (new Set(outcomes.map((o) => `${o.status}/${o.ersReference ?? ''}`)).size > 1) {
    finding.verdict = 'wrong';
    finding.why = `outcomes disagree: ${outcomes.map((o) => o.status).join(', ')}`;
  } else if (finding.paid === undefined && finding.issued) {
    // Nobody paid a QR code we handed out (a scenario's customer did not get to it): an outcome is all we ask.
    finding.why = 'not paid by a customer';
  }
}
