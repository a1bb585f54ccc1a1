/**
 * Finds elements in text that may not be XML at all (an echoed request, an error body, whose passwords are
 * masked) in linear time.
 *
 * Why not one regular expression with a lazy `[\s\S]*?` between the tags: on a text with many opening tags and
 * no closing one, it scans from each opening tag to the end, which is quadratic; a hostile endpoint's answer
 * of a few megabytes of `<faultstring>` then blocks the event loop for minutes. Here each opening tag is
 * matched where the previous element ended, and its content runs to the first closing tag after it: when there
 * is none, no later opening tag can have one either.
 */

/** An element found by eachElement: where its opening tag starts, its content and where its closing tag ends. */
export interface ElementSpan {
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
}

/**
 * The elements of `text` from `open` (an opening tag) to the first `close` after it, in order. Both patterns
 * need the `g` flag (they are run from positions) and must match in bounded time at one position.
 */
export function elementSpans(text: string, open: RegExp, close: RegExp, most = Infinity): ElementSpan[] {
  const spans: ElementSpan[] = [];
  let from = 0;
  while (spans.length < most) {
    open.lastIndex = from;
    const opening = open.exec(text);
    if (!opening) break;
    const contentStart = opening.index + opening[0].length;
    close.lastIndex = contentStart;
    const closing = close.exec(text);
    if (!closing) break;
    const end = closing.index + closing[0].length;
    spans.push({ start: opening.index, contentStart, contentEnd: closing.index, end });
    from = end;
  }
  return spans;
}

/** `text` with the content of each element found by elementSpans replaced by `mask`. */
export function maskElementContents(text: string, open: RegExp, close: RegExp, mask: string): string {
  let out = '';
  let from = 0;
  for (const span of elementSpans(text, open, close)) {
    out += text.slice(from, span.contentStart) + mask;
    from = span.contentEnd;
  }
  return from === 0 ? text : out + text.slice(from);
}
