/** A node's invoice settings (currency, title, cashier…) as buildInvoice defaults, and the check that they work. */
import type { NodeAPI } from 'node-red';
import { InvoiceInputError, buildInvoice, type InvoiceDefaults, type SeqrInvoice } from '../seqr';
import { settingText } from '../values';
import type { SeqrConfigProblem } from './config-types';
import { INVOICE_SETTINGS } from './shared-limits';
import { sharedKey } from './shared-catalog';

/** The invoice settings the nodes that build invoices have in common. */
export interface InvoiceSettingsDef {
  currency?: string;
  title?: string;
  cashierId?: string;
}

/** The settings as buildInvoice defaults: empty fields left out (so they are not sent), the currency SEK by default. */
export function invoiceDefaultsOf(def: InvoiceSettingsDef, defaultTitle?: string): InvoiceDefaults {
  return {
    currency: settingText(def.currency) ?? INVOICE_SETTINGS.defaultCurrency,
    title: settingText(def.title) ?? defaultTitle,
    cashierId: settingText(def.cashierId),
  };
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
 * buildInvoice for what a message gave: a mistake in it (InvoiceInputError) becomes `reword(err)`, the error in
 * the node's own words; anything else is thrown as it is.
 */
export function invoiceFromMessage(input: unknown, defaults: InvoiceDefaults, reword: (err: InvoiceInputError) => Error): SeqrInvoice {
  try {
    return buildInvoice(input as Parameters<typeof buildInvoice>[0], defaults);
  } catch (err) {
    throw err instanceof InvoiceInputError ? reword(err) : err;
  }
}
