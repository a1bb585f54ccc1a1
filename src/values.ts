/** Checks of unknown values that every layer needs (the watch journal as well as the Node-RED adapters). */

const MAX_REFERENCE_LENGTH = 128;

/**
 * `value` as a URL when it is an absolute http:// or https:// URL, else undefined (not text, not a URL, another
 * scheme). The one check behind every endpoint, notificationUrl, backURL and public base URL of this package.
 */
export function httpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/** A setting or form field as text: a string trimmed, a number written out; undefined when empty or anything else. */
export function settingText(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
  return text === '' ? undefined : text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** A SEQR reference (invoice or ERS): printable ASCII without spaces, 1 to 128 characters. */
export function isValidReference(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REFERENCE_LENGTH && /^[\x21-\x7e]+$/.test(value);
}

/** How many characters of an offending input an error message quotes at most. */
export const QUOTED_INPUT_LENGTH = 40;

/**
 * `text` as an error message may repeat it: whole when short, else its first `max` characters (by default
 * QUOTED_INPUT_LENGTH) and "…(N characters)", so that a 5 MB amount makes a short message, not a 5 MB one.
 */
export function shortened(text: string, max = QUOTED_INPUT_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} characters)`;
}

/** How much of another library's error message (which may quote input, as JSONata's do) is repeated. */
export const FOREIGN_MESSAGE_LENGTH = 200;

/**
 * Any input value as an error message names it: text in quotes (shortened), a number, boolean, null or
 * undefined as itself, anything else by its kind ("a Buffer of 3 bytes", "a list of 2 items", "an object").
 * Never throws and never walks into the value (it may be huge, deep or cyclic).
 */
export function quoteInput(value: unknown): string {
  if (typeof value === 'string') {
    return value.length <= QUOTED_INPUT_LENGTH ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, QUOTED_INPUT_LENGTH))}…(${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return shortened(`${value}n`);
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Whether `text` is well-formed UTF-16 (no lone surrogate). SOAP's XML is UTF-8, which cannot carry half a
 * character: a lone surrogate would reach SEQR as U+FFFD, so text with one is refused instead.
 */
export function isWellFormedText(text: string): boolean {
  // String.prototype.isWellFormed is in Node 20 (V8 11.3); the es2022 lib this build uses does not declare it.
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}
