/**
 * How a SEQR node takes its messages and closes: refusing a message too large to copy, failing every message of
 * a node that cannot work, and serving messages that each make one SEQR call.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { InvoiceInputError } from '../seqr';
import { CLOSE_GRACE_MS, type SeqrConfigNode, type SeqrConfigProblem } from './config-types';
import { MAX_MESSAGE_DEPTH, MAX_MESSAGE_VALUES, oversizedProperties } from './message-limits';
import { SeqrConfigError, catchableError, failMessage, shortReason } from './node-errors';
import { STATUS } from './node-status';
import { sharedKey } from './shared-catalog';

/**
 * For a node that cannot work (no usable configuration, a bad setting): a red status now, and every input
 * message fails with `problem.message` so that a Catch node sees why. Deploy-time logging is the caller's
 * choice (the config node already logs its own problem once).
 */
export function failEveryInput(RED: NodeAPI, node: Node, problem: SeqrConfigProblem): void {
  node.status(STATUS.error(problem.status));
  const error = new SeqrConfigError(problem);
  node.on('input', (msg: NodeMessage, _send: unknown, done: (err?: Error) => void) => {
    if (!refusedOversized(RED, node, msg)) done(catchableError(error));
  });
}

/**
 * The input and close handling of a node that makes one SEQR call per message: `handle` runs for each message
 * (several at once), a blue `busy` status while any is under way, a failure goes to failMessage. On close, the
 * calls under way finish (up to CLOSE_GRACE_MS: their effect at SEQR is real, the answer tells it) before the
 * node releases the configuration's client.
 */
export function serveMessages(
  RED: NodeAPI,
  node: Node,
  config: SeqrConfigNode,
  busy: string,
  handle: (msg: NodeMessageInFlow, send: (msg: NodeMessage) => void) => Promise<void>,
): void {
  const inFlight = new Set<Promise<void>>();
  node.on('input', (msg: NodeMessageInFlow, send: (msg: NodeMessage) => void, done: (err?: Error) => void) => {
    if (refusedOversized(RED, node, msg)) return;
    if (inFlight.size === 0) node.status(STATUS.busy(busy));
    const call = handle(msg, send).then(
      () => done(),
      (err: unknown) => failMessage(RED, node, done, err),
    );
    const tracked = call.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  });
  node.on('close', (_removed: boolean, done: () => void) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    void Promise.race([Promise.allSettled([...inFlight]), gaveUp]).then(() => {
      clearTimeout(timer);
      config.release(node);
      done();
    });
  });
}

/**
 * The first thing each SEQR node does with a message: when it is too deep or too large to copy safely
 * (message-limits.ts), refuse it and return true. Then the error goes to Catch nodes on a shallow copy of the
 * message without the offending properties (Node-RED copies the message it is given for each Catch node, and
 * copying this one could overflow the stack and crash the runtime), with a red status; `done` is not called,
 * because done(err) would hand the whole message to that copy, and done() would copy it for Complete nodes.
 */
export function refusedOversized(RED: NodeAPI, node: Node, msg: NodeMessage): boolean {
  const oversized = oversizedProperties(msg);
  if (oversized.length === 0) return false;
  const { property, problem } = oversized[0];
  const sentence = RED._(sharedKey(`common.errors.${problem === 'depth' ? 'too-deep' : 'too-large'}`), {
    property,
    max: problem === 'depth' ? MAX_MESSAGE_DEPTH : MAX_MESSAGE_VALUES,
    left: oversized.map((found) => `msg.${found.property}`).join(', '),
  });
  const error = catchableError(new InvoiceInputError(property, sentence));
  const copy: Record<string, unknown> = { ...msg };
  for (const found of oversized) delete copy[found.property];
  node.status(STATUS.error(shortReason(RED, error)));
  node.error(error, copy);
  return true;
}
