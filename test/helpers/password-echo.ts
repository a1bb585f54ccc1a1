import assert from 'node:assert/strict';
import * as net from 'node:net';
import { inspect } from 'node:util';
import type { Servers } from './loopback';

/*
 * A hostile SEQR endpoint for password probes: it answers every call by echoing the caller's password, in one
 * encoding, at one place of its answer (a fault string, the HTTP reason phrase, a 500 body, a malformed
 * answer, ...). Which encoding and place is chosen by a probe tag the caller puts into its request (an invoice
 * title or reference, `probe-<place>-<encoding>`), so many probes can run at once. The encodings are written
 * here independently of the library's redaction (src/seqr/secret-forms.ts), so that a form the library
 * forgot shows up as a leak.
 */

/** Passwords with what encodings change: XML specials, quotes, spaces, non-ASCII, a character beyond the BMP. */
export const PROBE_PASSWORDS = ['Cnry-7Q2x&<Z9>k', `Qu"o't3 & <sp a ce>!`, 'Lösen-ord ß "<&>" 🔑 ünï'];

const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** Every encoding of `password` (of terminal `id`) an endpoint might echo, by name. */
export function encodingsOf(password: string, id: string): Record<string, string> {
  return {
    raw: password,
    'xml-once': xmlEscape(password),
    'xml-twice': xmlEscape(xmlEscape(password)),
    // Java and .NET writers: decimal and hex character references for the specials and everything non-ASCII.
    'xml-decimal': password.replace(/[&<>"'\u0080-\u{10ffff}]/gu, (ch) => `&#${ch.codePointAt(0)};`),
    'xml-hex': password.replace(/[&<>"'\u0080-\u{10ffff}]/gu, (ch) => `&#x${ch.codePointAt(0)!.toString(16).toUpperCase()};`),
    'xml-decimal-then-named': xmlEscape(password.replace(/[&<>"']/g, (ch) => `&#${ch.codePointAt(0)};`)),
    'only-amp-and-lt': password.replace(/&/g, '&amp;').replace(/</g, '&lt;'),
    url: encodeURIComponent(password),
    'url-twice': encodeURIComponent(encodeURIComponent(password)),
    form: new URLSearchParams({ p: password }).toString().slice(2),
    base64: Buffer.from(password, 'utf8').toString('base64'),
    'basic-auth': Buffer.from(`${id}:${password}`, 'utf8').toString('base64'),
    json: JSON.stringify(password).slice(1, -1),
    'json-ascii': JSON.stringify(password).slice(1, -1).replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`),
    'utf8-as-latin1': Buffer.from(password, 'utf8').toString('latin1'),
    decomposed: password.normalize('NFD'),
  };
}

/** Where the endpoint puts the echo. */
export const ECHO_PLACES = [
  'faultstring',
  'faultstring-raw',
  'faultcode',
  'fault-in-200',
  'reason-phrase',
  'body-500',
  'malformed-200',
  'text-in-200',
] as const;
export type EchoPlace = (typeof ECHO_PLACES)[number];

/** Text the endpoint puts next to every echo: an error that shows it shows what the endpoint sent. */
export const ECHO_MARK = 'ECHO-MARK';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';

function answer(place: EchoPlace, echo: string): { status: string; type: string; body: string } {
  const fault = (code: string, text: string) =>
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP}"><soap:Body><soap:Fault>` +
    `<faultcode>${code}</faultcode><faultstring>${text}</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
  switch (place) {
    case 'faultstring':
      return { status: '500 Server Error', type: 'text/xml', body: fault('soap:Server', `${ECHO_MARK} wrong password ${xmlEscape(echo)}`) };
    case 'faultstring-raw':
      return { status: '500 Server Error', type: 'text/xml', body: fault('soap:Server', `${ECHO_MARK} wrong password ${echo}`) };
    case 'faultcode':
      return { status: '500 Server Error', type: 'text/xml', body: fault(`soap:${xmlEscape(echo)}`, `${ECHO_MARK} bad login`) };
    case 'fault-in-200':
      return { status: '200 OK', type: 'text/xml', body: fault('soap:Client', `${ECHO_MARK} password ${xmlEscape(echo)} refused`) };
    case 'reason-phrase':
      return { status: `500 ${ECHO_MARK} ${echo}`, type: 'text/plain', body: 'no' };
    case 'body-500':
      return { status: '500 Internal Server Error', type: 'text/html', body: `<html><body><h1>${ECHO_MARK}</h1><p>${echo}</p></body></html>` };
    case 'malformed-200':
      return {
        status: '200 OK',
        type: 'text/xml',
        body: `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP}"><soap:Body><x a="${echo}">${ECHO_MARK} ${echo}<</soap:Bo`,
      };
    case 'text-in-200':
      return { status: '200 OK', type: 'text/plain', body: `${ECHO_MARK} you sent ${echo}` };
  }
}

/** The probe tag for a place and an encoding, to put in a request. */
export function probeTag(place: EchoPlace, encoding: string): string {
  return `probe-${ECHO_PLACES.indexOf(place)}-${encoding}`;
}

/**
 * Starts the hostile endpoint for `password` (terminal `id`) on loopback. Each request is answered after it
 * has been read whole, on a connection that is closed afterwards; requests without a probe tag get the first
 * place and encoding.
 */
export async function startPasswordEcho(servers: Servers, password: string, id: string): Promise<{ url: string; requests: () => number }> {
  const encodings = encodingsOf(password, id);
  let requests = 0;
  const { url } = await servers.tcp((socket: net.Socket) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const headerEnd = received.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/content-length:\s*(\d+)/i.exec(received.subarray(0, headerEnd).toString('latin1'))?.[1] ?? 0);
      if (received.length < headerEnd + 4 + length) return;
      requests++;
      const request = received.subarray(headerEnd + 4).toString('utf8');
      const tag = /probe-(\d+)-([a-z0-9-]+)/.exec(request);
      const place = ECHO_PLACES[Number(tag?.[1] ?? 0)] ?? ECHO_PLACES[0];
      const echo = encodings[tag?.[2] ?? 'raw'] ?? password;
      const { status, type, body } = answer(place, echo);
      const bytes = Buffer.from(body, 'utf8');
      // The status line as UTF-8 bytes: a server that echoes a non-ASCII password in its reason phrase.
      socket.end(
        Buffer.concat([
          Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: ${type}; charset=utf-8\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`, 'utf8'),
          bytes,
        ]),
      );
    });
  });
  return { url, requests: () => requests };
}

/**
 * Asserts that no encoding of `password` (nor the JSON- or inspect-quoted spelling of one) occurs in any of
 * `views`; `where` names the views in the failure message.
 */
export function assertNoPasswordForm(views: string[], password: string, id: string, where: string): void {
  const forms = new Set<string>();
  for (const form of Object.values(encodingsOf(password, id))) {
    forms.add(form);
    forms.add(JSON.stringify(form).slice(1, -1));
    forms.add(inspect(form).slice(1, -1));
  }
  for (const view of views) {
    for (const form of forms) {
      const at = view.indexOf(form);
      assert.ok(at < 0, `${where}: the password leaked as ${JSON.stringify(form)} in: …${view.slice(Math.max(0, at - 600), at + 200)}…`);
    }
  }
}
