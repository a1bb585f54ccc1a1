import Big from 'big.js';
import { ISO_4217_CURRENCIES } from '../seqr/money';

/**
 * The currencies the emulated SEQR accepts: ISO 4217 codes in circulation (SEQR's own list was never
 * published); anything else answers 49 INVALID_INVOICE_DATA.
 */
export const ACCEPTED_CURRENCIES: ReadonlySet<string> = ISO_4217_CURRENCIES;

/** xs:decimal lexical form: optional sign, digits, optional fraction (no exponent). */
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Reads an xs:decimal exactly. The SOAP layer hands decimals over as text (never as a binary float);
 * anything that is not decimal text gives undefined.
 */
export function readDecimal(value: unknown): Big | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return DECIMAL_TEXT.test(text) ? new Big(text) : undefined;
}

/** True when the value has no more than two decimals once trailing zeros are ignored ("1.500" is fine). */
export function hasCents(value: Big): boolean {
  return value.round(2).eq(value);
}

/** Wire text of a money amount: two decimals, e.g. "149.90". */
export function moneyText(value: Big): string {
  return value.toFixed(2);
}
