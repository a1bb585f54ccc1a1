/**
 * How seqr-api reads an operation's inputs from msg.payload: each reader returns the value or throws an input
 * error (for a Catch node) naming the payload field.
 */
import type { NodeAPI, NodeMessage } from 'node-red';
import type { CustomerToken, InvoiceDefaults } from '../seqr';
import { isRecord, isValidReference } from '../values';
import { invoiceFromMessage } from './invoice-settings';
import { invoiceReferenceOf } from './message-fields';
import { inputError } from './node-errors';

export type ApiInputs = ReturnType<typeof apiInputs>;

/** The readers, with the node's invoice settings as defaults for the invoices and amounts. */
export function apiInputs(RED: NodeAPI, defaults: InvoiceDefaults) {
  /** An input mistake, named by its payload field. */
  function mistake(field: string, key: string, params: Record<string, unknown> = {}): Error {
    return inputError(field, RED._(`seqr-api.errors.${key}`, { field, ...params }));
  }

  return {
    mistake,

    /** A SEQR reference from `field` (the invoice reference also from msg.seqr or msg.payload itself). */
    reference(payload: Record<string, unknown>, field: string, msg: NodeMessage): string {
      const value = field === 'invoiceReference' ? invoiceReferenceOf(msg) : payload[field];
      if (!isValidReference(value)) throw mistake(field, 'no-reference');
      return value;
    },

    requiredText(payload: Record<string, unknown>, field: string): string {
      const value = payload[field];
      if (typeof value !== 'string' || value.trim() === '') throw mistake(field, 'no-text');
      return value.trim();
    },

    /** An invoice (or an amount, with the payload's currency) in SEQR's form, the node's settings filled in. */
    invoice(input: unknown, field: string, currency: unknown) {
      const withCurrency = isRecord(input) || typeof currency !== 'string' ? input : { amount: input, currency };
      return invoiceFromMessage(withCurrency, defaults, (err) => inputError(field, RED._('seqr-api.errors.invalid-invoice', { field, error: err.message })));
    },

    tokens(value: unknown): CustomerToken[] | undefined {
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || !value.every((token) => isRecord(token) && typeof token.status === 'number')) {
        throw mistake('tokens', 'bad-tokens');
      }
      return value as CustomerToken[];
    },

    parameters(value: unknown): Record<string, string> {
      if (value === undefined) return {};
      if (!isRecord(value)) throw mistake('parameters', 'bad-parameters');
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
    },
  };
}
