/**
 * Errors as the SEQR nodes hand them to `done(err)`: the message a user reads, SEQR's result code as `code`, and
 * plain-data details as `cause`, so that a Catch node can route on them; and the short status text of a failure.
 */
import type { Node, NodeAPI } from 'node-red';
import { InvoiceInputError, SeqrError, SeqrTransportError, maybeProcessed, type TransportErrorKind } from '../seqr';
import { FOREIGN_MESSAGE_LENGTH, quoteInput, shortened } from '../values';
import type { SeqrConfigProblem } from './config-types';
import { STATUS } from './node-status';
import { sharedKey } from './shared-catalog';

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
      /** The request may have reached SEQR and taken effect although no answer came (src/seqr maybeProcessed). */
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

/** A mistake in a message, named by its field (`invoiceReference`, `amount`…), as a catchable error. */
export function inputError(field: string, message: string): CatchableError {
  return catchableError(new InvoiceInputError(field, message));
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
