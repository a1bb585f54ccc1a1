import Big from 'big.js';

/**
 * The currencies the emulated SEQR accepts: ISO 4217 codes in circulation. SEQR's own list was never
 * published; anything else answers 49 INVALID_INVOICE_DATA.
 */
export const ACCEPTED_CURRENCIES: ReadonlySet<string> = new Set(
  ('AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF ' +
    'CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD ' +
    'HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL ' +
    'LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR ' +
    'PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND ' +
    'TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG').split(' '),
);

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
