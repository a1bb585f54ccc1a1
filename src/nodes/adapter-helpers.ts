/**
 * What every SEQR node adapter needs besides its own logic: finding its seqr-config node, reading a typedInput,
 * turning a failure into an error a Catch node can use, and the status shapes. One copy, used by all nodes.
 *
 * Strings shared by all nodes live in the seqr-config catalog (`nodes/locales/<lang>/seqr-config.json`, section
 * `common`); `sharedKey` names them so that RED._ finds them from any node's namespace.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { InvoiceInputError, SeqrError, SeqrTransportError, buildInvoice, type InvoiceDefaults, type TransportErrorKind } from '../seqr';
import { CLOSE_GRACE_MS, SEQR_CONFIG_TYPE, type SeqrConfigNode, type SeqrConfigProblem } from './config-types';
import { MAX_MESSAGE_DEPTH, MAX_MESSAGE_VALUES, oversizedProperties } from './message-limits';
import { FOREIGN_MESSAGE_LENGTH, isRecord, quoteInput, shortened } from '../values';

const PACKAGE_NAME = (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string }).name;

/** A key in the seqr-config catalog, usable with RED._ from any node of this package (`<module>/<set>:key`). */
export function sharedKey(key: string): string {
  return `${PACKAGE_NAME}/${SEQR_CONFIG_TYPE}:${key}`;
}

// ---------------------------------------------------------------------------------------------------------
// The config node

/** A configuration that cannot be used: thrown by `acquire`, handed to `done` for every input of its users. */
export class SeqrConfigError extends Error {
  override readonly name = 'SeqrConfigError';
  readonly field: string;
  readonly status: string;
  constructor(problem: SeqrConfigProblem) {
    super(problem.message);
    this.field = problem.field;
    this.status = problem.status;
  }
}

/**
 * The seqr-config node a node refers to (its `seqr` property), or the problem that stops it being used: none
 * selected, or one whose settings are incomplete (`config.problem`).
 */
export function useSeqrConfig(
  RED: NodeAPI,
  configId: string | undefined,
): { config: SeqrConfigNode; problem?: undefined } | { config?: undefined; problem: SeqrConfigProblem } {
  const found = configId ? (RED.nodes.getNode(configId) as SeqrConfigNode | null) : null;
  if (!found || found.type !== SEQR_CONFIG_TYPE || typeof found.acquire !== 'function') {
    return {
      problem: {
        field: 'seqr',
        message: RED._(sharedKey('common.errors.no-config')),
        status: RED._(sharedKey('common.status.no-config')),
      },
    };
  }
  return found.problem ? { problem: found.problem } : { config: found };
}

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
 * The problem with a node's invoice settings (title, currency, cashier…), or undefined when they make a valid
 * invoice on their own. A message may override them, but a wrong setting is a mistake to fix in the editor,
 * not per message.
 */
export function invoiceSettingsProblem(RED: NodeAPI, defaults: InvoiceDefaults): SeqrConfigProblem | undefined {
  try {
    buildInvoice(1, defaults);
    return undefined;
  } catch (err) {
    if (!(err instanceof InvoiceInputError)) throw err;
    return {
      field: err.field,
      message: RED._(sharedKey('common.errors.bad-setting'), { error: err.message }),
      status: RED._(sharedKey('common.status.bad-setting'), { field: err.field }),
    };
  }
}

/**
 * The start of a node that calls SEQR: its configuration when usable, and, for a node that builds invoices, its
 * invoice settings valid. Otherwise undefined, with the node failing every input (a bad setting is also logged;
 * the config node logs its own problems).
 */
export function usableConfig(RED: NodeAPI, node: Node, configId: string | undefined, defaults?: InvoiceDefaults): SeqrConfigNode | undefined {
  const found = useSeqrConfig(RED, configId);
  if (found.config === undefined) {
    failEveryInput(RED, node, found.problem);
    return undefined;
  }
  const setting = defaults && invoiceSettingsProblem(RED, defaults);
  if (setting) {
    node.error(setting.message);
    failEveryInput(RED, node, setting);
    return undefined;
  }
  return found.config;
}

// ---------------------------------------------------------------------------------------------------------
// Messages

export { isRecord, isValidReference } from '../values';

/** The invoice reference a message carries: msg.seqr.invoiceReference, msg.payload.invoiceReference or msg.payload. */
export function invoiceReferenceOf(msg: NodeMessage): unknown {
  const seqr = (msg as { seqr?: unknown }).seqr;
  if (isRecord(seqr) && seqr.invoiceReference !== undefined) return seqr.invoiceReference;
  const payload = msg.payload;
  if (isRecord(payload) && payload.invoiceReference !== undefined) return payload.invoiceReference;
  return payload;
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

// ---------------------------------------------------------------------------------------------------------
// typedInput

/** Node-RED's typedInput types whose value comes from a message or a context. */
export type TypedInputType = 'msg' | 'flow' | 'global' | 'env' | 'str' | 'num' | 'json' | 'bool' | 'jsonata' | 'date' | 'bin';

/**
 * Reads a typedInput (`value` of `type`) for this message: `msg.<value>`, a flow/global context value (any
 * store, asynchronously), an environment variable or a literal. Rejects with the runtime's own error for an
 * unreadable expression (bad JSON, a bad property path).
 */
export function evaluateTypedInput(RED: NodeAPI, node: Node, value: string, type: string, msg: NodeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null | undefined, result: unknown) => {
        if (err) reject(boundedError(err));
        else resolve(result);
      });
    } catch (err) {
      // Literal types (num, json) throw synchronously on a bad value.
      reject(boundedError(err));
    }
  });
}

/** The runtime's error, its message cut to FOREIGN_MESSAGE_LENGTH: JSONata's messages may quote the input. */
function boundedError(err: unknown): Error {
  if (err instanceof Error && err.message.length <= FOREIGN_MESSAGE_LENGTH) return err;
  // JSONata throws plain objects with a message.
  const message = isRecord(err) && typeof err.message === 'string' ? err.message : typeof err === 'string' ? err : quoteInput(err);
  return new Error(shortened(message, FOREIGN_MESSAGE_LENGTH));
}

/** How a typedInput is shown in a message to the user: `msg.payload`, `flow.amount`, `env.AMOUNT`, "the node's value". */
export function describeTypedInput(RED: NodeAPI, value: string, type: string): string {
  if (type === 'msg' || type === 'flow' || type === 'global') return `${type}.${value}`;
  if (type === 'env') return `env.${value}`;
  return RED._(sharedKey('common.label.literal'));
}

// ---------------------------------------------------------------------------------------------------------
// Errors for Catch nodes

/**
 * What a Catch node shows as `msg.error.cause` (Node-RED copies an error's own `message`, `stack`, `cause` and,
 * since 4.1, `code` into `msg.error`; see copyErrorCodeOnOldRuntimes). Plain data, so it survives the message
 * being cloned downstream.
 */
export type SeqrErrorCause =
  | { type: 'refused'; operation: string; code: number; codeName: string; transient: boolean }
  | {
      type: 'transport';
      operation: string;
      kind: TransportErrorKind;
      /** The same call may succeed later (the service was unreachable, busy or slow). */
      retryable: boolean;
      /**
       * The request may have reached SEQR and taken effect although no answer came (a timeout, a reset, an HTTP
       * error): false only when it surely did not (refused, unknown host, TLS handshake, SOAP fault, closed).
       */
      maybeProcessed: boolean;
      statusCode?: number;
      errorCode?: string;
    }
  /** `hint`: a short sentence for the cashier, where the node has one (cashier-hints.ts). */
  | { type: 'input'; field: string; hint?: string }
  | { type: 'config'; field: string };

/** The error handed to `done`: `code` is SEQR's result code when SEQR refused, `cause` the details above. */
export interface CatchableError extends Error {
  code?: number;
  cause: SeqrErrorCause | undefined;
}

/** The error a CatchableError was made from (kept off the enumerable properties Node-RED copies). */
const ORIGINAL = Symbol('original error');

/**
 * Turns what a layer threw into the error a node passes to `done(err)`: its message (already free of secrets;
 * `message` replaces it when the node has a better sentence), SEQR's result code as `code`, and the details
 * as `cause`, so a Catch node gets `msg.error.code` (e.g. 20) and `msg.error.cause.codeName`
 * (`AUTHENTICATION_FAILED`). The name stays the original's, so `msg.error.message` reads "SeqrError: …".
 * Given a CatchableError and no new message, returns it unchanged.
 */
export function catchableError(err: unknown, message?: string): CatchableError {
  if (message === undefined && err instanceof Error && ORIGINAL in err) return err as CatchableError;
  const original = originalError(err);
  const base = original instanceof Error ? original : new Error(typeof original === 'string' ? shortened(original, FOREIGN_MESSAGE_LENGTH) : quoteInput(original));
  const cause = causeOf(base);
  const result = new Error(message ?? base.message, cause ? { cause } : undefined) as CatchableError;
  result.name = base.name;
  if (base instanceof SeqrError) result.code = base.code;
  Object.defineProperty(result, ORIGINAL, { value: base });
  return result;
}

/** The label of the hook below (one per runtime: Node-RED refuses a label twice). */
const ERROR_CODE_HOOK = 'onReceive.seqrErrorCode';

/**
 * Node-RED copies an error's `code` into a Catch node's `msg.error` only since 4.1 (node-red#5081); 3.1 and 4.0
 * copy `message`, `stack` and `cause`. On those, an onReceive hook sets `msg.error.code` from the cause of this
 * package's refusals as a Catch node receives them, so the documented `msg.error.code` holds on every Node-RED
 * the package supports. On 4.1+ nothing is registered (no cost per message there).
 */
export function copyErrorCodeOnOldRuntimes(RED: NodeAPI): void {
  const runtime = RED as unknown as { version?: () => string; hooks?: { has(id: string): boolean; add(id: string, hook: (event: unknown) => void): void } };
  const version = /^(\d+)\.(\d+)\./.exec(typeof runtime.version === 'function' ? String(runtime.version()) : '');
  if (!version || Number(version[1]) > 4 || (Number(version[1]) === 4 && Number(version[2]) >= 1)) return;
  if (!runtime.hooks || runtime.hooks.has(ERROR_CODE_HOOK)) return;
  runtime.hooks.add(ERROR_CODE_HOOK, (event) => {
    const { msg, destination } = event as { msg?: { error?: unknown }; destination?: { node?: { type?: string } } };
    if (destination?.node?.type !== 'catch' || !isRecord(msg?.error)) return;
    const error = msg.error as { code?: unknown; source?: { type?: unknown }; cause?: unknown };
    const cause = error.cause as Partial<Extract<SeqrErrorCause, { type: 'refused' }>> | undefined;
    if (error.code === undefined && String(error.source?.type).startsWith('seqr-') && cause?.type === 'refused' && typeof cause.code === 'number') {
      error.code = cause.code;
    }
  });
}

/** What a layer threw, also when it has been made a CatchableError. */
export function originalError(err: unknown): unknown {
  return err instanceof Error && ORIGINAL in err ? (err as unknown as Record<symbol, unknown>)[ORIGINAL] : err;
}

/**
 * The end of a message that failed: a red status with the short reason, and `done(err)` with the catchable
 * error, so Catch nodes get it (and nothing is logged twice: with a Catch node Node-RED does not log it).
 */
export function failMessage(RED: NodeAPI, node: Node, done: (err?: Error) => void, err: unknown): void {
  node.status(STATUS.error(shortReason(RED, err)));
  done(catchableError(err));
}

/**
 * A call that failed without an answer may still have taken effect at SEQR (an invoice made, a refund paid):
 * then the error gets `note` (what the node will not do by itself) after its message; otherwise `err` as is.
 */
export function noteIfMaybeProcessed(err: unknown, note: string): unknown {
  if (err instanceof SeqrTransportError && maybeProcessed(err.kind)) return catchableError(err, `${err.message}. ${note}`);
  return err;
}

function causeOf(err: Error): SeqrErrorCause | undefined {
  if (err instanceof SeqrError) {
    return { type: 'refused', operation: err.operation, code: err.code, codeName: err.codeName, transient: err.transient };
  }
  if (err instanceof SeqrTransportError) {
    const cause: SeqrErrorCause = {
      type: 'transport',
      operation: err.operation,
      kind: err.kind,
      retryable: err.retryable,
      maybeProcessed: maybeProcessed(err.kind),
    };
    if (err.statusCode !== undefined) cause.statusCode = err.statusCode;
    if (err.errorCode !== undefined) cause.errorCode = err.errorCode;
    return cause;
  }
  if (err instanceof InvoiceInputError) return { type: 'input', field: err.field };
  if (err instanceof SeqrConfigError) return { type: 'config', field: err.field };
  return undefined;
}

/** Kinds of transport failure after which the request surely had no effect at SEQR. */
const NOT_PROCESSED: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>(['refused', 'dns', 'tls', 'fault', 'closed']);

/** Whether a call that failed this way may still have taken effect at SEQR (see SeqrErrorCause). */
export function maybeProcessed(kind: TransportErrorKind): boolean {
  return !NOT_PROCESSED.has(kind);
}

/** A status text (a few words) for a failure: `20 AUTHENTICATION_FAILED`, `timed out`, `invalid amount`. */
export function shortReason(RED: NodeAPI, failure: unknown): string {
  const err = originalError(failure);
  if (err instanceof SeqrError) return RED._(sharedKey('common.reason.seqr'), { code: err.code, name: err.codeName });
  if (err instanceof SeqrTransportError) {
    return RED._(sharedKey(`common.reason.transport.${err.kind}`), { status: err.statusCode ?? '' });
  }
  if (err instanceof InvoiceInputError) return RED._(sharedKey('common.reason.invalid'), { field: err.field });
  if (err instanceof SeqrConfigError) return err.status;
  return RED._('node-red:common.status.error');
}

// ---------------------------------------------------------------------------------------------------------
// Status

/** The status shapes every SEQR node uses, in the core nodes' style (keep texts short). */
export const STATUS = {
  /** Work under way: blue ring. */
  busy: (text: string): NodeStatus => ({ fill: 'blue', shape: 'ring', text }),
  /** The last thing went well: green dot. */
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text }),
  /** Retrying or degraded: yellow ring. */
  warn: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text }),
  /** Failed or not configured: red ring. */
  error: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
} as const;
