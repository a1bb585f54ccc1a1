import Big from 'big.js';
import type { SeqrAmount } from './types';
import { quoteInput, shortened } from '../values';

/**
 * Exact money for SEQR amounts. Every amount is a big.js decimal; JS numbers are accepted only when their
 * shortest decimal form already has at most two decimals (149.9 yes, 0.1 + 0.2 = 0.30000000000000004 no), so a
 * binary float never decides an amount.
 */

/**
 * ISO 4217 codes of the currencies in circulation (funds, precious metals and test codes left out).
 * SEQR itself decides which of them it accepts (49 INVALID_INVOICE_DATA otherwise).
 */
export const ISO_4217_CURRENCIES: ReadonlySet<string> = new Set(
  ('AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF ' +
    'CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD ' +
    'HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL ' +
    'LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR ' +
    'PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND ' +
    'TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL').split(' '),
);

/** Currencies whose ISO 4217 minor unit is 0: an amount in them has no decimals. */
const WHOLE_UNIT_CURRENCIES: ReadonlySet<string> = new Set(
  'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' '),
);

/** [API-2015] gives 18 characters for `totalAmount.value`: 15 integer digits, the point and two decimals. */
const MAX_INTEGER_DIGITS = 15;

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/** Thrown for friendly input that cannot become a SEQR invoice; `field` names where (e.g. `rows[1].unitPrice`). */
export class InvoiceInputError extends Error {
  override readonly name = 'InvoiceInputError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

export interface DecimalRules {
  /** Most decimals allowed (2 for money). */
  decimals: number;
  /** What the field accepts, for the error sentence, e.g. "an amount such as 149.90". */
  accepted: string;
}

/**
 * Reads a decimal exactly. Accepts a string of digits with an optional minus sign and point ("149.90", "-20"),
 * a JS number whose shortest form is such a string, or a big.js value. Rejects exponents ("1e3"), NaN, Infinity,
 * blank text, thousands separators and more decimals than allowed, naming the field.
 */
export function parseDecimal(input: unknown, field: string, rules: DecimalRules): Big {
  let text: string;
  if (input instanceof Big) {
    text = input.toFixed();
  } else if (typeof input === 'number') {
    if (!Number.isFinite(input)) {
      throw new InvoiceInputError(field, `${String(input)} is not a number; give ${rules.accepted}`);
    }
    text = String(input);
    // A long tail of decimals is binary floating point showing through (0.1 + 0.2 = 0.30000000000000004).
    const floatArtefact = /\.\d{10,}$/.test(text);
    if (!DECIMAL_TEXT.test(text) || (floatArtefact && rules.decimals < 10)) {
      throw new InvoiceInputError(
        field,
        `the number ${shortened(text)} is not an exact decimal (a floating-point result such as 0.1 + 0.2?); give ${rules.accepted}, ` +
          'preferably as text',
      );
    }
  } else if (typeof input === 'string') {
    text = input.trim();
    if (text === '') throw new InvoiceInputError(field, `is empty; give ${rules.accepted}`);
    if (!DECIMAL_TEXT.test(text)) {
      throw new InvoiceInputError(
        field,
        `${quoteInput(input)} is not a plain decimal (digits, an optional minus sign and a point; no exponent, comma or ` +
          `currency sign); give ${rules.accepted}`,
      );
    }
  } else {
    throw new InvoiceInputError(field, `${input === null ? 'null' : typeof input} is not accepted; give ${rules.accepted}`);
  }
  const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  const value = new Big(text);
  // "1.50" is fine with 2 decimals, and so is "1.500" (trailing zeros carry no value).
  if (decimals > rules.decimals && value.round(rules.decimals).cmp(value) !== 0) {
    throw new InvoiceInputError(
      field,
      `${shortened(text)} has more than ${rules.decimals} decimal${rules.decimals === 1 ? '' : 's'}; give ${rules.accepted}`,
    );
  }
  return value;
}

const MONEY_RULES: DecimalRules = { decimals: 2, accepted: 'an amount with at most two decimals, such as 149.90' };

/** Parses a money amount (at most two decimals, whole units for currencies without minor units). */
export function parseMoney(input: unknown, field: string, currency?: string): Big {
  const wholeUnits = currency !== undefined && currencyDecimals(currency) === 0;
  const value = parseDecimal(
    input,
    field,
    wholeUnits ? { decimals: 0, accepted: `a whole amount of ${currency}, such as 500` } : MONEY_RULES,
  );
  checkMoneySize(value, field);
  return value;
}

/** Rejects amounts SEQR's 18-character value field cannot hold. */
export function checkMoneySize(value: Big, field: string): void {
  const integerDigits = value.abs().round(0, Big.roundDown).toFixed().length;
  if (integerDigits > MAX_INTEGER_DIGITS) {
    throw new InvoiceInputError(field, `${shortened(value.toFixed(2))} is too large; SEQR accepts at most ${MAX_INTEGER_DIGITS} digits before the point`);
  }
}

/** Validates a currency code, naming the field when it is not an ISO 4217 code in circulation. */
export function parseCurrency(input: unknown, field: string): string {
  if (typeof input !== 'string' || !/^[A-Z]{3}$/.test(input)) {
    throw new InvoiceInputError(
      field,
      `${input === undefined ? 'is missing' : `${quoteInput(input)} is not a currency code`}; give an ISO 4217 code ` +
        'in capitals, such as SEK, EUR or USD',
    );
  }
  if (!ISO_4217_CURRENCIES.has(input)) {
    throw new InvoiceInputError(field, `${input} is not an ISO 4217 currency in circulation; give a code such as SEK, EUR or USD`);
  }
  return input;
}

/** Decimals an amount in this currency has: 2, or 0 for currencies without minor units (JPY, ISK, …). */
export function currencyDecimals(currency: string): number {
  return WHOLE_UNIT_CURRENCIES.has(currency) ? 0 : 2;
}

/** The wire form of an amount: decimal text with exactly two decimals (none for whole-unit currencies). */
export function toSeqrAmount(value: Big, currency: string): SeqrAmount {
  return { currency, value: value.toFixed(currencyDecimals(currency)) };
}

export interface FormatAmountOptions {
  /** Put between groups of three integer digits, e.g. "\u00a0" or ","; none by default. */
  groupSeparator?: string;
  /** Replaces the decimal point, e.g. ","; "." by default. */
  decimalSeparator?: string;
  /** Leave out the currency code. */
  omitCurrency?: boolean;
}

/**
 * Formats an amount for people, exactly (string arithmetic, no floats): `formatAmount({ value: '1234.5',
 * currency: 'SEK' })` → `"1234.50 SEK"`; with `{ groupSeparator: ' ', decimalSeparator: ',' }` → `"1 234,50 SEK"`.
 */
export function formatAmount(amount: SeqrAmount | { value: string | number | Big; currency: string }, options: FormatAmountOptions = {}): string {
  const fixed = new Big(amount.value instanceof Big ? amount.value : String(amount.value)).toFixed(currencyDecimals(amount.currency));
  const negative = fixed.startsWith('-');
  const [integer, fraction] = (negative ? fixed.slice(1) : fixed).split('.');
  const grouped = options.groupSeparator ? integer.replace(/\B(?=(\d{3})+$)/g, options.groupSeparator) : integer;
  const number = `${negative ? '-' : ''}${grouped}${fraction !== undefined ? (options.decimalSeparator ?? '.') + fraction : ''}`;
  return options.omitCurrency ? number : `${number} ${amount.currency}`;
}
