import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  PaymentWatcher,
  type PaymentFailed,
  type PaymentPaid,
  type PaymentStatusSource,
  type PaymentWatcherEvents,
  type WatchedPaymentStatus,
} from '../src/watcher';

/**
 * A source whose answers and answer times the test scripts. Used only where the property under test is
 * timing or an exact sequence of SEQR answers the emulator cannot be made to produce on cue (a call that
 * overruns its slot, a cancel refused with 51 and then 50); everything else runs against the emulator below.
 */
type Step =
  | { delayMs?: number; status: string; version?: number; ersReference?: string }
  | { delayMs?: number; error: Error };

class ScriptedSource implements PaymentStatusSource {
  readonly calls: Array<{ operation: 'status' | 'cancel'; invoiceReference: string; version?: number; at: number }> = [];
  maxInFlight = 0;
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
    this.calls.push({ operation: 'status', invoiceReference, version, at: performance.now() });
    const step = this.statusScript.get(invoiceReference)?.shift() ?? this.defaultStep;
    return this.answer(step, () => ({
      status: 'status' in step ? step.status : '',
      version: 'status' in step ? step.version ?? 1 : 0,
      ersReference: 'status' in step ? step.ersReference : undefined,
      tokens: [],
    }));
  }

  cancelInvoice(invoiceReference: string): Promise<unknown> {
    this.calls.push({ operation: 'cancel', invoiceReference, at: performance.now() });
    const step = this.cancelScript.get(invoiceReference)?.shift() ?? { status: 'OK' };
    return this.answer(step, () => ({}));
  }

  statusCalls(ref: string): number[] {
    return this.calls.filter((c) => c.operation === 'status' && c.invoiceReference === ref).map((c) => c.at);
  }

  private async answer<T>(step: Step, value: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(step.delayMs ?? 1);
      if ('error' in step) throw step.error;
      return value();
    } finally {
      this.inFlight--;
    }
  }
}

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

  it('polls at a fixed rate from the planned times, without drift, echoing the last version', async () => {
    const source = new ScriptedSource();
    for (let v = 1; v <= 12; v++) source.onStatus('r1', { delayMs: 25, status: 'ISSUED', version: v });
    watcher = new PaymentWatcher(source, { intervalMs: 60 });
    watcher.watch('r1');
    await sleep(60 * 11);
    const starts = source.statusCalls('r1');
    assert.ok(starts.length >= 9, `only ${starts.length} polls`);
    // Fixed rate: the n-th poll starts n intervals after the first, not n × (interval + answer time).
    const drift = starts[8] - starts[0] - 8 * 60;
    assert.ok(Math.abs(drift) < 20, `drift ${drift.toFixed(1)} ms over 8 intervals`);
    const versions = source.calls.filter((c) => c.operation === 'status').map((c) => c.version);
    assert.deepEqual(versions.slice(0, 4), [0, 1, 2, 3]);
    assert.equal(source.maxInFlight, 1);
  });

  it('never has two calls in flight for one invoice: an overrunning poll is followed right after it', async () => {
    const source = new ScriptedSource();
    source.onStatus('slow', { delayMs: 130, status: 'ISSUED' }, { delayMs: 130, status: 'ISSUED' }, { delayMs: 5, status: 'ISSUED' });
    watcher = new PaymentWatcher(source, { intervalMs: 40 });
    watcher.watch('slow');
    await sleep(40 + 130 * 2 + 60);
    const starts = source.statusCalls('slow');
    assert.ok(starts.length >= 3);
    assert.ok(starts[1] - starts[0] >= 129 && starts[1] - starts[0] < 150, `gap ${starts[1] - starts[0]}`);
    assert.ok(starts[2] - starts[1] >= 129 && starts[2] - starts[1] < 150, `gap ${starts[2] - starts[1]}`);
    // After the fast answer, the schedule continues one interval later.
    if (starts.length > 3) assert.ok(starts[3] - starts[2] >= 38, `gap ${starts[3] - starts[2]}`);
    assert.equal(source.maxInFlight, 1);
  });

  it('spreads the first polls of watches started together over one interval', async () => {
    const source = new ScriptedSource();
    const intervalMs = 200;
    watcher = new PaymentWatcher(source, { intervalMs });
    const started = performance.now();
    for (let i = 0; i < 100; i++) watcher.watch(`spread-${i}`);
    await sleep(intervalMs + 30);
    const firsts = new Map<string, number>();
    for (const call of source.calls) if (!firsts.has(call.invoiceReference)) firsts.set(call.invoiceReference, call.at - started);
    assert.equal(firsts.size, 100, 'every watch polled within one interval');
    const buckets = new Array(10).fill(0);
    for (const at of firsts.values()) buckets[Math.min(9, Math.floor(at / (intervalMs / 10)))]++;
    // 100 watches over 10 buckets: a golden-ratio spread puts 9–11 in each.
    assert.ok(Math.max(...buckets) <= 14, `buckets ${buckets.join(',')}`);
  });

  it('a stopped watch whose call is in flight is revived, not doubled, when watched again', async () => {
    const source = new ScriptedSource();
    source.onStatus('again', { delayMs: 80, status: 'ISSUED' }, { delayMs: 5, status: 'PAID', version: 2, ersReference: 'E1' });
    watcher = new PaymentWatcher(source, { intervalMs: 30 });
    watcher.watch('again');
    while (source.statusCalls('again').length === 0) await sleep(2);
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
    assert.ok(source.calls.filter((c) => c.operation === 'cancel').length >= 3);
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
    await sleep(80);
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

