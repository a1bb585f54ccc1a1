import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SeqrClient, buildInvoice } from '../src/seqr';
import { NODE_MODULES, TAB, helper, type FlowNode, type TestNode } from './helpers/node-red';

/*
 * Issue 10, "what must show": a seeded fuzz run of hostile messages into the send invoice, payment status and
 * refund nodes in a Node-RED runtime (node-red-node-test-helper) against the emulator on loopback: wrong types,
 * huge strings, deep nesting, lone surrogates, __proto__/constructor keys, NaN/Infinity, negative and exponent
 * amounts, Buffers, lists, null. Each message is built valid or invalid on purpose (the generator knows which
 * rule an invalid one breaks), and then:
 *   - nothing crashed: no uncaught exception or unhandled rejection, no TypeError/RangeError from a node;
 *   - every message ended exactly one way: a valid one with an output and done() (a Complete node), an invalid
 *     one at the Catch node (with msg.error.cause naming what was wrong, and a short msg.error.message);
 *   - the emulator holds exactly the invoices and refunds of the valid messages, each with the amount,
 *     currency and title that message asked for: none from invalid input;
 *   - Object.prototype was not polluted.
 * The seed is printed; SEQR_FUZZ_SEED=<seed> replays a run. Counts: SEQR_FUZZ_SCALE multiplies them (default 1).
 */

const SEED = process.env.SEQR_FUZZ_SEED ? Number(process.env.SEQR_FUZZ_SEED) >>> 0 : randomInt(2 ** 32);
const SCALE = Number(process.env.SEQR_FUZZ_SCALE ?? 1);
const COUNTS = { send: Math.round(10_000 * SCALE), status: Math.round(3_000 * SCALE), refund: Math.round(3_000 * SCALE) };
/** Messages in flight at once (the nodes take several at a time, as in a busy flow). */
const PARALLEL = 24;
const TERMINAL = { id: 'fuzz-terminal', password: 'Fuzz-pw-77aQ' };
const DEFAULT_TITLE = 'Fuzz till';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof makeRandom>;
function makeRandom(seed: number) {
  const next = prng(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

/** A chain of objects `depth` levels deep, built without recursion. */
function deep(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let level = root;
  for (let i = 1; i < depth; i++) level = (level.next = {}) as Record<string, unknown>;
  return root;
}

const HUGE_DIGITS = '7'.repeat(1_000_000);
const HUGE_TEXT = 'x'.repeat(300_000);
const WELL_FORMED_TEXTS = ['Coffee', 'Kaffe & bulle', 'Räksmörgås', 'Cake \ud83c\udf70', '\u2615 to go', 'Ta\u00dfe', '日本茶', 'a "quoted" <tag>'];
const LONE_SURROGATES = ['Cake \ud83c', '\udf70 slice', 'x\ud800y', '\udfff'];

/** Values that are never an amount: each breaks a documented rule (type, exponent, sign, decimals, size…). */
function badAmount(r: Random): unknown {
  return r.pick<() => unknown>([
    () => null,
    () => true,
    () => Number.NaN,
    () => Number.POSITIVE_INFINITY,
    () => Number.NEGATIVE_INFINITY,
    () => 0,
    () => -r.int(1, 10_000) / 100,
    () => 0.1 + 0.2,
    () => 1e21,
    () => '',
    () => '   ',
    () => 'abc',
    () => `${r.int(1, 9)}e${r.int(1, 5)}`,
    () => `${r.int(1, 99)},${r.int(10, 99)}`,
    () => `-${r.int(1, 999)}`,
    () => '0.00',
    () => `${r.int(1, 99)}.${r.int(10, 99)}${r.int(1, 9)}`,
    () => '9'.repeat(r.int(16, 40)),
    () => HUGE_DIGITS,
    () => `${r.int(1, 99)}\ud800`,
    () => `5.00\u0000`,
    () => Buffer.from('12.50'),
    () => [12.5],
    () => ({ value: '12.50' }),
    () => 5n,
    () => new Date(),
  ])();
}

/** A well-formed amount with its expected wire value in SEK-like currencies. */
function goodAmount(r: Random): { input: number | string; value: string } {
  const cents = r.int(1, 9_999_999);
  const value = (cents / 100).toFixed(2);
  if (r.chance(0.3)) return { input: Math.round(cents / 100) || 1, value: (Math.round(cents / 100) || 1).toFixed(2) };
  return { input: r.chance(0.5) ? value : ` ${value} `, value };
}

interface Generated {
  msg: Record<string, unknown>;
  valid: boolean;
  /** For a valid send invoice or refund: what must arrive at the emulator. */
  expect?: { value: string; currency: string; title?: string };
  /** Which rule an invalid message breaks (for the failure report). */
  why: string;
}

function sendInvoiceMessage(r: Random): Generated {
  if (r.chance(0.4)) {
    // Valid, sometimes with harmless hostile extras that must change nothing.
    const amount = goodAmount(r);
    const currency = r.pick(['SEK', 'EUR', 'USD', 'NOK', 'JPY']);
    const value = currency === 'JPY' ? String(Math.max(1, Math.round(Number(amount.value)))) : amount.value;
    const title = r.chance(0.5) ? r.pick(WELL_FORMED_TEXTS) : undefined;
    let payload: unknown;
    const shape = r.int(0, 4);
    if (shape === 0 && currency === 'SEK') payload = amount.input;
    else if (shape === 1) payload = { amount: value, currency, ...(title ? { title } : {}), rows: [{ description: 'all of it', total: value }] };
    else if (shape === 2) payload = JSON.parse(`{"amount":"${value}","currency":"${currency}"${title ? `,"title":${JSON.stringify(title)}` : ''},"__proto__":{"amount":"1.00","title":"polluted"},"constructor":{"prototype":{"polluted":true}}}`);
    else payload = { amount: currency === 'JPY' ? Number(value) : amount.input, currency, ...(title ? { title } : {}), cashierId: 'Fuzz' };
    const msg: Record<string, unknown> = { payload, topic: r.pick(['', 'sale', undefined, 5]) };
    if (r.chance(0.1)) msg.extra = deep(r.int(1, 100));
    if (r.chance(0.1)) msg.blob = Buffer.alloc(r.int(0, 10_000));
    // A bare amount carries no title: the node's own applies.
    const bare = shape === 0 && currency === 'SEK';
    return { msg, valid: true, expect: { value, currency, title: bare ? DEFAULT_TITLE : (title ?? DEFAULT_TITLE) }, why: 'valid' };
  }
  const invalid: Array<() => Generated> = [
    () => ({ msg: { payload: badAmount(r) }, valid: false, why: 'payload is no amount' }),
    () => ({ msg: { payload: { amount: badAmount(r), currency: 'SEK' } }, valid: false, why: 'amount' }),
    () => ({ msg: {}, valid: false, why: 'no payload' }),
    () => ({ msg: { payload: {} }, valid: false, why: 'empty object' }),
    () => ({ msg: { payload: JSON.parse('{"__proto__":{"amount":"5.00"}}') }, valid: false, why: '__proto__ only' }),
    () => ({ msg: { payload: { amount: '5.00', currency: r.pick(['sek', 'XXX', 'SE', 5, {}, 'S'.repeat(100_000)]) } }, valid: false, why: 'currency' }),
    () => ({ msg: { payload: { amount: '5.00', title: r.pick([...LONE_SURROGATES, 'x'.repeat(101), HUGE_TEXT, 'bell\u0007', 5, ['t']]) } }, valid: false, why: 'title' }),
    () => ({ msg: { payload: { amount: '5.00', rows: r.pick<unknown>(['rows', 5, {}, [null], [{ total: '4.00' }], [{ quantity: -1, unitPrice: '5.00' }], [{ description: '\ud800', total: '5.00' }]]) } }, valid: false, why: 'rows' }),
    () => ({ msg: { payload: { amount: '5.00', paymentMode: r.pick(['LATER', 5, {}]) } }, valid: false, why: 'paymentMode' }),
    () => ({ msg: { payload: { amount: '5.00', issueDate: r.pick(['yesterday', 5, {}, 5n]) } }, valid: false, why: 'issueDate' }),
    () => ({ msg: { payload: { amount: '5.00', notificationUrl: r.pick(['ftp://x', 'not a url', 'http://\ud800.example/']) } }, valid: false, why: 'notificationUrl' }),
    () => ({ msg: { payload: deep(r.int(101, 6000)) }, valid: false, why: 'payload too deep' }),
    () => ({ msg: { payload: '5.00', extra: deep(r.int(101, 6000)) }, valid: false, why: 'another property too deep' }),
    () => ({ msg: { payload: [1, 2, 3] }, valid: false, why: 'a list' }),
    () => ({ msg: { payload: Buffer.from('5.00') }, valid: false, why: 'a Buffer' }),
  ];
  return r.pick(invalid)();
}

function paymentStatusMessage(r: Random): Generated {
  if (r.chance(0.15)) {
    // A well-formed reference SEQR does not know: the watch ends on the failed output (54), done() is called.
    const reference = String(r.int(10 ** 9, 2 ** 31));
    const at = r.int(0, 2);
    const msg = at === 0 ? { payload: reference } : at === 1 ? { payload: { invoiceReference: reference } } : { seqr: { invoiceReference: reference }, payload: badAmount(r) };
    return { msg: { ...msg, topic: r.pick(['', 'stop', undefined]) }, valid: true, why: 'valid' };
  }
  const junk = r.pick<() => unknown>([
    () => r.pick<unknown>([null, true, Number.NaN, 12345, -1, 5n, new Date(), Buffer.from('123'), [], {}]),
    () => '',
    () => 'with space',
    () => 'x'.repeat(129),
    () => HUGE_TEXT,
    () => r.pick(LONE_SURROGATES),
    () => ({ invoiceReference: r.pick<unknown>([null, 12345, '', 'a b', {}, '\ud800']) }),
    () => JSON.parse('{"__proto__":{"invoiceReference":"123"}}'),
    () => deep(r.int(101, 6000)),
    () => [r.int(1, 100)],
    () => Buffer.from('123'),
    () => undefined,
  ])();
  const msg: Record<string, unknown> = r.chance(0.2) ? { seqr: { invoiceReference: junk } } : { payload: junk };
  msg.topic = r.pick(['', 'stop', 'cancel', 5, {}]);
  return { msg, valid: false, why: 'reference' };
}

function refundMessage(r: Random, ersReference: string): Generated {
  if (r.chance(0.4)) {
    const cents = r.int(1, 100);
    const value = (cents / 100).toFixed(2);
    const payload = r.chance(0.3) ? JSON.parse(`{"ersReference":"${ersReference}","amount":"${value}","__proto__":{"amount":"999.00"}}`) : { ersReference, amount: r.chance(0.5) ? value : cents / 100, currency: 'SEK' };
    return { msg: { payload }, valid: true, expect: { value, currency: 'SEK' }, why: 'valid' };
  }
  const invalid: Array<() => Generated> = [
    () => ({ msg: { payload: { ersReference, amount: badAmount(r) } }, valid: false, why: 'amount' }),
    () => ({ msg: { payload: { ersReference: r.pick<unknown>(['', 'has space', 'x'.repeat(129), HUGE_TEXT, 5, null, {}, '1\ud800', Buffer.from('1')]), amount: '1.00' } }, valid: false, why: 'ersReference' }),
    () => ({ msg: { payload: { ersReference, amount: '1.00', currency: r.pick(['sek', 'XXX', 'EUR']) } }, valid: false, why: 'currency (EUR: not the payment currency, SEQR 49)' }),
    () => ({ msg: { payload: badAmount(r) }, valid: false, why: 'payload' }),
    () => ({ msg: { payload: deep(r.int(101, 6000)) }, valid: false, why: 'payload too deep' }),
    () => ({ msg: { payload: { ersReference: String(r.int(10 ** 9, 2 ** 31)), amount: '1.00' } }, valid: false, why: 'unknown ersReference (SEQR refuses)' }),
    () => ({ msg: { payload: JSON.parse(`{"__proto__":{"ersReference":"${ersReference}","amount":"1.00"}}`) }, valid: false, why: '__proto__ only' }),
  ];
  return r.pick(invalid)();
}

/** How one message ended: counts, the invoice reference of an output, and each Catch message's text (cut short) and cause type. */
interface Outcome {
  outputs: number;
  reference?: string;
  caught: Array<{ message: string; length: number; causeType?: string }>;
  completed: number;
  /** How many outcomes there were when the message was checked. */
  checked: number;
}

function forgetSpyCalls(): void {
  for (const spy of Object.values(helper._NodePrototype)) spy.resetHistory?.();
  helper.log()?.resetHistory?.();
}

describe('fuzz: hostile messages into send invoice, payment status and refund', function () {
  this.timeout(600_000);
  let emu: EmulatorHandle;
  const created: Array<{ reference: string; value: string; currency: string }> = [];

  before(async function () {
    emu = await startEmulator({
      port: 0,
      terminals: [{ ...TERMINAL, type: 'webshop' }],
      log: (line) => {
        const issued = /^invoice (\S+) ISSUED \(v1\) (\S+) (\S+) at fuzz-terminal$/.exec(line);
        if (issued) created.push({ reference: issued[1], value: issued[2], currency: issued[3] });
      },
    });
    await helper.startServer();
  });
  after(async function () {
    await helper.unload();
    await helper.stopServer();
    await emu?.stop();
  });

  it(`${COUNTS.send} send invoice, ${COUNTS.status} payment status and ${COUNTS.refund} refund messages: no crash, every rejection caught, nothing made from invalid input`, async function () {
    console.log(`      fuzz seed ${SEED} (replay with SEQR_FUZZ_SEED=${SEED})`);
    const r = makeRandom(SEED);
    const placed = (node: FlowNode): FlowNode => ({ x: 100, y: 100, z: TAB.id, ...node });
    const flow: FlowNode[] = [
      TAB,
      // A generous call timeout: what is checked is how each message ends, and with the suite's parallel workers
      // on a loaded machine a call to the emulator in this process has taken over 5 s (issue 13).
      { id: 'cfg', type: 'seqr-config', endpoint: emu.url, principalType: 'TERMINALID', timeout: 30_000 },
      placed({ id: 'send', type: 'seqr-send-invoice', seqr: 'cfg', title: DEFAULT_TITLE, currency: 'SEK', wires: [['out']] }),
      placed({ id: 'status', type: 'seqr-payment-status', seqr: 'cfg', interval: 100, giveUpAfter: 5, wires: [['out'], ['out'], ['out']] }),
      placed({ id: 'refund', type: 'seqr-refund', seqr: 'cfg', wires: [['out']] }),
      placed({ id: 'out', type: 'helper' }),
      placed({ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }),
      placed({ id: 'caught', type: 'helper' }),
      placed({ id: 'completer', type: 'complete', scope: ['send', 'status', 'refund'], uncaught: false, wires: [['completed']] }),
      placed({ id: 'completed', type: 'helper' }),
    ];
    await helper.load([NODE_MODULES.config, NODE_MODULES.sendInvoice, NODE_MODULES.paymentStatus, NODE_MODULES.refund], flow, {
      cfg: { principalId: TERMINAL.id, password: TERMINAL.password },
    });

    // One paid payment, large enough for every valid refund.
    const till = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...TERMINAL } });
    const { invoiceReference } = await till.sendInvoice(buildInvoice('100000.00', { currency: 'SEK', title: 'to refund' }));
    await emu.payer.pay(invoiceReference);
    const paid = await till.getPaymentStatus(invoiceReference, 1);
    till.close();
    const ersReference = paid.ersReference!;
    created.length = 0;

    const crashes: string[] = [];
    const onCrash = (err: unknown) => crashes.push(String((err as Error)?.stack ?? err));
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);

    // Only counts and short texts are kept per message (16,000 messages with their huge and deep parts would
    // take gigabytes); each message is checked as soon as it has ended, while it is still at hand.
    const outcomes = new Map<number, Outcome>();
    const waiting = new Map<number, () => void>();
    const settle = (id: number) => waiting.get(id)?.();
    (helper.getNode('out') as TestNode).on('input', ((msg: { fuzzId: number; payload?: { invoiceReference?: unknown } }) => {
      const outcome = outcomes.get(msg.fuzzId);
      if (!outcome) return;
      outcome.outputs += 1;
      outcome.reference = String(msg.payload?.invoiceReference);
    }) as never);
    (helper.getNode('caught') as TestNode).on('input', ((msg: { fuzzId: number; error: { message: string; cause?: { type?: string } } }) => {
      const message = String(msg.error.message);
      outcomes.get(msg.fuzzId)?.caught.push({ message: message.slice(0, 300), length: message.length, causeType: msg.error.cause?.type });
      settle(msg.fuzzId);
    }) as never);
    (helper.getNode('completed') as TestNode).on('input', ((msg: { fuzzId: number }) => {
      const outcome = outcomes.get(msg.fuzzId);
      if (outcome) outcome.completed += 1;
      settle(msg.fuzzId);
    }) as never);

    // Which node each message goes to, interleaved as a busy flow would send them.
    const targets: Array<'send' | 'status' | 'refund'> = [
      ...Array<'send'>(COUNTS.send).fill('send'),
      ...Array<'status'>(COUNTS.status).fill('status'),
      ...Array<'refund'>(COUNTS.refund).fill('refund'),
    ];
    for (let i = targets.length - 1; i > 0; i--) {
      const j = Math.floor(r.next() * (i + 1));
      [targets[i], targets[j]] = [targets[j], targets[i]];
    }

    const problems: string[] = [];
    const expectedInvoices: Array<{ reference: string; value: string; currency: string; title?: string }> = [];
    const expectedRefunds: string[] = [];
    let caughtCount = 0;
    let validCount = 0;

    /** Checks how message `id` ended; `msg` is what was sent. */
    function check(id: number, node: 'send' | 'status' | 'refund', generated: Generated, outcome: Outcome): void {
      const describe = () =>
        `#${id} ${node} (${generated.why}, seed ${SEED}: ${inspect(generated.msg, { depth: 3, maxStringLength: 40, maxArrayLength: 5, breakLength: Infinity })})`;
      for (const caught of outcome.caught) {
        if (/^(TypeError|RangeError|ReferenceError|SyntaxError)\b/.test(caught.message) || !caught.causeType) problems.push(`${describe()}: an unexpected error reached Catch: ${caught.message}`);
        if (caught.length > 2000) problems.push(`${describe()}: a ${caught.length}-character error message`);
      }
      if (generated.valid) {
        if (outcome.caught.length > 0) problems.push(`${describe()}: valid but caught: ${outcome.caught[0].message}`);
        if (outcome.completed !== 1) problems.push(`${describe()}: valid, done() ${outcome.completed} times`);
        if (node !== 'status' && outcome.outputs !== 1) problems.push(`${describe()}: valid, ${outcome.outputs} outputs`);
        if (node === 'send' && outcome.outputs === 1) expectedInvoices.push({ reference: outcome.reference!, ...generated.expect! });
        if (node === 'refund' && outcome.outputs === 1) expectedRefunds.push(generated.expect!.value);
      } else {
        if (outcome.caught.length !== 1) problems.push(`${describe()}: invalid, caught ${outcome.caught.length} times`);
        if (outcome.outputs !== 0 || outcome.completed !== 0) problems.push(`${describe()}: invalid, yet ${outcome.outputs} outputs and done() ${outcome.completed} times`);
      }
      outcome.checked = outcome.outputs + outcome.caught.length + outcome.completed;
    }

    const started = Date.now();
    let nextJob = 0;
    async function worker(): Promise<void> {
      while (nextJob < targets.length) {
        const id = nextJob++;
        const node = targets[id];
        // Made here, in id order (this runs without a pause from nextJob++ to receive), so a seed replays.
        const generated = node === 'send' ? sendInvoiceMessage(r) : node === 'status' ? paymentStatusMessage(r) : refundMessage(r, ersReference);
        if (generated.valid) validCount += 1;
        const outcome: Outcome = { outputs: 0, caught: [], completed: 0, checked: 0 };
        outcomes.set(id, outcome);
        const ended = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 60_000);
          waiting.set(id, () => {
            clearTimeout(timer);
            waiting.delete(id);
            resolve();
          });
        });
        helper.getNode(node).receive({ ...generated.msg, fuzzId: id });
        await ended;
        // A Catch or Complete node gets the message before the node's own output may have been counted.
        await new Promise((resolve) => setImmediate(resolve));
        check(id, node, generated, outcome);
        caughtCount += outcome.caught.length;
        // The test helper's spies remember every status, log and error call: forget them as we go.
        if (id % 500 === 0) forgetSpyCalls();
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    // Late arrivals (a second outcome for one message) would show here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    const seconds = (Date.now() - started) / 1000;
    for (const [id, outcome] of outcomes) {
      if (outcome.outputs + outcome.caught.length + outcome.completed !== outcome.checked) problems.push(`#${id} ${targets[id]}: another outcome came later`);
    }

    // The emulator holds exactly the valid messages' invoices and refunds, as those messages asked.
    const expectedReferences = new Set(expectedInvoices.map((invoice) => invoice.reference));
    for (const made of created) {
      if (!expectedReferences.has(made.reference)) problems.push(`invoice ${made.reference} (${made.value} ${made.currency}, "${emu.core.invoices.get(made.reference)?.data.wire.title}") at the emulator, from no valid message`);
    }
    const createdByReference = new Map(created.map((invoice) => [invoice.reference, invoice]));
    for (const expected of expectedInvoices) {
      const made = createdByReference.get(expected.reference);
      const data = emu.core.invoices.get(expected.reference)?.data;
      if (!made || made.value !== expected.value || made.currency !== expected.currency || data?.wire.title !== expected.title) {
        problems.push(`invoice ${expected.reference}: expected ${JSON.stringify(expected)}, the emulator has ${JSON.stringify({ ...made, title: data?.wire.title })}`);
      }
    }
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    const refunds = emu.core.ledger.transactions.filter((transaction) => transaction.kind === 'refund').map((refund) => refund.amount.neg().toFixed(2));
    assert.deepEqual([...refunds].sort(), [...expectedRefunds].sort(), 'the refunds at the emulator are those of the valid refund messages');

    assert.deepEqual(crashes, [], 'no uncaught exception or unhandled rejection');
    assert.equal(Object.keys(Object.prototype).length, 0, 'Object.prototype was not polluted');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    assert.equal(created.length, expectedInvoices.length, 'as many invoices at the emulator as valid send invoice messages');

    console.log(`      ${targets.length} messages in ${seconds.toFixed(1)} s: ${validCount} valid, ${caughtCount} caught; ${created.length} invoices and ${refunds.length} refunds at the emulator`);
    assert.ok(caughtCount >= targets.length - validCount, 'every invalid message reached the Catch node');
  });
});
