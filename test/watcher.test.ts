import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import {
  PaymentWatcher,
  POLL_START_CHANNEL,
  type PollStartMessage,
  type PaymentFailed,
  type PaymentPaid,
  type PaymentRetrying,
  type PaymentStatusSource,
  type PaymentUpdate,
  type PaymentWatcherEvents,
  type WatchedPaymentStatus,
  WatchRegistry,
} from '../src/watcher';
import { invoice, startRig, type Rig } from './helpers/seqr';
import { eventually, pause, withClockStopped } from './helpers/time';

/**
 * A source whose answers and answer times the test scripts. Used only where the property under test is
 * timing or an exact sequence of SEQR answers the emulator cannot be made to produce on cue (a call that
 * overruns its slot, a cancel refused with 51 and then 50); everything else runs against the emulator below.
 */
type Step =
  | { delayMs?: number; status: string; version?: number; ersReference?: string }
  | { delayMs?: number; error: Error };

interface ScriptedCall {
  operation: 'status' | 'cancel';
  invoiceReference: string;
  version?: number;
  /** When the call started and when its answer was given (monotonic ms). */
  at: number;
  endedAt?: number;
  /** For a timed poll: the time the watcher had planned it for (from POLL_START_CHANNEL). */
  plannedAt?: number;
}

class ScriptedSource implements PaymentStatusSource {
  readonly calls: ScriptedCall[] = [];
  maxInFlight = 0;
  /**
   * Subscribed to POLL_START_CHANNEL (observePollStarts): the watcher publishes there right before it calls
   * getPaymentStatus for a timed poll, so the call that follows learns the time it was planned for.
   * Assertions on planned times hold however late a busy machine runs the timers; only the watcher's own
   * arithmetic decides them (up to the few µs between the watcher's clock read and ours).
   */
  readonly onPollStart = (message: unknown): void => {
    const { invoiceReference, latenessMs } = message as PollStartMessage;
    this.nextPlannedAt.set(invoiceReference, performance.now() - latenessMs);
  };
  private readonly nextPlannedAt = new Map<string, number>();
  private inFlight = 0;
  private readonly statusScript = new Map<string, Step[]>();
  private readonly cancelScript = new Map<string, Step[]>();
  defaultStep: Step = { status: 'ISSUED', version: 1 };

  onStatus(ref: string, ...steps: Step[]): this {
    this.statusScript.set(ref, [...(this.statusScript.get(ref) ?? []), ...steps]);
    return this;
  }

  onCancel(ref: string, ...steps: Step[]): this {
    this.cancelScript.set(ref, [...(this.cancelScript.get(ref) ?? []), ...steps]);
    return this;
  }

  getPaymentStatus(invoiceReference: string, version: number): Promise<WatchedPaymentStatus> {
    const plannedAt = this.nextPlannedAt.get(invoiceReference);
    this.nextPlannedAt.delete(invoiceReference);
    const call: ScriptedCall = { operation: 'status', invoiceReference, version, at: performance.now(), plannedAt };
    this.calls.push(call);
    const step = this.statusScript.get(invoiceReference)?.shift() ?? this.defaultStep;
    return this.answer(call, step, () => ({
      status: 'status' in step ? step.status : '',
      version: 'status' in step ? step.version ?? 1 : 0,
      ersReference: 'status' in step ? step.ersReference : undefined,
      tokens: [],
    }));
  }

  cancelInvoice(invoiceReference: string): Promise<unknown> {
    const call: ScriptedCall = { operation: 'cancel', invoiceReference, at: performance.now() };
    this.calls.push(call);
    const step = this.cancelScript.get(invoiceReference)?.shift() ?? { status: 'OK' };
    return this.answer(call, step, () => ({}));
  }

  statusCalls(ref: string): ScriptedCall[] {
    return this.calls.filter((c) => c.operation === 'status' && c.invoiceReference === ref);
  }

  private async answer<T>(call: ScriptedCall, step: Step, value: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await pause(step.delayMs ?? 1);
      if ('error' in step) throw step.error;
      return value();
    } finally {
      this.inFlight--;
      call.endedAt = performance.now();
    }
  }
}

/** Sources whose onPollStart listens on POLL_START_CHANNEL during the current test. */
const observing = new Set<ScriptedSource>();
function observePollStarts(source: ScriptedSource): void {
  subscribe(POLL_START_CHANNEL, source.onPollStart);
  observing.add(source);
}
afterEach(() => {
  for (const source of observing) unsubscribe(POLL_START_CHANNEL, source.onPollStart);
  observing.clear();
});

/** The shape of a SeqrError (SEQR answered with a result code). */
function seqrCode(code: number, transient = code === 93 || code === 94): Error {
  return Object.assign(new Error(`SEQR test: result code ${code}`), { code, codeName: `CODE_${code}`, transient });
}

function once<K extends keyof PaymentWatcherEvents>(
  watcher: PaymentWatcher,
  name: K,
  ref: string,
): Promise<PaymentWatcherEvents[K][0]> {
  return new Promise((resolve) => {
    const listener = (event: PaymentWatcherEvents[K][0]) => {
      if ((event as { invoiceReference?: string }).invoiceReference !== ref) return;
      (watcher.off as (n: string, l: unknown) => void)(name, listener);
      resolve(event);
    };
    (watcher.on as (n: string, l: unknown) => void)(name, listener);
  });
}

/** The first outcome of a watch: which event and its payload. */
function outcome(watcher: PaymentWatcher, ref: string): Promise<{ event: 'paid'; paid: PaymentPaid } | { event: 'failed'; failed: PaymentFailed }> {
  return Promise.race([
    once(watcher, 'paid', ref).then((paid) => ({ event: 'paid' as const, paid })),
    once(watcher, 'failed', ref).then((failed) => ({ event: 'failed' as const, failed })),
  ]);
}

describe('PaymentWatcher scheduling (scripted source)', () => {
  let watcher: PaymentWatcher | undefined;
  afterEach(() => {
    watcher?.stopAll();
    watcher?.removeAllListeners();
    watcher = undefined;
  });

  /** Waits (up to 10 s, for a busy machine) until `ref` has had `count` status calls that answered. */
  async function answeredPolls(source: ScriptedSource, ref: string, count: number): Promise<ScriptedCall[]> {
    await eventually(() => {
      const answered = source.statusCalls(ref).filter((c) => c.endedAt !== undefined).length;
      assert.ok(answered >= count, `${answered} of ${count} polls answered`);
    }, 10000);
    return source.statusCalls(ref);
  }

  it('polls at a fixed rate from the planned times, without drift, echoing the last version', async () => {
    const source = new ScriptedSource();
    for (let v = 1; v <= 12; v++) source.onStatus('r1', { delayMs: 25, status: 'ISSUED', version: v });
    // 200 ms slots for 25 ms answers: a busy machine may run a timer late by well over 35 ms, which would
    // (rightly) move the plan of a poll whose slot had already passed.
    observePollStarts(source);
    watcher = new PaymentWatcher(source, { intervalMs: 200 });
    watcher.watch('r1');
    const polls = await answeredPolls(source, 'r1', 9);
    // Fixed rate: the n-th poll is planned exactly n intervals after the first, not n × (interval + answer time).
    for (let n = 1; n < 9; n++) {
      const drift = (polls[n].plannedAt as number) - (polls[0].plannedAt as number) - n * 200;
      assert.ok(Math.abs(drift) < 0.5, `poll ${n} planned ${drift} ms off the fixed rate`);
    }
    // And the polls really ran on that plan: a schedule drifting by the answer time would be 8 × 25 ms off;
    // the margin absorbs timers that a busy machine runs late.
    const drift = polls[8].at - polls[0].at - 8 * 200;
    assert.ok(Math.abs(drift) < 100, `drift ${drift.toFixed(1)} ms over 8 intervals`);
    const versions = source.calls.filter((c) => c.operation === 'status').map((c) => c.version);
    assert.deepEqual(versions.slice(0, 4), [0, 1, 2, 3]);
    assert.equal(source.maxInFlight, 1);
  });

  it('never has two calls in flight for one invoice: an overrunning poll is followed right after it', async () => {
    const source = new ScriptedSource();
    source.onStatus('slow', { delayMs: 130, status: 'ISSUED' }, { delayMs: 130, status: 'ISSUED' }, { delayMs: 5, status: 'ISSUED' });
    observePollStarts(source);
    watcher = new PaymentWatcher(source, { intervalMs: 40 });
    watcher.watch('slow');
    const polls = await answeredPolls(source, 'slow', 4);
    assert.equal(source.maxInFlight, 1);
    for (let n = 1; n < 4; n++) {
      assert.ok(polls[n].at >= (polls[n - 1].endedAt as number), `poll ${n} started before poll ${n - 1} answered`);
    }
    // An overrunning call (130 ms against a 40 ms interval) is followed as soon as its answer is handled
    // (the same turn of the event loop), not at a later slot of the old grid.
    for (const n of [1, 2]) {
      const afterAnswer = (polls[n].plannedAt as number) - (polls[n - 1].endedAt as number);
      assert.ok(afterAnswer >= 0 && afterAnswer < 20, `poll ${n} planned ${afterAnswer.toFixed(1)} ms after the overrunning answer`);
    }
    // After the fast answer the schedule continues one interval after the last plan.
    const next = (polls[3].plannedAt as number) - (polls[2].plannedAt as number);
    assert.ok(Math.abs(next - 40) < 0.5, `poll 3 planned ${next} ms after poll 2`);
  });

  it('spreads the first polls of watches started together over one interval', async () => {
    const source = new ScriptedSource();
    const intervalMs = 200;
    observePollStarts(source);
    const spreading = new PaymentWatcher(source, { intervalMs });
    watcher = spreading;
    // Fake clock: the 100 watches start at one instant. With the real clock, a loaded machine spent longer than a
    // bucket (20 ms) on this loop, and the later watches' first polls, planned from their own start, piled up in
    // the last bucket (issue 13: this failed under stress-ng).
    const { started, lastWatchAt } = withClockStopped(() => {
      const at = performance.now();
      for (let i = 0; i < 100; i++) spreading.watch(`spread-${i}`);
      // Each first poll comes within one interval of its own watch() call.
      return { started: at, lastWatchAt: performance.now() - at };
    });
    await eventually(() => assert.ok(new Set(source.calls.map((c) => c.invoiceReference)).size === 100, 'every watch polled'), 10000);
    // Planned times, not the times the timers ran: a busy machine runs timers late and in bursts.
    const firsts = new Map<string, number>();
    for (const call of source.calls) if (!firsts.has(call.invoiceReference)) firsts.set(call.invoiceReference, (call.plannedAt as number) - started);
    const buckets = new Array(10).fill(0);
    for (const at of firsts.values()) {
      assert.ok(at >= 0 && at <= lastWatchAt + intervalMs, `a first poll planned at ${at.toFixed(1)} ms, later than one interval`);
      buckets[Math.min(9, Math.floor(at / (intervalMs / 10)))]++;
    }
    // 100 watches over 10 buckets: a golden-ratio spread puts 9–11 in each.
    assert.ok(Math.max(...buckets) <= 14, `buckets ${buckets.join(',')}`);
  });

  it('publishes each timed poll start with its lateness on POLL_START_CHANNEL while someone subscribes', async () => {
    const source = new ScriptedSource();
    watcher = new PaymentWatcher(source, { intervalMs: 20 });
    const seen: PollStartMessage[] = [];
    const listener = (message: unknown) => seen.push(message as PollStartMessage);
    subscribe(POLL_START_CHANNEL, listener);
    try {
      watcher.watch('observed');
      await eventually(() => assert.ok(seen.length >= 3, `${seen.length} poll starts published`), 10000);
    } finally {
      unsubscribe(POLL_START_CHANNEL, listener);
    }
    assert.ok(seen.every((m) => m.invoiceReference === 'observed' && Number.isFinite(m.latenessMs) && m.latenessMs > -2));
    assert.ok(source.statusCalls('observed').length >= seen.length, 'one publication per poll, as it starts');
    const count = seen.length;
    await pause(60);
    assert.equal(seen.length, count, 'nothing is published once the subscriber leaves');
  });

  it('a stopped watch whose call is in flight is revived, not doubled, when watched again', async () => {
    const source = new ScriptedSource();
    source.onStatus('again', { delayMs: 80, status: 'ISSUED' }, { delayMs: 5, status: 'PAID', version: 2, ersReference: 'E1' });
    watcher = new PaymentWatcher(source, { intervalMs: 30 });
    watcher.watch('again');
    while (source.statusCalls('again').length === 0) await pause(2);
    assert.equal(watcher.stop('again'), true);
    assert.equal(watcher.isWatching('again'), false);
    const done = outcome(watcher, 'again');
    assert.equal(watcher.watch('again'), true);
    assert.equal(watcher.watch('again'), false, 'no double watch');
    const result = await done;
    assert.equal(result.event, 'paid');
    assert.equal(source.maxInFlight, 1);
  });

  it('when SEQR refuses the cancel because the payer is paying, polling goes on and PAID comes out', async () => {
    const source = new ScriptedSource();
    source.onStatus('race', { status: 'ISSUED' }, { status: 'ISSUED' }, { status: 'PAID', version: 3, ersReference: 'E-race' });
    source.onCancel('race', { error: seqrCode(51) }, { error: seqrCode(50) });
    watcher = new PaymentWatcher(source, { intervalMs: 20 });
    const refused: number[] = [];
    watcher.on('cancelRefused', (e) => refused.push(e.code));
    watcher.watch('race');
    await once(watcher, 'update', 'race');
    watcher.cancel('race');
    const result = await outcome(watcher, 'race');
    assert.equal(result.event, 'paid');
    assert.equal(result.event === 'paid' && result.paid.ersReference, 'E-race');
    assert.deepEqual(refused, [51, 50]);
    assert.equal(source.maxInFlight, 1);
  });

  it('after the deadline keeps retrying the cancel while SEQR is unreachable, then reports TIMEOUT uncancelled', async () => {
    const source = new ScriptedSource();
    const down = Object.assign(new Error('SEQR cancelInvoice: the connection was refused'), { kind: 'refused' });
    source.onCancel('gone', ...Array.from({ length: 50 }, () => ({ error: down })));
    watcher = new PaymentWatcher(source, { intervalMs: 20, giveUpAfterMs: 60, cancelGraceMs: 100 });
    watcher.watch('gone');
    const result = await outcome(watcher, 'gone');
    assert.equal(result.event, 'failed');
    if (result.event !== 'failed') return;
    assert.equal(result.failed.status, 'TIMEOUT');
    assert.equal(result.failed.cancelled, false);
    assert.match(result.failed.reason, /could not be cancelled/);
    assert.ok(source.calls.filter((c) => c.operation === 'cancel').length >= 3, 'the cancel was retried');
  });

  it('a listener that throws reaches the error event and the watch still ends cleanly', async () => {
    const source = new ScriptedSource();
    source.onStatus('boom', { status: 'PAID', ersReference: 'E' });
    watcher = new PaymentWatcher(source, { intervalMs: 20 });
    const errors: Error[] = [];
    watcher.on('error', (err) => errors.push(err));
    watcher.on('paid', () => {
      throw new Error('listener failed');
    });
    watcher.watch('boom');
    await pause(80);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, 'listener failed');
    assert.equal(watcher.size, 0);
  });

  it('rejects bad options and references with clear errors', () => {
    assert.throws(() => new PaymentWatcher(new ScriptedSource(), { intervalMs: 0 }), /intervalMs must be a positive/);
    assert.throws(() => new PaymentWatcher(new ScriptedSource(), { onDeadline: 'later' as never }), /onDeadline must be one of/);
    watcher = new PaymentWatcher(new ScriptedSource());
    assert.throws(() => watcher?.watch(''), /non-empty string/);
  });
});


describe('PaymentWatcher against the emulator', () => {
  let rig: Rig;
  let watcher: PaymentWatcher;
  const updates: PaymentUpdate[] = [];
  const retries: PaymentRetrying[] = [];

  before(async () => {
    // A short acknowledgement window against a 50 ms poll: any payment the watcher failed to fetch is reversed.
    rig = await startRig({ ackWindowMs: 600, defaultCommitTimeoutMs: 300 });
  });
  after(() => rig.stop());
  beforeEach(() => {
    updates.length = 0;
    retries.length = 0;
    watcher = new PaymentWatcher(rig.terminal, { intervalMs: 50, giveUpAfterMs: 5000 });
    watcher.on('update', (e) => updates.push(e));
    watcher.on('retrying', (e) => retries.push(e));
  });
  afterEach(() => {
    watcher.stopAll();
    watcher.removeAllListeners();
  });

  async function issue(input: Parameters<typeof invoice>[0] = '149.90'): Promise<string> {
    return (await rig.terminal.sendInvoice(invoice(input))).invoiceReference;
  }

  it('reports PAID with the ersReference and receipt, after ISSUED, and the payment stays paid', async () => {
    const ref = await issue();
    const done = outcome(watcher, ref);
    watcher.watch(ref);
    await once(watcher, 'update', ref);
    await rig.emu.payer.pay(ref);
    const result = await done;
    assert.equal(result.event, 'paid');
    if (result.event !== 'paid') return;
    assert.match(result.paid.ersReference ?? '', /^\d{25}$/);
    assert.equal(result.paid.receipt?.paymentReference, result.paid.ersReference);
    assert.deepEqual(result.paid.receipt?.invoice?.totalAmount, { currency: 'SEK', value: '149.90' });
    assert.deepEqual(updates.map((u) => [u.status, u.version]), [['ISSUED', 1]]);
    assert.equal(watcher.size, 0);
    // Past the acknowledgement window the emulator has not reversed it: the watcher's PAID read committed it.
    await pause(700);
    assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'PAID');
  });

  it('reports FAILED when the payer is declined and CANCELED when the payer cancels', async () => {
    const declined = await issue();
    const cancelled = await issue();
    const declinedOutcome = outcome(watcher, declined);
    const cancelledOutcome = outcome(watcher, cancelled);
    watcher.watch(declined);
    watcher.watch(cancelled);
    await rig.emu.payer.decline(declined);
    await rig.emu.payer.cancel(cancelled);
    const a = await declinedOutcome;
    const b = await cancelledOutcome;
    assert.equal(a.event === 'failed' && a.failed.status, 'FAILED');
    assert.equal(b.event === 'failed' && b.failed.status, 'CANCELED');
    assert.equal(b.event === 'failed' && b.failed.code, undefined);
  });

  it('shows RESERVED as an update and reports EXPIRED when the reservation is not committed', async () => {
    const ref = await issue({ amount: '80.00', paymentMode: 'RESERVATION_REQUIRED' });
    const done = outcome(watcher, ref);
    watcher.watch(ref);
    await rig.emu.payer.pay(ref);
    const result = await done;
    assert.equal(result.event === 'failed' && result.failed.status, 'EXPIRED');
    assert.deepEqual(updates.map((u) => u.status), ['RESERVED']);
  });

  it('shows a loyalty scan (PENDING_ISSUER_ACKNOWLEDGE) with the customer token as an update', async () => {
    const ref = await issue({ amount: '50.00', acknowledgmentMode: 'REQUIRE_ACKNOWLEDGMENT' });
    watcher.watch(ref);
    await once(watcher, 'update', ref);
    await rig.emu.payer.scan(ref, { loyaltyToken: { id: 'CLUB', value: '4711', description: 'Club card' } });
    const pending = await once(watcher, 'update', ref);
    assert.equal(pending.status, 'PENDING_ISSUER_ACKNOWLEDGE');
    assert.equal(pending.previousStatus, 'ISSUED');
    assert.equal(pending.tokens.length, 1);
    assert.equal(pending.tokens[0].value, '4711');
    assert.equal(pending.tokens[0].status, 0);
  });

  it('at the deadline with the cancel policy cancels the invoice and reports TIMEOUT', async () => {
    const ref = await issue();
    watcher.watch(ref, { giveUpAfterMs: 200 });
    const result = await outcome(watcher, ref);
    assert.equal(result.event, 'failed');
    if (result.event !== 'failed') return;
    assert.equal(result.failed.status, 'TIMEOUT');
    assert.equal(result.failed.cancelled, true);
    assert.equal(result.failed.invoiceStatus, 'CANCELED');
    assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'CANCELED');
  });

  it('at the deadline with the keep policy reports TIMEOUT, leaves the invoice open, and a new watch resumes it', async () => {
    const ref = await issue();
    watcher.watch(ref, { giveUpAfterMs: 200, onDeadline: 'keep' });
    const first = await outcome(watcher, ref);
    assert.equal(first.event === 'failed' && first.failed.status, 'TIMEOUT');
    assert.equal(first.event === 'failed' && first.failed.cancelled, false);
    assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'ISSUED');
    const second = outcome(watcher, ref);
    assert.equal(watcher.watch(ref), true);
    await rig.emu.payer.pay(ref);
    assert.equal((await second).event, 'paid');
  });

  it('cancel() cancels at SEQR and reports CANCELED', async () => {
    const ref = await issue();
    const done = outcome(watcher, ref);
    watcher.watch(ref);
    assert.equal(watcher.cancel(ref), true);
    const result = await done;
    assert.equal(result.event === 'failed' && result.failed.status, 'CANCELED');
    assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'CANCELED');
    assert.equal(watcher.cancel('not-watched'), false);
  });

  it('cancel() of an invoice SEQR already cancelled (95) reports CANCELED', async () => {
    const ref = await issue();
    watcher.watch(ref);
    await rig.terminal.cancelInvoice(ref);
    const done = outcome(watcher, ref);
    watcher.cancel(ref);
    const result = await done;
    assert.equal(result.event === 'failed' && result.failed.status, 'CANCELED');
  });

  it('stop() stops polling without cancelling', async () => {
    const ref = await issue();
    watcher.watch(ref);
    await once(watcher, 'update', ref);
    assert.equal(watcher.stop(ref), true);
    assert.equal(watcher.stop(ref), false);
    const outcomes: string[] = [];
    watcher.on('paid', (e) => outcomes.push(e.invoiceReference));
    await rig.emu.payer.pay(ref);
    await pause(150);
    assert.deepEqual(outcomes, []);
    assert.equal((await rig.emu.payer.invoices()).some((i) => i.invoiceReference === ref), false);
  });

  it('polls on through an outage and still delivers PAID within the acknowledgement window', async () => {
    const ref = await issue();
    const done = outcome(watcher, ref);
    watcher.watch(ref);
    await once(watcher, 'update', ref);
    await rig.emu.suspend();
    await rig.emu.payer.pay(ref);
    await pause(200);
    assert.ok(retries.filter((r) => r.invoiceReference === ref).length >= 2, 'retried while SEQR was away');
    assert.equal(watcher.isWatching(ref), true);
    await rig.emu.resume();
    const result = await done;
    assert.equal(result.event, 'paid');
    await pause(700);
    assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'PAID');
  });

  it("retries through SEQR's transient codes (93, 94) and ends with ERROR on any other code", async () => {
    const ref = await issue();
    watcher.watch(ref);
    await once(watcher, 'update', ref);
    rig.emu.failNext(2, 93);
    while (retries.length < 2) await once(watcher, 'retrying', ref);
    rig.emu.failNext(1, 94);
    await rig.emu.payer.pay(ref);
    const result = await outcome(watcher, ref);
    assert.equal(result.event, 'paid');
    assert.deepEqual(retries.map((r) => r.code), [93, 93, 94]);

    const other = await issue();
    const failed = outcome(watcher, other);
    watcher.watch(other);
    await once(watcher, 'update', other);
    rig.emu.failNext(1, 90);
    const error = await failed;
    assert.equal(error.event, 'failed');
    if (error.event !== 'failed') return;
    assert.equal(error.failed.status, 'ERROR');
    assert.equal(error.failed.code, 90);
    assert.equal(error.failed.codeName, 'SYSTEM_ERROR');
    assert.equal(error.failed.reason, 'SEQR reported an unclassified system error.');
  });

  it('watches 50 invoices at once and reports each exactly once', async () => {
    const refs = await Promise.all(Array.from({ length: 50 }, (_, i) => issue(`${10 + i}.00`)));
    const seen = new Map<string, string[]>();
    const record = (ref: string, what: string) => seen.set(ref, [...(seen.get(ref) ?? []), what]);
    watcher.on('paid', (e) => record(e.invoiceReference, 'PAID'));
    watcher.on('failed', (e) => record(e.invoiceReference, e.status));
    for (const ref of refs) assert.equal(watcher.watch(ref), true);
    assert.equal(watcher.size, 50);
    await Promise.all(refs.map((ref, i) => (i % 5 === 0 ? rig.emu.payer.decline(ref) : rig.emu.payer.pay(ref))));
    const deadline = Date.now() + 5000;
    while (watcher.size > 0 && Date.now() < deadline) await pause(20);
    await pause(100);
    assert.equal(seen.size, 50);
    refs.forEach((ref, i) => assert.deepEqual(seen.get(ref), [i % 5 === 0 ? 'FAILED' : 'PAID'], ref));
  });
});

describe('PaymentWatcher cancelling while the payer is paying (emulator with a slow bank)', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ processingMs: 250, ackWindowMs: 800 });
  });
  after(() => rig.stop());

  it('SEQR refuses the cancel (51), the watch goes on and PAID comes out', async () => {
    const watcher = new PaymentWatcher(rig.terminal, { intervalMs: 50 });
    const refused: number[] = [];
    watcher.on('cancelRefused', (e) => refused.push(e.code));
    try {
      const { invoiceReference: ref } = await rig.terminal.sendInvoice(invoice('42.00'));
      const done = outcome(watcher, ref);
      watcher.watch(ref);
      await once(watcher, 'update', ref);
      const paying = rig.emu.payer.pay(ref);
      watcher.cancel(ref);
      await paying;
      const result = await done;
      assert.equal(result.event, 'paid');
      assert.equal(refused[0], 51);
      await pause(900);
      assert.equal((await rig.terminal.getPaymentStatus(ref, 0)).status, 'PAID');
    } finally {
      watcher.stopAll();
    }
  });

  it('a payment under way at the deadline is not lost: the cancel is refused and PAID comes out, not TIMEOUT', async () => {
    const watcher = new PaymentWatcher(rig.terminal, { intervalMs: 50, giveUpAfterMs: 150 });
    const refused: number[] = [];
    watcher.on('cancelRefused', (e) => refused.push(e.code));
    try {
      const { invoiceReference: ref } = await rig.terminal.sendInvoice(invoice('43.00'));
      const done = outcome(watcher, ref);
      watcher.watch(ref);
      await once(watcher, 'update', ref);
      await rig.emu.payer.pay(ref); // in progress for 250 ms, across the deadline
      const result = await done;
      assert.equal(result.event, 'paid');
      assert.ok(refused.includes(51), `cancel refused with ${refused.join(', ')}`);
    } finally {
      watcher.stopAll();
    }
  });
});

describe('PaymentWatcher.pollNow and the watch registry', () => {
  let watcher: PaymentWatcher | undefined;
  afterEach(() => {
    watcher?.stopAll();
    watcher?.removeAllListeners();
    watcher = undefined;
  });

  it('polls at once between slots and leaves the fixed-rate plan where it was', async () => {
    const source = new ScriptedSource();
    observePollStarts(source);
    watcher = new PaymentWatcher(source, { intervalMs: 400 });
    watcher.watch('now');
    await eventually(() => assert.ok(source.statusCalls('now').some((c) => c.endedAt !== undefined), 'first poll answered'), 10000);
    assert.equal(watcher.pollNow('now'), true);
    const calls = source.statusCalls('now');
    assert.equal(calls.length, 2, 'the extra poll starts within pollNow (no call was in flight)');
    assert.equal(calls[1].plannedAt, undefined, 'not a timed poll');
    await eventually(() => assert.ok(source.statusCalls('now').length >= 3, 'the next timed poll came'), 10000);
    const timed = source.statusCalls('now').filter((c) => c.plannedAt !== undefined);
    const step = (timed[1].plannedAt as number) - (timed[0].plannedAt as number);
    assert.ok(Math.abs(step - 400) < 0.5, `the next timed poll was planned ${step.toFixed(1)} ms after the first, not moved`);
    assert.equal(source.maxInFlight, 1);
    assert.equal(watcher.pollNow('not-watched'), false);
  });

  it('with a call in flight, follows it right after its answer: never two calls at once', async () => {
    const source = new ScriptedSource();
    source.onStatus('busy', { delayMs: 150, status: 'ISSUED' }, { delayMs: 5, status: 'PAID', version: 2, ersReference: 'E-busy' });
    observePollStarts(source);
    watcher = new PaymentWatcher(source, { intervalMs: 5000 });
    const done = outcome(watcher, 'busy');
    watcher.watch('busy');
    watcher.pollNow('busy');
    assert.equal(source.statusCalls('busy').length, 1, 'the first (slow) poll is in flight');
    watcher.pollNow('busy');
    watcher.pollNow('busy');
    assert.equal(source.statusCalls('busy').length, 1, 'nothing starts while a call is in flight');
    const result = await done;
    assert.equal(result.event, 'paid', 'PAID from the poll after the slow one, long before the 5 s slot');
    const [first, second] = source.statusCalls('busy');
    assert.ok(second.at >= (first.endedAt as number), 'the extra poll started after the answer');
    assert.ok(second.at - (first.endedAt as number) < 1000, `and soon after it (${(second.at - (first.endedAt as number)).toFixed(1)} ms)`);
    assert.equal(source.maxInFlight, 1);
  });

  it('keeps pollNow polls of one invoice at least pollNowGapMs apart, however many requests come', async () => {
    const source = new ScriptedSource();
    watcher = new PaymentWatcher(source, { intervalMs: 10_000, pollNowGapMs: 100 });
    watcher.watch('flood');
    const started = performance.now();
    const flood = setInterval(() => watcher?.pollNow('flood'), 2);
    await pause(450);
    clearInterval(flood);
    const extra = source.statusCalls('flood').filter((c) => c.at >= started);
    assert.ok(extra.length >= 2 && extra.length <= 6, `${extra.length} polls in 450 ms of requests every 2 ms`);
    for (let n = 1; n < extra.length; n++) {
      const gap = extra[n].at - extra[n - 1].at;
      assert.ok(gap >= 99, `polls ${n - 1} and ${n} started ${gap.toFixed(1)} ms apart`);
    }
    assert.equal(source.maxInFlight, 1);
    assert.throws(() => new PaymentWatcher(source, { pollNowGapMs: -1 }), /pollNowGapMs must be a positive/);
  });

  it('registers each watch while it lasts: references to watchers, notification keys to references', async () => {
    const registry = new WatchRegistry();
    const source = new ScriptedSource();
    source.onStatus('reg', { status: 'ISSUED' }, { status: 'PAID', version: 2, ersReference: 'E-reg' });
    watcher = new PaymentWatcher(source, { intervalMs: 10_000, registry });
    const other = new PaymentWatcher(source, { intervalMs: 10_000, registry });
    try {
      watcher.watch('reg', { notificationKey: 'k-reg' });
      other.watch('other', { notificationKey: 'k-reg' });
      assert.equal(registry.referenceOf('k-reg'), 'reg', 'a key stays with the invoice that first held it');
      assert.equal(registry.isWatched('reg'), true);
      assert.equal(registry.pollNow('nobody'), 0);
      assert.equal(registry.pollNow('reg'), 1);
      await eventually(() => assert.ok(source.statusCalls('reg').some((c) => c.endedAt !== undefined), 'first poll answered'), 10000);
      const paid = outcome(watcher, 'reg');
      assert.equal(registry.pollNow(registry.referenceOf('k-reg') ?? ''), 1);
      assert.equal((await paid).event, 'paid');
      assert.equal(registry.isWatched('reg'), false);
      assert.equal(registry.referenceOf('k-reg'), undefined, 'the key goes with the watch');
      other.stop('other');
      assert.equal(registry.isWatched('other'), false);
    } finally {
      other.stopAll();
    }
  });
});

describe('PaymentWatcher.pollNow against the emulator', () => {
  let rig: Rig;
  let watcher: PaymentWatcher;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());
  beforeEach(() => {
    watcher = new PaymentWatcher(rig.terminal, { intervalMs: 10_000, giveUpAfterMs: 60_000 });
  });
  afterEach(() => {
    watcher.stopAll();
    watcher.removeAllListeners();
  });

  it('reports PAID right after pollNow, long before the next 10 s slot; on an unpaid invoice it reports nothing', async () => {
    const paidRef = (await rig.terminal.sendInvoice(invoice('12.00'))).invoiceReference;
    const unpaidRef = (await rig.terminal.sendInvoice(invoice('13.00'))).invoiceReference;
    const events: string[] = [];
    for (const name of ['paid', 'failed', 'update'] as const) {
      watcher.on(name, (e: { invoiceReference: string; status: string }) => events.push(`${e.invoiceReference} ${e.status}`));
    }
    const paid = once(watcher, 'paid', paidRef);
    watcher.watch(paidRef);
    watcher.watch(unpaidRef);
    // The first timed polls come within one 10 s interval: pollNow does not wait for them.
    await rig.emu.payer.pay(paidRef);
    const started = performance.now();
    watcher.pollNow(paidRef);
    watcher.pollNow(unpaidRef);
    await paid;
    const tookMs = performance.now() - started;
    assert.ok(tookMs < 3000, `PAID ${tookMs.toFixed(0)} ms after pollNow`);
    await pause(300);
    assert.ok(!events.includes(`${unpaidRef} PAID`), 'pollNow on an unpaid invoice reports no PAID');
    assert.ok(watcher.isWatching(unpaidRef), 'and the watch goes on');
  });
});
