import { resultCodeInfo } from './codes';
import { maskElementContents } from './element-scan';
import { removeSecret } from './secret-forms';

/**
 * SEQR answered, but with a result code other than 0 (SUCCESS). The message is the code's human sentence,
 * naming the operation; `transient` says whether the same call may succeed later (93 SYSTEM_BUSY,
 * 94 SERVICE_UNAVAILABLE).
 */
export class SeqrError extends Error {
  override readonly name = 'SeqrError';
  readonly operation: string;
  readonly code: number;
  /** Symbolic name, e.g. `INVALID_INVOICE_REFERENCE`. */
  readonly codeName: string;
  /** The code's sentence without the operation, for a status text. */
  readonly sentence: string;
  readonly transient: boolean;

  constructor(operation: string, code: number) {
    const info = resultCodeInfo(code);
    super(`SEQR ${operation}: ${info.sentence} (result code ${code} ${info.name})`);
    this.operation = operation;
    this.code = code;
    this.codeName = info.name;
    this.sentence = info.sentence;
    this.transient = info.transient;
  }
}

/**
 * How a call failed below SEQR's result codes:
 * - `refused`  nothing listens at the endpoint (ECONNREFUSED)
 * - `reset`    the connection broke before the answer was complete (ECONNRESET, EPIPE, closed early)
 * - `timeout`  no complete answer within `timeoutMs`
 * - `too-large` the answer was longer than `maxAnswerBytes` (announced or while it arrived): the call was aborted
 * - `dns`      the host name does not resolve
 * - `network`  the host or network is unreachable, or another socket error
 * - `tls`      the TLS handshake failed (certificate not trusted, wrong host name, protocol mismatch)
 * - `http`     an HTTP status other than 200 without a SOAP fault in the body
 * - `parse`    the body is not the SOAP response the operation expects
 * - `fault`    the service answered with a SOAP fault (it could not read the request)
 * - `closed`   the client was closed before the call
 */
export type TransportErrorKind =
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'too-large'
  | 'dns'
  | 'network'
  | 'tls'
  | 'http'
  | 'parse'
  | 'fault'
  | 'closed';

export interface TransportErrorDetails {
  statusCode?: number;
  /** The socket error code, e.g. ECONNREFUSED. */
  errorCode?: string;
  faultCode?: string;
  faultString?: string;
  /** A short description of the underlying failure, already free of secrets. */
  causeMessage?: string;
}

const KIND_TEXT: Record<TransportErrorKind, string> = {
  refused: 'the connection was refused',
  reset: 'the connection was reset before the answer arrived',
  timeout: 'no answer arrived in time',
  'too-large': 'the answer was larger than allowed',
  dns: 'the host name could not be resolved',
  network: 'the network failed',
  tls: 'the TLS connection could not be established',
  http: 'the service answered with an HTTP error',
  parse: 'the answer was not a SEQR response',
  fault: 'the service answered with a SOAP fault',
  closed: 'the client is closed',
};

/**
 * Retry policy by kind. Worth retrying: the service may be back or less busy soon (refused, reset, timeout,
 * network, 5xx, 408, 429, a temporary DNS failure); an answer too large is a misbehaving endpoint or proxy (an
 * error page, a stream that never ends), not an answer to this request, so the next call may get a real one. Not worth retrying: the same request would fail the same way
 * (a fault means the request itself was not understood, 4xx, TLS trust problems, a body we cannot read, a host
 * name that does not exist, a closed client).
 */
export function isRetryable(kind: TransportErrorKind, details: TransportErrorDetails = {}): boolean {
  switch (kind) {
    case 'refused':
    case 'reset':
    case 'timeout':
    case 'too-large':
    case 'network':
      return true;
    case 'dns':
      return details.errorCode === 'EAI_AGAIN';
    case 'http': {
      const status = details.statusCode ?? 0;
      return status >= 500 || status === 408 || status === 429;
    }
    default:
      return false;
  }
}

/** Kinds of transport failure after which the request surely had no effect at SEQR. */
const NOT_PROCESSED: ReadonlySet<TransportErrorKind> = new Set<TransportErrorKind>(['refused', 'dns', 'tls', 'fault', 'closed']);

/**
 * Whether a call that failed this way may still have taken effect at SEQR although no answer came (a timeout, a
 * reset, an HTTP error): false only when it surely did not (refused, unknown host, TLS handshake, SOAP fault,
 * closed). An invoice may exist, a refund may be paid: sending the same call again may do it twice.
 */
export function maybeProcessed(kind: TransportErrorKind): boolean {
  return !NOT_PROCESSED.has(kind);
}

/** The call did not get a SEQR answer: see `kind` and `retryable`. */
export class SeqrTransportError extends Error {
  override readonly name = 'SeqrTransportError';
  readonly operation: string;
  readonly kind: TransportErrorKind;
  readonly retryable: boolean;
  readonly statusCode?: number;
  readonly errorCode?: string;
  readonly faultCode?: string;
  readonly faultString?: string;
  readonly causeMessage?: string;

  constructor(operation: string, kind: TransportErrorKind, details: TransportErrorDetails = {}) {
    const extra = [
      details.statusCode !== undefined ? `HTTP ${details.statusCode}` : undefined,
      details.faultCode !== undefined || details.faultString !== undefined
        ? `${details.faultCode ?? 'fault'}: ${details.faultString ?? ''}`.trim()
        : undefined,
      details.causeMessage,
    ].filter((part): part is string => !!part);
    super(`SEQR ${operation}: ${KIND_TEXT[kind]}${extra.length ? ` (${extra.join('; ')})` : ''}`);
    this.operation = operation;
    this.kind = kind;
    this.retryable = isRetryable(kind, details);
    if (details.statusCode !== undefined) this.statusCode = details.statusCode;
    if (details.errorCode !== undefined) this.errorCode = details.errorCode;
    if (details.faultCode !== undefined) this.faultCode = details.faultCode;
    if (details.faultString !== undefined) this.faultString = details.faultString;
    if (details.causeMessage !== undefined) this.causeMessage = details.causeMessage;
  }
}

/*
 * A `<password>` element, also when it comes back XML-escaped (`&lt;password&gt;…`) once or more: its tags.
 * Attributes and prefixes are bounded in length so that each tag matches in bounded time (see element-scan.ts).
 */
const PASSWORD_OPEN = /<(?:[\w.-]{1,64}:)?password(?:\s[^<>]{0,256})?>/gi;
const PASSWORD_CLOSE = /<\/(?:[\w.-]{1,64}:)?password\s*>/gi;
const ESCAPED_LT = '&(?:amp;){0,4}lt;';
const ESCAPED_GT = '&(?:amp;){0,4}gt;';
const ESCAPED_PASSWORD_OPEN = new RegExp(`${ESCAPED_LT}(?:[\\w.-]{1,64}:)?password(?:\\s[^<>]{0,128}?)?${ESCAPED_GT}`, 'gi');
const ESCAPED_PASSWORD_CLOSE = new RegExp(`${ESCAPED_LT}/(?:[\\w.-]{1,64}:)?password\\s*${ESCAPED_GT}`, 'gi');
const MAX_CAUSE_LENGTH = 300;
/**
 * Only this much of a text is redacted (and can be shown): keeps each failed call cheap however long the text an
 * endpoint sends. A secret cut at this end cannot come within the first MAX_CAUSE_LENGTH characters unless
 * everything before it is thousands of echoes of a secret, each folded into `***`.
 */
const MAX_REDACTED_INPUT = 64 * 1024;

/**
 * Makes text that came from outside this library (a socket error, a fault string, a server's body, a reason
 * phrase) safe to put in an error: removes the contents of any `<password>` element and every occurrence of
 * each secret in every form an endpoint can echo it (escaped for XML once or twice, URL- or form-encoded, as
 * JSON, base64, ...: see secret-forms.ts), then cuts it to a readable length. Our own sentences are not passed
 * through here.
 */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  // White space first: the secret patterns match a folded run (secret-forms.ts).
  let out = (text.length > MAX_REDACTED_INPUT ? text.slice(0, MAX_REDACTED_INPUT) : text).replace(/\s+/g, ' ');
  out = maskElementContents(out, PASSWORD_OPEN, PASSWORD_CLOSE, '***');
  out = maskElementContents(out, ESCAPED_PASSWORD_OPEN, ESCAPED_PASSWORD_CLOSE, '***');
  for (const secret of secrets) {
    if (secret) out = removeSecret(out, secret, '***');
  }
  out = out.trim();
  return out.length > MAX_CAUSE_LENGTH ? `${out.slice(0, MAX_CAUSE_LENGTH - 1)}…` : out;
}
