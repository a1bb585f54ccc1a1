/** Reading a node's typedInput setting for one message, and naming it in messages to the user. */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { FOREIGN_MESSAGE_LENGTH, isRecord, quoteInput, shortened } from '../values';
import { sharedKey } from './shared-catalog';

/** A typedInput setting of a node: where a value comes from (`payload` of type `msg`, …). */
export interface TypedInputSource {
  value: string;
  type: string;
}

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

/**
 * A typedInput's value for this message. An unreadable expression is the message's fault: `unreadable` makes the
 * node's error from the source as the user knows it (`msg.payload`) and the runtime's error message.
 */
export async function readTypedInput(
  RED: NodeAPI,
  node: Node,
  source: TypedInputSource,
  msg: NodeMessage,
  unreadable: (details: { source: string; error: string }) => Error,
): Promise<unknown> {
  try {
    return await evaluateTypedInput(RED, node, source.value, source.type, msg);
  } catch (err) {
    throw unreadable({ source: describeTypedInput(RED, source.value, source.type), error: (err as Error).message });
  }
}
