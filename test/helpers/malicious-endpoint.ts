/**
 * A hostile SEQR endpoint: answers that are valid HTTP and start like a SEQR answer, but never end (200
 * without Content-Length, streaming for as long as the client reads) or are absurdly large (a well-formed
 * answer with a 200 MB resultDescription). The bytes are written as the client takes them (backpressure),
 * from one shared chunk, so the test process itself stays small however long the client keeps reading.
 * The fault proxy serves them in its `endless` and `huge` phases, in place of the emulator's answers.
 */
import * as http from 'node:http';
import { SEQR_NAMESPACE } from '../../src/seqr/types';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
/** What is streamed: 1 MiB of plain letters inside <resultDescription>. */
const FILLER = Buffer.alloc(1024 * 1024, 'A');

/** The SEQR operation a request calls (the first element in its Body), for an answer that looks right. */
export function operationOf(requestXml: string): string {
  const match = /<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(requestXml);
  return match ? match[1] : 'getPaymentStatus';
}

function answerHead(operation: string): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body>` +
    `<ns2:${operation}Response xmlns:ns2="${SEQR_NAMESPACE}"><return><resultCode>0</resultCode><resultDescription>`
  );
}

function answerTail(operation: string): string {
  return `</resultDescription></return></ns2:${operation}Response></soap:Body></soap:Envelope>`;
}

/**
 * Writes `head`, then FILLER until `fillerBytes` are out (Infinity: until the client goes away), then `tail`.
 * Stops as soon as the connection closes.
 */
function stream(res: http.ServerResponse, head: string, fillerBytes: number, tail: string): void {
  let left = fillerBytes;
  let gone = false;
  res.on('close', () => (gone = true));
  res.on('error', () => (gone = true));
  res.write(head);
  const pump = (): void => {
    while (!gone && left > 0) {
      const chunk = left >= FILLER.length ? FILLER : FILLER.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!gone) res.end(tail);
  };
  pump();
}

/** 200 text/xml, chunked (no Content-Length), a SEQR answer that opens and never closes. */
export function answerEndlessly(res: http.ServerResponse, requestXml: string): void {
  res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
  stream(res, answerHead(operationOf(requestXml)), Infinity, '');
}

/**
 * 200 text/xml: a well-formed SEQR answer whose resultDescription is `fillerBytes` long, announced with
 * Content-Length (`announce`) or chunked, so that the client learns its size only by reading it.
 */
export function answerHugely(res: http.ServerResponse, requestXml: string, fillerBytes: number, announce: boolean): void {
  const operation = operationOf(requestXml);
  const head = answerHead(operation);
  const tail = answerTail(operation);
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': 'text/xml; charset=utf-8' };
  if (announce) headers['Content-Length'] = Buffer.byteLength(head) + fillerBytes + Buffer.byteLength(tail);
  res.writeHead(200, headers);
  stream(res, head, fillerBytes, tail);
}
