import { constants as bufferConstants } from 'node:buffer';
import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { readElementTexts } from './xml-reading';
import { SeqrTransportError, redact, type TransportErrorKind } from './errors';
import { httpUrl } from '../values';

/**
 * The HTTP transport SeqrClient hands to `soap` as its `httpClient`.
 *
 * Why not soap's default (axios): it costs about 2.7× the CPU of a plain keep-alive POST per call, and a till or
 * a watcher polls getPaymentStatus every second for every open invoice. This one is a keep-alive `node:http(s)`
 * Agent and a single request per call: fixed headers (`SOAPAction: ""`, `Content-Type: text/xml; charset=utf-8`),
 * a deadline that aborts the request, and failures turned into SeqrTransportError with a kind and a retry
 * verdict (see errors.ts). It only moves bytes: a 200 answer goes back to soap to parse; any other status is
 * reported as a SOAP fault (when the body holds one) or an HTTP error here.
 *
 * At most `maxSockets` calls are on the wire at once; the others wait in a queue of plain records and get
 * their request, buffers and deadline timer only when a connection is theirs. Node's Agent would queue
 * them too, but as fully built requests: with 2,000 invoices polled every second and a slow SEQR, that is
 * 2,000 live requests, all old enough to be promoted to V8's old generation before they die. A queued call's
 * deadline counts from the call, so a long queue shows up as timeouts, never as calls waiting forever.
 *
 * Every peer is treated as hostile: an answer is collected as Buffers up to `maxAnswerBytes` and the call is
 * aborted (kind `too-large`) as soon as the answer announces or reaches more, so an endless or huge answer costs
 * at most that much memory per call, and all answers in flight together at most `maxAnswerBytesInFlight` (else
 * 64 connections could hold 64 of them); and no socket, request, response or timer callback here lets an exception
 * escape (one there would be an uncaught exception, which ends Node-RED).
 */

export interface TlsOptions {
  /** Check the server's certificate against the trusted CAs (default true). */
  rejectUnauthorized?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. for a test server with a private CA. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface TransportOptions {
  /** Deadline for one call, from sending to the last byte of the answer. Default 10 000 ms. */
  timeoutMs?: number;
  tls?: TlsOptions;
  /** Most parallel connections to the endpoint. Default 64. */
  maxSockets?: number;
  /** Largest answer body accepted, in bytes; a longer one fails the call (kind `too-large`). Default 4 MiB. */
  maxAnswerBytes?: number;
}

/** What SeqrClient passes per call as soap's `options` (exoptions here). */
export interface TransportCallOptions {
  /** The SEQR operation, for error messages. */
  operation: string;
  /** Texts never to repeat in an error (the passwords in the request). */
  secrets: ReadonlyArray<string>;
  /** Fixed exchange id: spares soap a randomUUID per call (it is only used for its events). */
  exchangeId?: string;
}

/** What soap reads from a response object. */
interface SoapResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
}

type SoapCallback = (error: unknown, response?: SoapResponse, body?: string) => void;

type PostDone = (error: SeqrTransportError | null, status?: number, headers?: http.IncomingHttpHeaders, body?: string) => void;

/** A call waiting for a free connection. */
interface QueuedCall {
  target: http.RequestOptions;
  xml: string;
  operation: string;
  secrets: ReadonlyArray<string>;
  done: PostDone;
  /** performance.now() when the call was made. */
  calledAt: number;
}

/** The queue's consumed head is cut off once it is this long (and half the array). */
const QUEUE_COMPACT_AT = 1024;

export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * 4 MiB: a getPaymentStatus answer is about 1 KB and the other answers are as small, except executeReport,
 * whose report comes as text and again as base64; 4 MiB holds a report of some ten thousand transactions.
 * A misbehaving endpoint can make one call hold this much (and its text as the call ends), and all calls
 * together ANSWERS_IN_FLIGHT_FACTOR times as much: 16 MiB, however many watches poll it.
 */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * All answers being received at once may hold at most this many times `maxAnswerBytes` (16 MiB by default),
 * but never less than ANSWER_ROOM_PER_SOCKET on every connection. Real answers are about 1 KB, so only a
 * misbehaving endpoint reaches it, and then the transport's memory no longer grows with `maxSockets`; a few
 * reports can still arrive at the same time, and with a small limit every connection still has room for one
 * whole answer.
 */
export const ANSWERS_IN_FLIGHT_FACTOR = 4;
const ANSWER_ROOM_PER_SOCKET = 64 * 1024;

/** An answer must fit in one string once decoded (V8's limit, about 512 M characters). */
export const MAX_ANSWER_BYTES_LIMIT = bufferConstants.MAX_STRING_LENGTH;

const TLS_ERROR_CODES = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
]);

/** Maps a socket-level error code to a transport error kind. */
export function networkErrorKind(code: string | undefined): TransportErrorKind {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA':
      return 'dns';
    default:
      if (code && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))) return 'tls';
      return 'network';
  }
}

export class SeqrTransport {
  readonly timeoutMs: number;
  readonly maxAnswerBytes: number;
  /** Most bytes of answers all calls may hold at once (see ANSWERS_IN_FLIGHT_FACTOR). */
  readonly maxAnswerBytesInFlight: number;
  /** Bytes of answers being received, over all calls (see ANSWERS_IN_FLIGHT_FACTOR). */
  private answerBytesInFlight = 0;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private closed = false;
  private readonly maxActive: number;
  private active = 0;
  /** Waiting calls; entries before queueHead are consumed (cleared). */
  private readonly queue: Array<QueuedCall | undefined> = [];
  private queueHead = 0;
  // The last endpoint's parsed request options: the client posts to one endpoint, so this is parsed once.
  private lastUrl = '';
  private lastTarget: http.RequestOptions = {};
  private lastIsHttps = false;

  constructor(options: TransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs > 0)) {
      throw new RangeError(`timeoutMs must be a positive number of milliseconds, not ${String(options.timeoutMs)}`);
    }
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    if (!(Number.isInteger(this.maxAnswerBytes) && this.maxAnswerBytes > 0 && this.maxAnswerBytes <= MAX_ANSWER_BYTES_LIMIT)) {
      throw new RangeError(
        `maxAnswerBytes must be a whole number of bytes from 1 to ${MAX_ANSWER_BYTES_LIMIT}, not ${String(options.maxAnswerBytes)}`,
      );
    }
    this.maxActive = options.maxSockets ?? 64;
    if (!(Number.isInteger(this.maxActive) && this.maxActive > 0)) {
      throw new RangeError(`maxSockets must be a positive whole number, not ${String(options.maxSockets)}`);
    }
    this.maxAnswerBytesInFlight = Math.max(
      ANSWERS_IN_FLIGHT_FACTOR * this.maxAnswerBytes,
      this.maxActive * Math.min(this.maxAnswerBytes, ANSWER_ROOM_PER_SOCKET),
    );
    const agentOptions = {
      keepAlive: true,
      maxSockets: this.maxActive,
      // Idle sockets are dropped after this unless the server's Keep-Alive header asks for less.
      timeout: 30_000,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent({
      ...agentOptions,
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
    });
  }

  /** soap's IHttpClient entry point: `this.httpClient.request(location, xml, callback, headers, options, client)`. */
  request(url: string, xml: string, callback: SoapCallback, _headers?: unknown, options?: TransportCallOptions): undefined {
    const operation = options?.operation ?? 'request';
    const secrets = options?.secrets ?? [];
    this.post(url, xml, operation, secrets, (error, status, headers, body) => {
      if (error) {
        callback(error);
        return;
      }
      try {
        callback(null, { status: status!, headers: headers! }, body);
      } catch (thrown) {
        // soap reads the answer inside this callback: if its reader throws, it gets the error to report instead
        // (its callback settles the caller's promise at most once), so the call fails rather than hangs.
        callback(new SeqrTransportError(operation, 'parse', { causeMessage: redact(messageOf(thrown), secrets) }));
      }
    });
    return undefined;
  }

  /**
   * POSTs one SOAP envelope and reports `(error, status, headers, body)` once. Status 200 comes back as is;
   * anything else becomes a SeqrTransportError (`fault` when the body holds a SOAP fault, else `http`).
   */
  post(
    url: string,
    xml: string,
    operation: string,
    secrets: ReadonlyArray<string>,
    callerDone: PostDone,
  ): void {
    const done = guarded(callerDone, operation, secrets);
    if (this.closed) {
      done(new SeqrTransportError(operation, 'closed'));
      return;
    }
    let target: http.RequestOptions;
    try {
      target = this.target(url);
    } catch (error) {
      done(new SeqrTransportError(operation, 'network', { causeMessage: redact(String((error as Error).message), secrets) }));
      return;
    }
    if (this.active >= this.maxActive) {
      this.queue.push({ target, xml, operation, secrets, done, calledAt: performance.now() });
      return;
    }
    this.start(target, xml, operation, secrets, this.timeoutMs, done);
  }

  /** Number of calls waiting for a connection. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Bytes of answers being received now, over all calls (at most maxAnswerBytesInFlight). */
  get answerBytesReceiving(): number {
    return this.answerBytesInFlight;
  }

  /** Puts a call on the wire; its slot is given to the next queued call when it settles. */
  private start(
    target: http.RequestOptions,
    xml: string,
    operation: string,
    secrets: ReadonlyArray<string>,
    timeoutMs: number,
    done: PostDone,
  ): void {
    this.active++;
    this.attempt(target, Buffer.from(xml, 'utf8'), operation, secrets, timeoutMs, true, (error, status, headers, body) => {
      this.active--;
      this.startQueued();
      done(error, status, headers, body);
    });
  }

  private startQueued(): void {
    while (this.active < this.maxActive && this.queueHead < this.queue.length) {
      const call = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined;
      if (this.queueHead >= QUEUE_COMPACT_AT && this.queueHead * 2 >= this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      const leftMs = this.timeoutMs - (performance.now() - call.calledAt);
      if (leftMs <= 0) call.done(timeoutError(call.operation, this.timeoutMs));
      else this.start(call.target, call.xml, call.operation, call.secrets, leftMs, call.done);
    }
  }

  private attempt(
    target: http.RequestOptions,
    payload: Buffer,
    operation: string,
    secrets: ReadonlyArray<string>,
    timeoutMs: number,
    mayRetryStaleSocket: boolean,
    done: PostDone,
  ): void {
    let finished = false;
    let timedOut = false;
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    let request: http.ClientRequest | undefined;
    // This call's share of answerBytesInFlight, given back when it ends.
    let held = 0;
    const finish = (error: SeqrTransportError | null, status?: number, headers?: http.IncomingHttpHeaders, body?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.answerBytesInFlight -= held;
      held = 0;
      done(error, status, headers, body);
    };
    // Ends the call with `error` and drops the connection (a socket with an answer half read cannot be reused).
    const abort = (error: SeqrTransportError) => {
      finish(error);
      request?.destroy();
    };
    const limit = this.maxAnswerBytes;
    const limitInFlight = this.maxAnswerBytesInFlight;
    try {
      request = (this.lastIsHttps ? https : http).request(target, (response) => {
        answered = true;
        response.on('error', (error: NodeJS.ErrnoException) => {
          finish(timedOut ? timeoutError(operation, this.timeoutMs) : socketError(operation, error, secrets));
        });
        response.on('aborted', () => {
          finish(timedOut ? timeoutError(operation, this.timeoutMs) : new SeqrTransportError(operation, 'reset', {
            causeMessage: 'the answer was cut off',
          }));
        });
        const announced = Number(response.headers['content-length']);
        if (announced > limit) {
          abort(tooLargeError(operation, limit, `announced ${announced} bytes`));
          return;
        }
        // Buffers, not a growing string: memory stays at most `limit` plus one chunk, and no string gets
        // longer than V8 allows (`body += chunk` on an endless answer threw RangeError in this callback).
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          if (finished) return;
          received += chunk.length;
          held += chunk.length;
          this.answerBytesInFlight += chunk.length;
          if (received > limit) abort(tooLargeError(operation, limit, `more than ${limit} bytes arrived`));
          else if (this.answerBytesInFlight > limitInFlight) {
            abort(tooLargeError(operation, limit, `the answers in flight came to more than ${limitInFlight} bytes together`));
          } else chunks.push(chunk);
        });
        response.on('end', () => {
          if (finished) return;
          try {
            const body = Buffer.concat(chunks, received).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status === 200) finish(null, status, response.headers, body);
            else finish(httpError(operation, status, response.statusMessage, body, secrets));
          } catch (error) {
            finish(new SeqrTransportError(operation, 'parse', { causeMessage: redact(messageOf(error), secrets) }));
          }
        });
      });
      request.setHeader('Content-Length', payload.length);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (finished) return;
        if (timedOut) {
          finish(timeoutError(operation, this.timeoutMs));
          return;
        }
        // A keep-alive socket the server closed while idle fails at once on reuse; the request never reached the
        // server, so sending it again on a fresh connection is safe (the pattern Node's documentation gives).
        if (mayRetryStaleSocket && !answered && request?.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          finished = true;
          clearTimeout(timer);
          this.attempt(target, payload, operation, secrets, timeoutMs, false, done);
          return;
        }
        finish(socketError(operation, error, secrets));
      });
      timer = setTimeout(() => {
        timedOut = true;
        abort(timeoutError(operation, this.timeoutMs));
      }, timeoutMs);
      request.end(payload);
    } catch (error) {
      // http.request and end() throw synchronously on what they cannot send (e.g. a host name they reject).
      abort(new SeqrTransportError(operation, 'network', { causeMessage: redact(messageOf(error), secrets) }));
    }
  }

  private target(url: string): http.RequestOptions {
    if (url === this.lastUrl) return this.lastTarget;
    const parsed = httpUrl(url);
    if (!parsed) throw new Error(`the endpoint ${new URL(url).protocol}// is not http:// or https://`);
    const isHttps = parsed.protocol === 'https:';
    this.lastTarget = {
      method: 'POST',
      protocol: parsed.protocol,
      hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port || (isHttps ? 443 : 80),
      path: parsed.pathname + parsed.search,
      agent: isHttps ? this.httpsAgent : this.httpAgent,
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: '""',
        Accept: 'text/xml',
      },
    };
    this.lastIsHttps = isHttps;
    this.lastUrl = url;
    return this.lastTarget;
  }

  /** Closes idle connections and refuses further calls. */
  close(): void {
    this.closed = true;
    const waiting = this.queue.splice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const call of waiting) call?.done(new SeqrTransportError(call.operation, 'closed'));
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function timeoutError(operation: string, timeoutMs: number): SeqrTransportError {
  return new SeqrTransportError(operation, 'timeout', { causeMessage: `no complete answer within ${timeoutMs} ms` });
}

function tooLargeError(operation: string, limit: number, what: string): SeqrTransportError {
  return new SeqrTransportError(operation, 'too-large', { causeMessage: `${what}; maxAnswerBytes is ${limit}` });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The caller's callback (soap's reader, a promise), made safe to call from a socket or timer callback: what it
 * throws is reported as a process warning, not left to become an uncaught exception that ends the process.
 */
function guarded(done: PostDone, operation: string, secrets: ReadonlyArray<string>): PostDone {
  return (error, status, headers, body) => {
    try {
      done(error, status, headers, body);
    } catch (thrown) {
      process.emitWarning(`SEQR ${operation}: the caller's callback threw: ${redact(messageOf(thrown), secrets)}`, 'SeqrTransportWarning');
    }
  };
}

function socketError(operation: string, error: NodeJS.ErrnoException, secrets: ReadonlyArray<string>): SeqrTransportError {
  const code = error.code;
  return new SeqrTransportError(operation, networkErrorKind(code), {
    ...(code ? { errorCode: code } : {}),
    causeMessage: redact(error.message, secrets),
  });
}

function httpError(
  operation: string,
  status: number,
  statusMessage: string | undefined,
  body: string,
  secrets: ReadonlyArray<string>,
): SeqrTransportError {
  const fault = extractFault(body);
  if (fault) {
    return new SeqrTransportError(operation, 'fault', {
      statusCode: status,
      faultCode: redact(fault.faultCode, secrets),
      faultString: redact(fault.faultString, secrets),
    });
  }
  return new SeqrTransportError(operation, 'http', {
    statusCode: status,
    ...(statusMessage ? { causeMessage: redact(statusMessage, secrets) } : {}),
  });
}

export interface SoapFault {
  faultCode: string;
  faultString: string;
}

/**
 * A fault is looked for in the first 64 KiB of a body: SEQR's faults are a few hundred bytes, and the fault
 * string is cut to 300 characters anyway; an answer of megabytes (up to maxAnswerBytes) is then not scanned
 * and redacted whole on every failed call.
 */
const FAULT_SCAN_LENGTH = 64 * 1024;
/** SOAP 1.1's parts, then the SOAP 1.2 ones (`Code/Value`, `Reason/Text`). */
const FAULT_PARTS = ['faultcode', 'faultstring', 'Value', 'Text'] as const;

/**
 * Reads a SOAP fault from a body without depending on prefixes: SOAP 1.1 (`faultcode`/`faultstring`), and the
 * SOAP 1.2 form (`Code/Value`, `Reason/Text`) that soap's own server puts in a 1.1 envelope. Undefined when the
 * body holds no fault. An error path, so no speed reason for a scanner of its own: it reads with the bounded
 * one of xml-reading.ts, which never throws on garbage.
 */
export function extractFault(answer: string): SoapFault | undefined {
  const body = answer.length > FAULT_SCAN_LENGTH ? answer.slice(0, FAULT_SCAN_LENGTH) : answer;
  const parts = readElementTexts(body, 'Fault', FAULT_PARTS);
  if (!parts) return undefined;
  return { faultCode: parts.faultcode ?? parts.Value ?? '', faultString: parts.faultstring ?? parts.Text ?? '' };
}
