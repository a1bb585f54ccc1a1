/**
 * The crash suite's scenarios (issue 9, "What must show"): Node-RED killed with kill -9 at five moments of a
 * payment, the same five with SIGTERM, and three redeploys mid-payment. Customers pay before the crash, while
 * Node-RED is down and after it is back. Each scenario takes 20 or more payments through its own Node-RED.
 */
import { DELAY_MS } from './crash-flow';
import type { CrashRun } from './crash-run';
import { pause } from '../helpers/time';

export type Signal = 'SIGKILL' | 'SIGTERM';

export interface Scenario {
  /** Short id, e.g. K1; the table's first column. */
  id: string;
  title: string;
  /** A variant of the suite's flow. */
  flow?: { linked?: boolean };
  run(r: CrashRun): Promise<void>;
}

const INVOICES = 20;

/** Kills with `signal`, lets the customers pay `down` while Node-RED is down, starts it again. */
async function crashAndRestart(r: CrashRun, signal: Signal, down: () => string[], before?: () => void, downMs?: number): Promise<void> {
  const crashed = r.crash(signal);
  before?.();
  await pause(300);
  await r.pay(down());
  await crashed;
  await r.restart(downMs);
}

/** INVOICES checkouts, every QR code at the recorder; returns their references. */
async function checkouts(r: CrashRun): Promise<string[]> {
  r.buy(INVOICES);
  await r.waitIssued(INVOICES);
  return r.unpaid();
}

/**
 * SEQR has created the invoices but send invoice has not sent the QR message on: 20 sendInvoice answers are
 * held by the proxy, 10 are written and the kill comes 15 ms later, while Node-RED reads them. 10 invoices
 * issued earlier (payment status watches them) are paid before, during and after; 10 more after the restart
 * (invoices whose QR code never left cannot be paid, so this scenario tops up to reach 20 payments).
 */
function beforeQrLeaves(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    r.buy(10);
    await r.waitIssued(10);
    const earlier = r.unpaid();
    await r.waitWatching(earlier);
    await r.pay(earlier.slice(0, 4));
    await r.waitFor(() => earlier.slice(0, 4).every((ref) => r.recorder.outcomes(ref).length > 0), 10_000, 'the first 4 PAIDs at the recorder');
    r.proxy.holding = true;
    r.buy(INVOICES);
    await r.waitFor(() => r.proxy.heldCount >= INVOICES, 15_000, `${INVOICES} sendInvoice answers held at the proxy`);
    r.proxy.release(10);
    await pause(15);
    await crashAndRestart(
      r,
      signal,
      () => earlier.slice(4, 7),
      () => {
        // SEQR answers the rest while Node-RED goes down (a SIGTERM shutdown waits for calls under way).
        setTimeout(() => {
          r.proxy.release();
          r.proxy.holding = false;
        }, 200);
      },
    );
    await r.pay(r.unpaid());
    const issued = r.recorder.issued().length;
    r.buy(10);
    await r.waitIssued(issued + 10);
    await r.pay(r.unpaid());
  };
}

/** Every QR code out, every message still in the delay before payment status; 8 paid before, 6 down, 6 after. */
function betweenNodes(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.pay(refs.slice(0, 8));
    const firstQr = Math.min(...r.recorder.issued().map((record) => record.at));
    const age = Date.now() - firstQr;
    if (age > DELAY_MS - 200 || r.recorder.updates().length > 0) {
      r.notes.push(`the crash came ${age} ms after the first QR code (delay ${DELAY_MS} ms): some messages may have reached payment status`);
    }
    await crashAndRestart(r, signal, () => refs.slice(8, 14));
    await r.pay(refs.slice(14));
  };
}

/** Longer than SEQR's window: Node-RED is back 22 s after the crash (plus its start). */
const LONG_DOWN_MS = 22_000;

/**
 * 8 paid and fetched, then the crash and a restart slower than SEQR's window: the 6 who pay right after the crash
 * are reversed by SEQR whatever the package does, and it must say so once on output 2 with a reason; 6 pay after.
 */
function longerThanTheWindow(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    await r.pay(refs.slice(0, 8));
    await r.waitFor(() => refs.slice(0, 8).every((ref) => r.recorder.outcomes(ref).length > 0), 10_000, 'the first 8 PAIDs at the recorder');
    await crashAndRestart(r, signal, () => refs.slice(8, 14), undefined, LONG_DOWN_MS);
    await r.pay(refs.slice(14));
  };
}

/** A full deploy while every message waits in the delay between send invoice and payment status (it drops them). */
async function redeployBetweenNodes(r: CrashRun): Promise<void> {
  const refs = await checkouts(r);
  await r.pay(refs.slice(0, 7));
  r.phase = 'down';
  await Promise.all([r.redeploy('full'), r.pay(refs.slice(7, 14))]);
  r.phase = 'after';
  await pause(1000);
  await r.pay(refs.slice(14));
}

/** How long after sending a deploy each round lets a PAID answer reach payment status (ms). */
const ANSWER_AFTER_DEPLOY_MS = [0, 2, 4, 6, 8, 10, 12, 15, 20, 25];

/**
 * Deploys that land while payment status records a PAID: 10 rounds of 2 payments; the first PAID answer of each
 * round waits at the proxy until a full deploy has been sent, then goes on 0–25 ms later (each round another
 * delay), so that the node closes while it records the outcome, just before or just after.
 */
async function redeployWhileRecording(r: CrashRun): Promise<void> {
  const refs = await checkouts(r);
  await r.waitWatching(refs);
  for (const [round, delayMs] of ANSWER_AFTER_DEPLOY_MS.entries()) {
    let deploy: Promise<void> | undefined;
    r.proxy.beforeAnswer = (_request, answer) => {
      if (deploy || !PAID_ANSWER.test(answer)) return undefined;
      r.phase = 'down';
      deploy = r.redeploy('full');
      return pause(delayMs);
    };
    await r.pay(refs.slice(round * 2, round * 2 + 2));
    await r.waitFor(() => deploy !== undefined, 5000, `a PAID answer in round ${round + 1}`);
    r.proxy.beforeAnswer = () => undefined;
    await deploy;
    r.phase = 'before';
    await pause(300);
  }
  r.phase = 'after';
  await r.pay(refs.slice(ANSWER_AFTER_DEPLOY_MS.length * 2));
}

/** How long after a PAID answer leaves the proxy each round's kill -9 comes (ms). */
const KILL_AFTER_ANSWER_MS = [1, 2, 4, 6, 9, 12];
const PAID_ANSWER = /<(?:[\w-]+:)?status>PAID<\/(?:[\w-]+:)?status>/;

/**
 * kill -9 while payment status records a PAID (or has just sent it): 6 rounds of 2 payments, each killed 1–12 ms
 * after the round's first PAID answer left the proxy, one customer paying while down, then the restart; the
 * outcome recorded before the crash must come out after it (marked redelivered where it may have left already).
 */
function killWhileRecording(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    for (const [round, delayMs] of KILL_AFTER_ANSWER_MS.entries()) {
      let crashed: Promise<void> | undefined;
      let armed = true;
      r.proxy.beforeAnswer = (_request, answer) => {
        if (!armed || !PAID_ANSWER.test(answer)) return undefined;
        armed = false;
        setTimeout(() => (crashed = r.crash(signal)), delayMs);
        return undefined;
      };
      await r.pay(refs.slice(round * 2, round * 2 + 2));
      await r.waitFor(() => crashed !== undefined, 5000, `a PAID answer in round ${round + 1}`);
      r.proxy.beforeAnswer = () => undefined;
      crashed ??= r.crash(signal);
      await pause(200);
      await r.pay([refs[12 + round]]);
      await crashed;
      await r.restart(500);
    }
    await r.pay(refs.slice(18));
  };
}

/** payment status watches all 20, nobody has paid: 10 pay while Node-RED is down, 10 after. */
function whilePolling(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    await crashAndRestart(r, signal, () => refs.slice(0, 10));
    await r.pay(refs.slice(10));
  };
}

/** 4 paid and their PAIDs out, then 4 pay and the crash comes in the same tick; 6 pay while down, 6 after. */
function whileCustomersPay(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    await r.pay(refs.slice(0, 4));
    await r.waitFor(() => refs.slice(0, 4).every((ref) => r.recorder.outcomes(ref).length > 0), 10_000, 'the first 4 PAIDs at the recorder');
    await r.pay(refs.slice(4, 8));
    await crashAndRestart(r, signal, () => refs.slice(8, 14));
    await r.pay(refs.slice(14));
  };
}

/**
 * Customers pay one by one (250 ms apart); the recorder kills Node-RED the moment the first PAID reaches it,
 * before it even answers the http request node. 7 more pay while down, the rest after.
 */
function afterPaidSent(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    let crashed: Promise<void> | undefined;
    r.recorder.onRecord = (record) => {
      if (!crashed && record.kind === 'outcome' && record.status === 'PAID') crashed = r.crash(signal);
    };
    for (const ref of refs.slice(0, 8)) {
      if (crashed) break;
      await r.payOne(ref);
      await pause(250);
    }
    await r.waitFor(() => crashed !== undefined, 10_000, 'a PAID at the recorder');
    r.recorder.onRecord = () => undefined;
    crashed ??= r.crash(signal);
    await pause(300);
    await r.pay(r.unpaid().slice(0, 7));
    await crashed;
    await r.restart();
    await r.pay(r.unpaid());
  };
}

/**
 * Node-RED's localfilesystem cache writes a changed context 30 s after the change: this long after payment status
 * stored its first watch, the file holds them.
 */
const AFTER_FLUSH_MS = 32_000;

/**
 * As the previous, but the PAIDs go out after the context store's first flush has written the open watches: 6
 * customers pay, all 6 PAIDs reach the recorder, and the kill comes the moment the last one does. 7 pay while
 * down, 7 after.
 */
function afterPaidSentPastFlush(signal: Signal) {
  return async (r: CrashRun): Promise<void> => {
    const refs = await checkouts(r);
    await r.waitWatching(refs);
    const watchedAt = Math.min(...r.recorder.updates().map((record) => record.at));
    await pause(Math.max(0, watchedAt + AFTER_FLUSH_MS - Date.now()));
    const first = refs.slice(0, 6);
    let crashed: Promise<void> | undefined;
    r.recorder.onRecord = () => {
      if (!crashed && first.every((ref) => r.recorder.outcomes(ref).length > 0)) crashed = r.crash(signal);
    };
    for (const ref of first) {
      await r.payOne(ref);
      await pause(100);
    }
    await r.waitFor(() => crashed !== undefined, 10_000, 'the 6 PAIDs at the recorder');
    r.recorder.onRecord = () => undefined;
    crashed ??= r.crash(signal);
    await pause(300);
    await r.pay(refs.slice(6, 13));
    await crashed;
    await r.restart();
    await r.pay(refs.slice(13));
  };
}

/** Three deploys while payment status watches 20 invoices and customers pay before, during and after each. */
async function redeploys(r: CrashRun): Promise<void> {
  const refs = await checkouts(r);
  await r.waitWatching(refs);
  await r.pay(refs.slice(0, 3));
  // 1: a full deploy (every node restarts) while 3 customers pay.
  r.phase = 'down';
  await Promise.all([r.redeploy('full'), r.pay(refs.slice(3, 6))]);
  r.phase = 'before';
  await pause(1500);
  // 2: the status node edited (renamed) and deployed as "modified nodes", payments right before and after.
  await r.pay(refs.slice(6, 9));
  r.phase = 'down';
  await r.redeploy('nodes', 'payment status (renamed)');
  r.phase = 'before';
  await r.pay(refs.slice(9, 12));
  await pause(1500);
  // 3: full again, with payments just before and while it deploys.
  await r.pay(refs.slice(12, 15));
  r.phase = 'down';
  await Promise.all([r.redeploy('full', 'payment status (renamed)'), r.pay(refs.slice(15, 18))]);
  r.phase = 'after';
  await r.pay(refs.slice(18));
}

const MOMENTS: Array<[string, string, (signal: Signal) => (r: CrashRun) => Promise<void>]> = [
  ['1', 'before the QR message leaves send invoice', beforeQrLeaves],
  ['2', 'between send invoice and payment status', betweenNodes],
  ['3', 'while polling, nobody paid yet', whilePolling],
  ['4', 'while customers pay', whileCustomersPay],
  ['5', 'right after a PAID is sent', afterPaidSent],
];

export const SCENARIOS: Scenario[] = [
  ...MOMENTS.map(([n, moment, recipe]) => ({ id: `K${n}`, title: `kill -9 ${moment}`, run: recipe('SIGKILL') })),
  { id: 'K6', title: 'kill -9 right after PAIDs, past the file store\'s 30 s flush', run: afterPaidSentPastFlush('SIGKILL') },
  { id: 'K7', title: 'kill -9 between the nodes, joined by link nodes', flow: { linked: true }, run: betweenNodes('SIGKILL') },
  { id: 'K8', title: "kill -9, back after SEQR's 20 s window", run: longerThanTheWindow('SIGKILL') },
  { id: 'K9', title: 'kill -9 six times, 1-12 ms after a PAID answer', run: killWhileRecording('SIGKILL') },
  ...MOMENTS.map(([n, moment, recipe]) => ({ id: `T${n}`, title: `SIGTERM ${moment}`, run: recipe('SIGTERM') })),
  { id: 'R1', title: 'three redeploys mid-payment', run: redeploys },
  { id: 'R2', title: 'full redeploy between send invoice and payment status', run: redeployBetweenNodes },
  { id: 'R3', title: 'ten full redeploys while PAIDs are being recorded', run: redeployWhileRecording },
];
