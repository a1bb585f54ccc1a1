/**
 * Small XML reading shared by the getPaymentStatus fast path (status-fast-path.ts) and the SOAP fault reader
 * (transport.ts): one markup scanner, local names without prefixes, and character references.
 *
 * Bounded on purpose, as answers come from endpoints that may be hostile: every step finds its end with
 * indexOf from where the previous one ended, so reading is linear in the text whatever it holds (no regular
 * expression runs across markup, nothing backtracks); nesting depth is a counter, never recursion; markup left
 * unclosed ends the reading instead of being searched for again; and only XML's five predefined entities and
 * numeric references are decoded. A DOCTYPE is skipped, never applied: no entity it declares is expanded.
 */

/** One piece of markup starting at a `<`. `end` is the index after it, or -1 when the text ends before it closes. */
export type XmlMarkup =
  /** `<name …>` or `<name …/>` (`empty`); `tag` is what lies between `<` and `>` (or `/>`), `name` its qualified name. */
  | { kind: 'open'; name: string; tag: string; end: number }
  | { kind: 'empty'; name: string; tag: string; end: number }
  | { kind: 'close'; name: string; end: number }
  /** `<![CDATA[…]]>`: `text` is its content, as written (no references in it). */
  | { kind: 'cdata'; text: string; end: number }
  | { kind: 'instruction'; end: number }
  | { kind: 'comment'; end: number }
  | { kind: 'doctype'; end: number };

/** The markup at `at`, where `xml[at]` is `<`. */
export function readMarkup(xml: string, at: number): XmlMarkup {
  const next = xml.charCodeAt(at + 1);
  if (next === 63 /* ? */) return { kind: 'instruction', end: endAfter(xml, '?>', at + 2) };
  if (next === 33 /* ! */) {
    if (xml.startsWith('<!--', at)) return { kind: 'comment', end: endAfter(xml, '-->', at + 4) };
    if (xml.startsWith('<![CDATA[', at)) {
      const close = xml.indexOf(']]>', at + 9);
      return close === -1 ? { kind: 'cdata', text: '', end: -1 } : { kind: 'cdata', text: xml.slice(at + 9, close), end: close + 3 };
    }
    return { kind: 'doctype', end: doctypeEnd(xml, at + 2) };
  }
  const close = xml.indexOf('>', at + 1);
  if (next === 47 /* / */) {
    return { kind: 'close', name: close === -1 ? '' : xml.slice(at + 2, close).trim(), end: close === -1 ? -1 : close + 1 };
  }
  if (close === -1) return { kind: 'open', name: '', tag: '', end: -1 };
  const empty = xml.charCodeAt(close - 1) === 47;
  const tag = xml.slice(at + 1, empty ? close - 1 : close);
  const space = tag.search(/\s/);
  const name = space === -1 ? tag : tag.slice(0, space);
  return empty ? { kind: 'empty', name, tag, end: close + 1 } : { kind: 'open', name, tag, end: close + 1 };
}

function endAfter(xml: string, terminator: string, from: number): number {
  const found = xml.indexOf(terminator, from);
  return found === -1 ? -1 : found + terminator.length;
}

/** A DOCTYPE ends at its `>`, or after its internal subset `[…]` when it has one. */
function doctypeEnd(xml: string, from: number): number {
  const close = xml.indexOf('>', from);
  if (close === -1) return -1;
  // The `[` is looked for before that `>` only: a search to the end of the text for every DOCTYPE of a
  // hostile answer made of them would be quadratic.
  const bracket = xml.slice(from, close).indexOf('[');
  if (bracket === -1) return close + 1;
  const subsetEnd = xml.indexOf(']', from + bracket + 1);
  return subsetEnd === -1 ? -1 : endAfter(xml, '>', subsetEnd + 1);
}

/** `soap:Body` → `Body`. */
export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

/** Replaces XML's predefined and numeric character references; any other `&name;` stays as written. */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(lt|gt|amp|quot|apos|#\d{1,8}|#x[0-9a-fA-F]{1,8});/g, (entity, name: string) => {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const codePoint = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
      }
    }
  });
}

/**
 * The text of the first element named `container` (local name, any prefix) and, inside it, of the first
 * element of each name in `names`: its text and CDATA, with a space for each tag within it, references
 * decoded, trimmed. A `container` nested in the first (a fault quoted in a fault's detail) is skipped. Undefined when there is no `container`; a name it does not hold is missing from the
 * result. Never throws: garbage, cut-off or unbalanced markup ends the reading with what was found.
 */
export function readElementTexts(
  xml: string,
  container: string,
  names: readonly string[],
): Record<string, string> | undefined {
  const found: Record<string, string> = {};
  let inside = false;
  /** Depth within the container (1: its own level), and within the element being read (0: none). */
  let depth = 0;
  let readingName: string | undefined;
  let readingDepth = 0;
  /** Depth of a nested `container` being skipped (0: none). */
  let skippingDepth = 0;
  let text = '';
  let at = 0;
  while (at < xml.length) {
    const open = xml.indexOf('<', at);
    const until = open === -1 ? xml.length : open;
    if (readingName !== undefined && until > at) text += decodeXmlText(xml.slice(at, until));
    if (open === -1) break;
    const markup = readMarkup(xml, open);
    if (markup.end === -1) break;
    at = markup.end;
    if (markup.kind === 'cdata') {
      if (readingName !== undefined) text += markup.text;
      continue;
    }
    if (markup.kind !== 'open' && markup.kind !== 'empty' && markup.kind !== 'close') continue;
    const name = localName(markup.name);
    if (!inside) {
      if (markup.kind === 'open' && name === container) {
        inside = true;
        depth = 1;
      } else if (markup.kind === 'empty' && name === container) {
        return found;
      }
      continue;
    }
    if (markup.kind === 'close') {
      depth--;
      if (skippingDepth > 0) {
        if (depth < skippingDepth) skippingDepth = 0;
        continue;
      }
      if (readingName !== undefined) {
        if (depth < readingDepth) {
          if (!(readingName in found)) found[readingName] = text.trim();
          readingName = undefined;
        } else {
          text += ' ';
        }
      }
      if (depth === 0) return found;
      continue;
    }
    if (skippingDepth > 0) {
      // Inside a nested container: only its depth counts.
    } else if (readingName !== undefined) {
      text += ' ';
    } else if (name === container && markup.kind === 'open') {
      skippingDepth = depth + 1;
    } else if (names.includes(name) && !(name in found)) {
      if (markup.kind === 'empty') {
        found[name] = '';
      } else {
        readingName = name;
        readingDepth = depth + 1;
        text = '';
      }
    }
    if (markup.kind === 'open') depth++;
  }
  return inside ? found : undefined;
}
