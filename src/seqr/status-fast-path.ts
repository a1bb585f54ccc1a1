import { SEQR_NAMESPACE, type ClientContext } from './types';
import { decodeXmlText, localName, readMarkup } from './xml-reading';

/*
 * getPaymentStatus without soap's XML writer and reader.
 *
 * Why: getPaymentStatus is the hot path (every open invoice is polled about once a second). Measured by
 * bench/poll-cpu.js against the CPU of a raw keep-alive POST read by sax: through soap's schema-walking writer
 * (~35 µs) and its reader (~53 µs) a poll costs about 1.6× that, over the budget of 1.3×; with this template and
 * reader SeqrClient costs 0.70× (README, bench figures of 2 Dec 2026). The request is a fixed template (the
 * context is written once per client) and the response is read by the small reader below, on the shared
 * bounded scanner of xml-reading.ts.
 *
 * The result is identical to what soap's reader gives (same object shape: numbers for int fields, text for
 * everything else including decimals and dateTimes, lists for invoiceRow and token, null for empty complex
 * elements, '' for empty text); test/client-fast-path.test.ts compares both on the same answers. Anything the
 * reader does not handle plainly (attributes other than namespace declarations, CDATA, DOCTYPE, mixed content)
 * makes it give up and the caller falls back to soap's reader.
 */

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return /[&<>"']/.test(text) ? text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]) : text;
}

/** The XML of a clientContext in schema order. */
export function contextXml(context: ClientContext): string {
  const leaf = (name: string, value: string | number | undefined) =>
    value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
  const principal = context.initiatorPrincipalId;
  return (
    '<context>' +
    leaf('channel', context.channel) +
    leaf('clientComment', context.clientComment) +
    leaf('clientId', context.clientId) +
    leaf('clientReference', context.clientReference) +
    leaf('clientRequestTimeout', context.clientRequestTimeout) +
    (principal
      ? `<initiatorPrincipalId>${leaf('id', principal.id)}${leaf('type', principal.type)}${leaf('userId', principal.userId)}</initiatorPrincipalId>`
      : '') +
    leaf('password', context.password) +
    '</context>'
  );
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" ' +
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="${SEQR_NAMESPACE}"><soap:Body><tns:getPaymentStatus>`;
const ENVELOPE_CLOSE = '</tns:getPaymentStatus></soap:Body></soap:Envelope>';

/** The start of a getPaymentStatus envelope for one context (computed once per client). */
export function statusRequestHead(context: string): string {
  return `${ENVELOPE_OPEN}${context}<invoiceReference>`;
}

/** A complete getPaymentStatus request: the per-call part is the reference and the version. */
export function statusRequest(head: string, invoiceReference: string, invoiceVersion: number): string {
  return `${head}${escapeXml(invoiceReference)}</invoiceReference><invoiceVersion>${invoiceVersion}</invoiceVersion>${ENVELOPE_CLOSE}`;
}

/** Elements of the status response whose XSD type is int/long (soap's reader turns them into numbers). */
function isIntegerElement(parent: string, name: string): boolean {
  switch (name) {
    case 'resultCode':
    case 'version':
      return parent === 'return';
    case 'status':
      return parent === 'token';
    case 'commitReservationTimeout':
      return parent === 'invoice';
    default:
      return false;
  }
}

/** Elements that may repeat (maxOccurs unbounded): always lists, as soap makes them. */
function isListElement(parent: string, name: string): boolean {
  return (name === 'invoiceRow' && parent === 'invoiceRows') || (name === 'token' && parent === 'customerTokens');
}

/**
 * Elements of the status response typed xs:string: soap's reader makes an empty one ''. Every other empty
 * element (complex, int, decimal, dateTime, enumeration, unknown) becomes null.
 */
const STRING_ELEMENTS = new Set([
  'ersReference',
  'resultDescription',
  'terminalId',
  'clientInvoiceId',
  'invoiceReference',
  'paymentReference',
  'payerTerminalId',
  'receiverName',
  'title',
  'cashierId',
  'footer',
  'backURL',
  'notificationUrl',
  'currency',
  'itemDescription',
  'itemEAN',
  'itemSKU',
  'itemUnit',
  'description',
  'id',
]);

function isStringElement(parent: string, name: string): boolean {
  // `value` is xs:string in a token but xs:decimal in an amount.
  return name === 'value' ? parent === 'token' : STRING_ELEMENTS.has(name);
}

type XmlValue = string | number | null | XmlObject | XmlValue[];
interface XmlObject {
  [name: string]: XmlValue;
}

interface Frame {
  name: string;
  object: XmlObject;
  hasChildren: boolean;
  text: string;
}

/** Result of reading a body: the Body's children, or undefined when the reader gave up. */
export type StatusBody = XmlObject;

const NAME_START = /[A-Za-z_]/;

/**
 * Reads a SOAP response into soap's object shape and returns its Body (e.g. `{ getPaymentStatusResponse:
 * { return: {...} } }` or `{ Fault: {...} }`). Returns undefined when the body uses XML this reader leaves to
 * soap, and throws a SyntaxError when it is not well-formed.
 */
export function readStatusBody(xml: string): StatusBody | undefined {
  const root: Frame = { name: '', object: {}, hasChildren: false, text: '' };
  const stack: Frame[] = [root];
  let top = root;
  let at = 0;
  const length = xml.length;
  while (at < length) {
    const open = xml.indexOf('<', at);
    if (open === -1) {
      if (xml.slice(at).trim() !== '') throw new SyntaxError('text after the last element');
      break;
    }
    if (open > at) top.text += xml.slice(at, open);
    const markup = readMarkup(xml, open);
    if (markup.kind === 'cdata' || markup.kind === 'doctype') return undefined; // leave it to soap
    if (markup.end === -1) throw new SyntaxError(`unclosed ${markup.kind === 'open' || markup.kind === 'close' ? 'tag' : markup.kind}`);
    at = markup.end;
    if (markup.kind === 'instruction' || markup.kind === 'comment') continue;
    if (markup.kind === 'close') {
      const name = localName(markup.name);
      if (stack.length === 1 || name !== top.name) throw new SyntaxError(`unexpected closing tag ${name}`);
      if (!closeElement(stack)) return undefined;
      top = stack[stack.length - 1];
      continue;
    }
    const { name: qname, tag } = markup;
    if (!NAME_START.test(qname)) throw new SyntaxError(`bad tag <${tag}>`);
    if (qname.length < tag.length && !onlyNamespaceDeclarations(tag.slice(qname.length))) return undefined;
    if (top.text.trim() !== '') return undefined; // mixed content
    top.hasChildren = true;
    top.text = '';
    top = { name: localName(qname), object: {}, hasChildren: false, text: '' };
    stack.push(top);
    if (markup.kind === 'empty') {
      if (!closeElement(stack)) return undefined;
      top = stack[stack.length - 1];
    }
  }
  if (stack.length !== 1) throw new SyntaxError(`unclosed element ${top.name}`);
  const envelope = root.object.Envelope as XmlObject | null | undefined;
  const body = envelope && typeof envelope === 'object' ? (envelope.Body as XmlObject | null | undefined) : undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SyntaxError('no SOAP Body');
  return body;
}

function onlyNamespaceDeclarations(attributes: string): boolean {
  return /^(\s+xmlns(:[\w.-]+)?\s*=\s*("[^"]*"|'[^']*'))*\s*$/.test(attributes);
}

/** Pops the top frame into its parent the way soap's reader does. False when the content is not plain. */
function closeElement(stack: Frame[]): boolean {
  const frame = stack.pop()!;
  const parent = stack[stack.length - 1];
  let value: XmlValue;
  if (frame.hasChildren) {
    if (frame.text.trim() !== '') return false;
    value = frame.object;
  } else {
    const text = decodeXmlText(frame.text).trim();
    if (text === '') value = isStringElement(parent.name, frame.name) ? '' : null;
    else if (isIntegerElement(parent.name, frame.name)) value = parseInt(text, 10);
    else value = text;
  }
  const siblings = parent.object;
  const existing = siblings[frame.name];
  if (isListElement(parent.name, frame.name)) {
    if (Array.isArray(existing)) existing.push(value);
    else siblings[frame.name] = [value];
  } else if (existing !== undefined) {
    if (Array.isArray(existing)) existing.push(value);
    else siblings[frame.name] = [existing, value];
  } else {
    siblings[frame.name] = value;
  }
  return true;
}
