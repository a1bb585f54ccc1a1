/**
 * One regular expression per secret that matches the secret in every form it can take on its way to an
 * endpoint and back into an error text, so that redact() (errors.ts) can remove all of them.
 *
 * Why so many forms: a hostile or broken endpoint echoes what it got, encoded however its stack encodes it, and a
 * password such as `Cnry-7Q2x&<Z9>k` then reaches us as `Cnry-7Q2x&amp;&lt;Z9&gt;k` (our own XML escaping),
 * `&amp;amp;…` (escaped again in a fault string), `&#38;` / `&#x26;`, `Cnry-7Q2x%26%3CZ9%3Ek` or `+` for a space
 * (a URL or form), `\"` / `\u0026` (JSON), its UTF-8 bytes read as Latin-1 (an HTTP reason phrase), composed or
 * decomposed accents, or base64 (of the password, or of `id:password` as in HTTP Basic). The forms are matched
 * character by character, so mixtures (only `&` escaped, `>` left as is; one character as `&#60;`, the next
 * raw) are matched too. Matching more than was sent costs only a few characters of an error message.
 *
 * Every repetition in the patterns is bounded (a few backslashes, re-escapings, leading zeros): an unbounded
 * one, tried at each position of a long run of backslashes or `%25`, takes time quadratic in the text, and a
 * hostile endpoint could stall the event loop with an answer of a few megabytes. Runs of white space are folded
 * to one space before matching (redact does that), so white space needs no long repetition either.
 */

/** `&`, escaped again up to four times over (`&amp;`, `&amp;amp;`, `&#38;amp;`, `&#x26;`…). */
const AMP = '&(?:amp;|#0{0,8}38;|#[xX]0{0,8}26;){0,4}';

const XML_NAMES: Record<string, string> = { '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };

/** Shortest base64 run taken as the secret inside a longer base64 text (shorter ones would hit random text). */
const MIN_BASE64_CORE = 8;

/** Base64 (and base64url) characters: a match inside such a run takes the whole run with it. */
const BASE64_BEFORE = /[A-Za-z0-9+/_-]/;
const BASE64_AFTER = /[A-Za-z0-9+/_=-]/;

interface SecretPatterns {
  /** The secret spelled out, in any encoding (global). */
  spelled: RegExp;
  /** The secret as base64 (global), or undefined. */
  base64: RegExp | undefined;
}

/** Patterns are built once per secret; a few are enough (one client has one or two secrets). */
const CACHE_LIMIT = 64;
const cache = new Map<string, SecretPatterns>();

/**
 * `text` with every form of `secret` replaced by `mask`. A base64 form takes the whole base64 run it is in
 * (e.g. a whole `Basic` credential): its first and last characters carry bits of the secret and its neighbours.
 */
export function removeSecret(text: string, secret: string, mask: string): string {
  const patterns = patternsOf(secret);
  patterns.spelled.lastIndex = 0;
  let out = text.replace(patterns.spelled, mask);
  if (patterns.base64) {
    patterns.base64.lastIndex = 0;
    let kept = '';
    let from = 0;
    for (let match = patterns.base64.exec(out); match; match = patterns.base64.exec(out)) {
      let start = match.index;
      let end = start + match[0].length;
      while (start > from && BASE64_BEFORE.test(out[start - 1])) start--;
      while (end < out.length && BASE64_AFTER.test(out[end])) end++;
      kept += out.slice(from, start) + mask;
      from = end;
      patterns.base64.lastIndex = end;
    }
    out = kept + out.slice(from);
  }
  return out;
}

function patternsOf(secret: string): SecretPatterns {
  let patterns = cache.get(secret);
  if (patterns === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    const { spelled, base64 } = secretForms(secret);
    patterns = {
      spelled: new RegExp(spelled.join('|'), 'g'),
      base64: base64.length ? new RegExp(base64.map(escapeRegExp).join('|'), 'g') : undefined,
    };
    cache.set(secret, patterns);
  }
  return patterns;
}

/** Each spelling of the secret character by character, and its base64 texts. */
function secretForms(secret: string): { spelled: string[]; base64: string[] } {
  const spellings = new Set([secret, secret.normalize('NFC'), secret.normalize('NFD')]);
  // UTF-8 bytes read as Latin-1: how Node reads a reason phrase or header that echoes a non-ASCII password.
  spellings.add(Buffer.from(secret, 'utf8').toString('latin1'));
  // soap sends a text wrapped in CDATA as is, so the endpoint reads (and may echo) only what is inside.
  const cdata = /^<!\[CDATA\[([\s\S]+)\]\]>$/.exec(secret);
  if (cdata) spellings.add(cdata[1]);
  const base64 = new Set<string>();
  for (const spelling of [secret, ...(cdata ? [cdata[1]] : [])]) {
    for (const text of base64Texts(Buffer.from(spelling, 'utf8'))) base64.add(text);
  }
  return { spelled: [...spellings].map(characterwise), base64: [...base64] };
}

/** The secret, each character in any of its encodings; a run of white space as any run of white space. */
function characterwise(spelling: string): string {
  let pattern = '';
  let inSpace = false;
  for (const ch of spelling) {
    if (/\s/.test(ch)) {
      if (!inSpace) pattern += WHITE_SPACE_RUN;
      inSpace = true;
      continue;
    }
    inSpace = false;
    pattern += `(?:${characterForms(ch).join('|')})`;
  }
  return pattern;
}

/** One character: raw (also after backslashes, as JSON writes `"` and `\`), an XML reference, JSON, percent-encoded. */
function characterForms(ch: string): string[] {
  const codePoint = ch.codePointAt(0)!;
  const forms = [`\\\\{0,8}${escapeRegExp(ch)}`];
  if (ch === '&') {
    forms.push(AMP);
  } else {
    const name = XML_NAMES[ch];
    forms.push(`${AMP}(?:#0{0,8}${codePoint};|#[xX]0{0,8}${hexDigits(codePoint)};${name ? `|${name};` : ''})`);
  }
  const units = ch.length === 2 ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [codePoint];
  // JSON's \uXXXX; for a character outside the BMP, its surrogates (as JSON writes it, and as some XML writers do).
  forms.push(units.map((unit) => `\\\\{1,8}u${hexDigits(unit, 4)}`).join(''));
  if (units.length === 2) forms.push(units.map((unit) => `${AMP}(?:#0{0,8}${unit};|#[xX]0{0,8}${hexDigits(unit)};)`).join(''));
  // Percent-encoding of the UTF-8 bytes, also encoded again (%2526).
  forms.push([...Buffer.from(ch, 'utf8')].map((byte) => `%(?:25){0,4}${hexDigits(byte, 2)}`).join(''));
  return forms;
}

/** A short run of white space: raw, `+` (form encoding), JSON's `\n`, or a space, tab, CR or LF in any encoding. */
const WHITE_SPACE_RUN = `(?:\\s|\\+|\\\\{1,8}[nrt]|${[' ', '\t', '\n', '\r'].flatMap((ch) => characterForms(ch).slice(1)).join('|')}){1,8}`;

/**
 * The secret's bytes as base64 (and base64url), whole with or without padding, and as the run of characters
 * that stands for them at each of the three alignments inside a longer base64 text (e.g. `id:password`).
 */
function base64Texts(bytes: Buffer): string[] {
  const texts = new Set<string>();
  const whole = bytes.toString('base64');
  texts.add(whole);
  texts.add(whole.replace(/=+$/, ''));
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters that depend only on the secret's bits: from the first whole sextet after the padding bytes
    // to the last sextet that ends inside the secret.
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (core.length >= MIN_BASE64_CORE) texts.add(core);
  }
  for (const text of [...texts]) texts.add(text.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...texts].filter((text) => text !== '');
}

/** Hex digits of `value`, at least `width` of them, each letter matched in either case. */
function hexDigits(value: number, width = 1): string {
  return value
    .toString(16)
    .padStart(width, '0')
    .replace(/[a-f]/g, (letter) => `[${letter}${letter.toUpperCase()}]`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
