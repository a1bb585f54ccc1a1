import { InvoiceInputError } from './money';
import { quoteInput } from '../values';

/**
 * What a till accepts when a cashier types an amount, beyond buildInvoice's strict plain decimal:
 * - a decimal comma or a decimal point with one or two decimals: "12,50", "12.5";
 * - spaces as thousands separators, in groups of three digits (also no-break and narrow no-break spaces, as
 *   Swedish locales format numbers): "1 250,00";
 * - the currency after or before the amount: its ISO code ("149,90 SEK", "SEK 149.90", any case) or, for the
 *   krona currencies (SEK, NOK, DKK, ISK), "kr" / "kr." ("12,50 kr"), and the Swedish whole-amount "12:-".
 *
 * Refused, naming the field: a separator followed by three digits ("1,250" and "1.250" are thousands to some
 * cashiers and decimals to others), both a comma and a point, another currency than the invoice's, signs,
 * exponents and anything else. Returns the amount as a plain decimal ("1250.00"), which buildInvoice accepts.
 */
export function parseCashierAmount(input: string, currency: string, field = 'amount'): string {
  const refuse = (why: string): never => {
    throw new InvoiceInputError(field, `${quoteInput(input)} ${why}; type an amount such as 149,90 or 1 250 ${currency}`);
  };
  // Typed by hand: anything longer is not an amount (and keeps the patterns below cheap).
  if (input.length > MAX_TYPED_LENGTH) refuse('is too long');
  let text = input.replace(/[\u00a0\u202f]/g, ' ').trim();
  const unit = /^(?:([a-z]{2,3})\.?\s*)?(.*?)(?:\s*([a-z]{2,3})\.?)?$/i.exec(text);
  const words = [unit?.[1], unit?.[3]].filter((word): word is string => word !== undefined);
  if (words.length > 1) refuse('names the currency twice');
  if (unit![2] === '') refuse('is not an amount');
  if (words.length === 1) {
    const word = words[0]!.toUpperCase();
    if (word !== currency && !(word === 'KR' && KRONA.has(currency))) refuse(`is not in ${currency}`);
    text = unit![2]!;
  }
  // "12:-" is Swedish for twelve whole kronor.
  text = text.replace(/:-$/, '');
  if (text.includes(',') && text.includes('.')) refuse('has both a decimal comma and a point');
  const match = /^(\d{1,3}(?: \d{3})+|\d+)(?:[.,](\d{1,3}))?$/.exec(text);
  if (!match) refuse('is not an amount');
  const [, whole, decimals] = match!;
  if (decimals !== undefined && decimals.length === 3) refuse('is ambiguous (thousands or decimals?)');
  return `${whole!.replace(/ /g, '')}.${(decimals ?? '').padEnd(2, '0')}`;
}

const MAX_TYPED_LENGTH = 40;

/** Currencies whose cashiers write "kr". */
const KRONA: ReadonlySet<string> = new Set(['SEK', 'NOK', 'DKK', 'ISK']);
