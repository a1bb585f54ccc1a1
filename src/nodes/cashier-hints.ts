/**
 * A short sentence a cashier can act on ("Enter an amount such as 149.90."), beside an input error's detailed
 * message, which is written for whoever built the flow. It travels as `msg.error.cause.hint` (Node-RED copies
 * an error's `cause` into a Catch node's msg.error) and comes from the message catalog
 * (`seqr-send-invoice.hint.<key>`), so it is translated like the rest of the node.
 */
import type { NodeAPI } from 'node-red';
import type { CatchableError } from './node-errors';

/** What the person at the till can do about it. */
export type HintKey = 'amount' | 'currency' | 'rows' | 'text' | 'setup';

const TEXT_FIELDS: ReadonlySet<string> = new Set(['title', 'footer', 'cashierId', 'clientInvoiceId']);

/** The hint for an InvoiceInputError's field (`amount`, `rows[1].unitPrice`, `backURL`, …). */
export function hintKeyOf(field: string): HintKey {
  if (field === 'amount' || field === 'invoice') return 'amount';
  if (field === 'currency') return 'currency';
  if (field === 'rows' || field.startsWith('rows[')) return 'rows';
  if (TEXT_FIELDS.has(field)) return 'text';
  // URLs, modes, dates and timeouts come from the node's settings or the flow, not from the cashier.
  return 'setup';
}

/** Adds the hint for `field` to an input error's cause (msg.error.cause.hint); returns the error. */
export function withCashierHint(RED: NodeAPI, error: CatchableError, field: string): CatchableError {
  const cause = error.cause as { type?: string; hint?: string } | undefined;
  if (cause?.type === 'input') cause.hint = RED._(`seqr-send-invoice.hint.${hintKeyOf(field)}`);
  return error;
}
