import { readFileSync } from 'node:fs';
import { Client as SoapClient, WSDL, type IHttpClient } from 'soap';
import { SeqrError, SeqrTransportError, redact } from './errors';
import { SeqrTransport, extractFault, type TransportCallOptions, type TransportOptions } from './transport';
import {
  type ClientContext,
  type CustomerToken,
  type ExecuteReportResponse,
  type InvoiceRow,
  type InvoiceStatus,
  type MarkTransactionPeriodResponse,
  type MerchantOperation,
  MERCHANT_OPERATIONS,
  type ParameterMap,
  type PaymentReceipt,
  type PaymentStatusResponse,
  type ReceiptDocument,
  type RegisterTerminalResponse,
  type SendInvoiceResponse,
  type SeqrAmount,
  type SeqrInvoice,
  type SeqrReport,
  type SeqrResponse,
} from './types';
import { WSDL_PATH } from './wsdl';
import { dropUndefined } from './objects';
import { contextXml, readStatusBody, statusRequest, statusRequestHead } from './status-fast-path';
import { InvoiceInputError, LONE_SURROGATE } from './invoice';
import { httpUrl, isWellFormedText } from '../values';
import { PACKAGE } from '../package-info';

export type SeqrPrincipal =
  | { type: 'TERMINALID'; id: string; password: string }
  | { type: 'RESELLERUSER'; id: string; userId: string; password: string };

/** Where and as whom the client calls, and the transport's limits (timeoutMs, tls, maxSockets, maxAnswerBytes). */
export interface SeqrClientOptions extends TransportOptions {
  /** The service address, e.g. `https://extdev.seqr.com/soap/merchant/cashregister-2` (no `?wsdl`). */
  endpoint: string;
  principal: SeqrPrincipal;
  /** Identifies this software to SEQR; default `@seqr-flows/node-red-seqr <version>`. */
  clientId?: string;
  /** Free label for the calling channel (at most 40 characters); default `WS`. */
  channel?: string;
}

/** Optional per-call context fields. */
export interface CallOptions {
  /** Your reference for this call, for troubleshooting with SEQR (at most 32 characters). */
  clientReference?: string;
  /** Free comment (at most 80 characters). */
  clientComment?: string;
}

/** getPaymentStatus, normalized: tokens always a list, ersReference and receipt only when SEQR sent them. */
export interface PaymentStatus {
  status: InvoiceStatus;
  version: number;
  ersReference?: string;
  receipt?: PaymentReceipt;
  tokens: CustomerToken[];
  resultCode: number;
  resultDescription?: string;
}

export interface SendInvoiceResult extends SeqrResponse {
  invoiceReference: string;
  invoiceQRCode: string;
}

/** A receipt document; `receiptData` as base64 text or as the document's bytes. */
export interface ReceiptDocumentInput extends Omit<ReceiptDocument, 'receiptData'> {
  receiptData?: string | Buffer;
}

/** The clientId sent unless configured otherwise. */
export const DEFAULT_CLIENT_ID = `${PACKAGE.name} ${PACKAGE.version}`;
export const DEFAULT_CHANNEL = 'WS';

/** Context lengths SEQR documents (spec §2.1). */
export const CONTEXT_LIMITS = { channel: 40, clientComment: 80, clientReference: 32 } as const;

/*
 * The WSDL is parsed once per process and shared by every client (a parsed WSDL is read-only while calling).
 * Decimals and dateTimes stay text: soap would turn them into binary floats and Dates, and amounts in
 * receipts must stay exact.
 */
const KEEP_AS_TEXT = (text: string) => text;
const WSDL_OPTIONS = { customDeserializer: { decimal: KEEP_AS_TEXT, dateTime: KEEP_AS_TEXT } };
let sharedWsdl: Promise<WSDL> | undefined;

/** The bundled WSDL, parsed once per process. */
export function loadWsdl(): Promise<WSDL> {
  sharedWsdl ??= new Promise<WSDL>((resolve, reject) => {
    const wsdl = new WSDL(readFileSync(WSDL_PATH, 'utf8'), WSDL_PATH, WSDL_OPTIONS);
    wsdl.onReady((error) => (error ? reject(error) : resolve(wsdl)));
  }).catch((error: unknown) => {
    sharedWsdl = undefined;
    throw error;
  });
  return sharedWsdl;
}

/**
 * One endpoint's connections: the transport (keep-alive agent) and the soap client bound to the endpoint.
 * Shared by a client and the clients derived from it with withPrincipal; closed when the last of them closes.
 */
class Connection {
  readonly transport: SeqrTransport;
  soap: SoapClient | undefined;
  private soapReady: Promise<SoapClient> | undefined;
  users = 0;

  constructor(readonly endpoint: string, options: SeqrClientOptions) {
    this.transport = new SeqrTransport({
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
      ...(options.maxAnswerBytes !== undefined ? { maxAnswerBytes: options.maxAnswerBytes } : {}),
    });
  }

  ready(): Promise<SoapClient> {
    this.soapReady ??= loadWsdl().then((wsdl) => {
      // soap types request() as returning an axios promise but ignores the value (client.js `_invoke`).
      this.soap = new SoapClient(wsdl, this.endpoint, { httpClient: this.transport as unknown as IHttpClient });
      return this.soap;
    });
    return this.soapReady;
  }
}

// Hands an existing connection to the constructor from withPrincipal (keeps the public constructor simple).
let inheritedConnection: Connection | undefined;

/**
 * A SEQR merchant API client: one typed async method per merchant operation, over SOAP 1.1 from the bundled
 * WSDL, to the configured endpoint (no `?wsdl` fetch). Result code 0 returns the response; any other code
 * throws SeqrError; a failure below SEQR (network, HTTP, fault, unreadable answer) throws SeqrTransportError.
 * Nothing thrown contains the password (it lives in private fields only).
 *
 * Terminal operations need a TERMINALID principal; registerTerminal, markTransactionPeriod and executeReport
 * a RESELLERUSER principal. `withPrincipal` derives a client for another principal on the same connections,
 * e.g. a reseller client registers a terminal, then `reseller.withPrincipal({ type: 'TERMINALID', id, password })`
 * makes the terminal's calls.
 */
export class SeqrClient {
  readonly endpoint: string;
  readonly principalType: SeqrPrincipal['type'];
  readonly principalId: string;
  readonly clientId: string;
  readonly channel: string;
  readonly timeoutMs: number;
  readonly maxAnswerBytes: number;
  #connection: Connection;
  #context: ClientContext;
  #secrets: string[];
  #callOptions: Record<MerchantOperation, TransportCallOptions>;
  #statusHead: string;
  #closed = false;

  constructor(options: SeqrClientOptions) {
    const endpoint = checkEndpoint(options?.endpoint);
    const principal = checkPrincipal(options.principal);
    this.endpoint = endpoint;
    this.principalType = principal.type;
    this.principalId = principal.id;
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.channel = contextText(options.channel ?? DEFAULT_CHANNEL, 'channel', CONTEXT_LIMITS.channel) ?? DEFAULT_CHANNEL;
    this.#connection = inheritedConnection ?? new Connection(endpoint, options);
    this.#connection.users += 1;
    this.timeoutMs = this.#connection.transport.timeoutMs;
    this.maxAnswerBytes = this.#connection.transport.maxAnswerBytes;
    this.#context = {
      channel: this.channel,
      clientId: this.clientId,
      clientRequestTimeout: 0,
      initiatorPrincipalId:
        principal.type === 'RESELLERUSER'
          ? { id: principal.id, type: principal.type, userId: principal.userId }
          : { id: principal.id, type: principal.type },
      password: principal.password,
    };
    this.#statusHead = statusRequestHead(contextXml(this.#context));
    // `id:password` too: its base64 is an HTTP Basic credential, which a proxy or endpoint may echo; a short
    // password's own base64 run is too short to find inside it (see secret-forms.ts).
    this.#secrets = [principal.password];
    if (principal.password !== '') {
      this.#secrets.push(`${principal.id}:${principal.password}`);
      if (principal.type === 'RESELLERUSER') this.#secrets.push(`${principal.userId}:${principal.password}`);
    }
    this.#callOptions = {} as Record<MerchantOperation, TransportCallOptions>;
    for (const operation of MERCHANT_OPERATIONS) {
      this.#callOptions[operation] = { operation, secrets: this.#secrets, exchangeId: operation };
    }
  }

  /** A client for another principal (and optionally another clientId/channel) sharing this one's connections. */
  withPrincipal(principal: SeqrPrincipal, overrides: { clientId?: string; channel?: string } = {}): SeqrClient {
    if (this.#closed) throw new Error('withPrincipal: this SeqrClient is closed');
    inheritedConnection = this.#connection;
    try {
      return new SeqrClient({
        endpoint: this.endpoint,
        principal,
        clientId: overrides.clientId ?? this.clientId,
        channel: overrides.channel ?? this.channel,
      });
    } finally {
      inheritedConnection = undefined;
    }
  }

  /** Creates an invoice (state ISSUED). `tokens`: loyalty cards swiped at the till (status 1). */
  async sendInvoice(invoice: SeqrInvoice, tokens?: CustomerToken[], call?: CallOptions): Promise<SendInvoiceResult> {
    const response = await this.#call<SendInvoiceResponse>('sendInvoice', call, {
      invoice: wireInvoice(invoice),
      ...wireTokens(tokens),
    });
    const invoiceReference = requiredPart('sendInvoice', response.invoiceReference, 'invoiceReference');
    return { ...response, invoiceReference, invoiceQRCode: response.invoiceQRCode ?? `HTTP://SEQR.SE/R${invoiceReference}` };
  }

  /**
   * The invoice's status. Send the last `version` you saw (0 at first): that echo acknowledges it. Receiving PAID
   * here is what commits the payment at SEQR (spec §5.4).
   */
  async getPaymentStatus(invoiceReference: string, invoiceVersion = 0, call?: CallOptions): Promise<PaymentStatus> {
    // The hot path: a template request and a small reader instead of soap (see status-fast-path.ts for why).
    if (this.#closed) throw new SeqrTransportError('getPaymentStatus', 'closed');
    if (!Number.isSafeInteger(invoiceVersion)) {
      throw new TypeError(`getPaymentStatus: invoiceVersion must be a whole number, not ${String(invoiceVersion)}`);
    }
    const context = call ? this.#contextWith(call) : this.#context;
    refuseIllFormedText({ context, invoiceReference });
    const head = call ? statusRequestHead(contextXml(context)) : this.#statusHead;
    const secrets = this.#secrets;
    const body = await new Promise<string>((resolve, reject) => {
      this.#connection.transport.post(
        this.endpoint,
        statusRequest(head, String(invoiceReference), invoiceVersion),
        'getPaymentStatus',
        secrets,
        (error, _status, _headers, text) => (error ? reject(error) : resolve(text!)),
      );
    });
    let read: Record<string, unknown> | undefined;
    try {
      read = readStatusBody(body);
    } catch (error) {
      throw new SeqrTransportError('getPaymentStatus', 'parse', {
        causeMessage: redact(`the answer is not well-formed XML: ${(error as Error).message}`, secrets),
      });
    }
    if (read === undefined) read = await soapReadBody('getPaymentStatus', body, secrets);
    if (read.Fault !== undefined) throw soapError('getPaymentStatus', { body }, secrets);
    const response = checkResult<PaymentStatusResponse>(
      'getPaymentStatus',
      read.getPaymentStatusResponse as { return?: PaymentStatusResponse } | undefined,
    );
    if (typeof response.status !== 'string' || typeof response.version !== 'number') {
      throw new SeqrTransportError('getPaymentStatus', 'parse', { causeMessage: 'the answer has no status or version' });
    }
    const status: PaymentStatus = {
      status: response.status,
      version: response.version,
      tokens: asList(response.customerTokens?.token),
      resultCode: response.resultCode,
      resultDescription: response.resultDescription,
    };
    if (response.ersReference) status.ersReference = response.ersReference;
    if (response.receipt) status.receipt = response.receipt;
    return status;
  }

  /** Cancels an unpaid invoice. 95 INVOICE_ALREADY_CANCELED is thrown like any code; many callers treat it as done. */
  cancelInvoice(invoiceReference: string, call?: CallOptions): Promise<SeqrResponse> {
    return this.#call('cancelInvoice', call, { invoiceReference });
  }

  /** Replaces the invoice's content; in PENDING_ISSUER_ACKNOWLEDGE it is the merchant's acknowledgement. */
  updateInvoice(invoiceReference: string, invoice: SeqrInvoice, tokens?: CustomerToken[], call?: CallOptions): Promise<SeqrResponse> {
    return this.#call('updateInvoice', call, {
      invoiceReference,
      invoice: wireInvoice(invoice),
      ...wireTokens(tokens),
    });
  }

  /** Captures a RESERVED invoice, optionally for a final amount (v2.6; not above the reservation). */
  commitReservation(invoiceReference: string, amount?: SeqrAmount, call?: CallOptions): Promise<SeqrResponse> {
    return this.#call('commitReservation', call, {
      ...(amount ? { amount: wireAmount(amount) } : {}),
      invoiceReference,
    });
  }

  /** Attaches a receipt document to a payment (or refund). */
  submitPaymentReceipt(ersReference: string, document: ReceiptDocumentInput, call?: CallOptions): Promise<SeqrResponse> {
    const receiptData = Buffer.isBuffer(document.receiptData) ? document.receiptData.toString('base64') : document.receiptData;
    return this.#call('submitPaymentReceipt', call, {
      ersReference,
      receiptDocument: dropUndefined({ mimeType: document.mimeType, receiptData, receiptType: document.receiptType }),
    });
  }

  /** Refunds (part of) a payment: `invoice.totalAmount` is the amount to refund now. Returns the refund's own ersReference. */
  async refundPayment(ersReference: string, invoice: SeqrInvoice, call?: CallOptions): Promise<SeqrResponse & { ersReference?: string }> {
    return this.#call('refundPayment', call, { ersReference, invoice: wireInvoice(invoice) });
  }

  /** (RESELLERUSER) Registers a cash-register terminal; keep the returned terminalId with the password you chose. */
  async registerTerminal(externalTerminalId: string, password: string, name: string, call?: CallOptions): Promise<RegisterTerminalResponse & { terminalId: string }> {
    const response = await this.#call<RegisterTerminalResponse>('registerTerminal', call, { externalTerminalId, password, name }, [password]);
    return { ...response, terminalId: requiredPart('registerTerminal', response.terminalId, 'terminalId') };
  }

  /** (TERMINALID) Removes the calling terminal. */
  unregisterTerminal(call?: CallOptions): Promise<SeqrResponse> {
    return this.#call('unregisterTerminal', call, {});
  }

  /** Links a sticker (`HTTP://SEQR.SE/Q<seqrId>`) to the calling terminal. */
  assignSeqrId(seqrId: string, call?: CallOptions): Promise<SeqrResponse> {
    return this.#call('assignSeqrId', call, { seqrId });
  }

  /**
   * (RESELLERUSER) Closes the reconciliation period and opens a new one. For a terminal's own period pass
   * `{ TERMINALID: terminalId }`.
   */
  async markTransactionPeriod(parameters?: Record<string, string>, call?: CallOptions): Promise<MarkTransactionPeriodResponse & { transactionPeriodId: string }> {
    const response = await this.#call<MarkTransactionPeriodResponse>('markTransactionPeriod', call, wireParameters(parameters));
    return { ...response, transactionPeriodId: requiredPart('markTransactionPeriod', response.transactionPeriodId, 'transactionPeriodId') };
  }

  /**
   * (RESELLERUSER) Runs a report, e.g. `executeReport('Reconciliation/Shop.xml', 'en', { transactionPeriodId })`.
   * SEQR answers 2 REPORT_NOT_READY (a SeqrError) while the report is being made: ask again after 3–5 s.
   * The returned report always has `contentString` when it has content: as SEQR sent it (the XML reader trims
   * surrounding whitespace), or decoded from the base64 `content` (the exact bytes) when SEQR sent only that.
   */
  async executeReport(reportId: string, language?: string, parameters?: Record<string, string>, call?: CallOptions): Promise<ExecuteReportResponse & { report: SeqrReport }> {
    const response = await this.#call<ExecuteReportResponse>('executeReport', call, {
      reportId,
      ...(language ? { language } : {}),
      ...wireParameters(parameters),
    });
    const report = { ...requiredPart('executeReport', response.report, 'report') };
    if (report.contentString === undefined && report.content) {
      report.contentString = Buffer.from(report.content, 'base64').toString('utf8');
    }
    return { ...response, report };
  }

  /** Releases this client; the connections close when the last client sharing them is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connection.users -= 1;
    if (this.#connection.users === 0) this.#connection.transport.close();
  }

  /**
   * One SOAP call: adds the context, sends, checks the result code. `extraSecrets` are further passwords in
   * the arguments (registerTerminal's new terminal password) that errors must not repeat either.
   */
  async #call<T extends SeqrResponse>(
    operation: MerchantOperation,
    call: CallOptions | undefined,
    args: Record<string, unknown>,
    extraSecrets?: string[],
  ): Promise<T> {
    if (this.#closed) throw new SeqrTransportError(operation, 'closed');
    const connection = this.#connection;
    const soap = connection.soap ?? (await connection.ready());
    const context = call ? this.#contextWith(call) : this.#context;
    refuseIllFormedText({ context, ...args });
    const callOptions = extraSecrets
      ? { ...this.#callOptions[operation], secrets: [...this.#secrets, ...extraSecrets] }
      : this.#callOptions[operation];
    const result = await new Promise<{ return?: T } | undefined>((resolve, reject) => {
      const callback = (error: unknown, value: { return?: T } | undefined) => {
        if (error) reject(soapError(operation, error, callOptions.secrets));
        else resolve(value);
      };
      try {
        (soap as unknown as Record<string, SoapMethod>)[operation]({ context, ...args }, callback, callOptions);
      } catch (error) {
        reject(soapError(operation, error, callOptions.secrets));
      }
    });
    return checkResult<T>(operation, result);
  }

  #contextWith(call: CallOptions): ClientContext {
    const base = this.#context;
    return dropUndefined({
      channel: base.channel,
      clientComment: contextText(call.clientComment, 'clientComment', CONTEXT_LIMITS.clientComment),
      clientId: base.clientId,
      clientReference: contextText(call.clientReference, 'clientReference', CONTEXT_LIMITS.clientReference),
      clientRequestTimeout: 0,
      initiatorPrincipalId: base.initiatorPrincipalId,
      password: base.password,
    });
  }
}

/**
 * Refuses a request carrying text that SEQR cannot receive as given: a lone UTF-16 surrogate has no UTF-8 form,
 * so it would go out as U+FFFD. Every string of every request passes here; the error names its path in the
 * request (`name`, `invoice.title`, `context.channel`) and never the text.
 */
function refuseIllFormedText(request: Record<string, unknown>): void {
  const pending: Array<[string, unknown]> = Object.entries(request);
  const seen = new Set<object>();
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [field, value] = next;
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) throw new InvoiceInputError(field, LONE_SURROGATE);
    } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && !seen.has(value)) {
      seen.add(value);
      if (Array.isArray(value)) value.forEach((item, index) => pending.push([`${field}[${index}]`, item]));
      else for (const [key, item] of Object.entries(value)) pending.push([`${field}.${key}`, item]);
    }
  }
}

/** Result code 0 → the `return` object; another code → SeqrError; no return/resultCode → a parse error. */
function checkResult<T extends SeqrResponse>(operation: string, result: { return?: T } | null | undefined): T {
  const response = result?.return;
  if (!response || typeof response.resultCode !== 'number') {
    throw new SeqrTransportError(operation, 'parse', { causeMessage: `the answer has no ${operation}Response/return/resultCode` });
  }
  if (response.resultCode !== 0) throw new SeqrError(operation, response.resultCode);
  return response;
}

/** A part a successful answer must carry (the invoice reference, the new terminal's id…); without it, a parse error. */
function requiredPart<T>(operation: MerchantOperation, value: T | null | undefined, name: string): T {
  if (!value) throw new SeqrTransportError(operation, 'parse', { causeMessage: `the answer has no ${name}` });
  return value;
}

/** soap's reader, for answers the fast reader leaves alone: the Body's children, or the error soap's path gives. */
async function soapReadBody(operation: string, body: string, secrets: ReadonlyArray<string>): Promise<Record<string, unknown>> {
  const wsdl = await loadWsdl();
  let envelope: { Body?: Record<string, unknown> } | undefined;
  try {
    envelope = wsdl.xmlToObject(body) as { Body?: Record<string, unknown> } | undefined;
  } catch (error) {
    throw soapError(operation, error, secrets, body);
  }
  return envelope?.Body ?? {};
}

type SoapMethod = (args: unknown, callback: (error: unknown, result: never) => void, options: unknown) => void;

/** Turns whatever soap reported into a SeqrTransportError, keeping only redacted text. */
function soapError(operation: string, error: unknown, secrets: ReadonlyArray<string>, body?: string): SeqrTransportError {
  if (error instanceof SeqrTransportError) return error;
  const detail = error as { body?: unknown; message?: unknown; Fault?: { faultstring?: unknown; detail?: unknown } };
  const text = body ?? detail?.body;
  const fault = typeof text === 'string' ? extractFault(text) : undefined;
  if (fault) {
    return new SeqrTransportError(operation, 'fault', {
      faultCode: redact(fault.faultCode, secrets),
      faultString: redact(fault.faultString, secrets),
    });
  }
  // soap's XML reader throws { Fault: { faultstring: 'Invalid XML', detail } } for a body that is not XML.
  const message = detail?.Fault
    ? `${String(detail.Fault.faultstring)}: ${String(detail.Fault.detail)}`
    : String(detail?.message ?? error);
  return new SeqrTransportError(operation, 'parse', { causeMessage: redact(message, secrets) });
}

function checkEndpoint(endpoint: unknown): string {
  const url = httpUrl(endpoint);
  if (!url) {
    throw new TypeError(`SeqrClient: endpoint ${JSON.stringify(endpoint)} is not an http:// or https:// URL`);
  }
  if (url.search.toLowerCase() === '?wsdl') {
    throw new TypeError('SeqrClient: give the service address without ?wsdl (the WSDL is bundled)');
  }
  return endpoint as string;
}

function checkPrincipal(principal: unknown): SeqrPrincipal {
  const p = principal as Partial<{ type: string; id: string; userId: string; password: string }> | undefined;
  if (!p || (p.type !== 'TERMINALID' && p.type !== 'RESELLERUSER')) {
    throw new TypeError('SeqrClient: principal.type must be TERMINALID or RESELLERUSER');
  }
  if (typeof p.id !== 'string' || p.id === '') throw new TypeError(`SeqrClient: principal.id is missing (${p.type})`);
  if (p.type === 'RESELLERUSER' && (typeof p.userId !== 'string' || p.userId === '')) {
    throw new TypeError('SeqrClient: principal.userId is missing (RESELLERUSER needs it, e.g. 9900)');
  }
  if (typeof p.password !== 'string') throw new TypeError('SeqrClient: principal.password is missing');
  return p as SeqrPrincipal;
}

function contextText(value: string | undefined, field: string, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new TypeError(`SeqrClient: ${field} must be text of at most ${max} characters`);
  }
  return value;
}

function asList<T>(value: T | T[] | null | undefined): T[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

function wireAmount(amount: SeqrAmount): SeqrAmount {
  return { currency: amount.currency, value: String(amount.value) };
}

/** Copies an invoice into schema order with only the schema's fields (soap writes keys as given). */
function wireInvoice(invoice: SeqrInvoice): SeqrInvoice {
  const rows = invoice.invoiceRows?.invoiceRow;
  return dropUndefined({
    paymentMode: invoice.paymentMode,
    acknowledgmentMode: invoice.acknowledgmentMode,
    issueDate: invoice.issueDate,
    title: invoice.title,
    clientInvoiceId: invoice.clientInvoiceId,
    invoiceRows: rows && rows.length ? { invoiceRow: rows.map(wireRow) } : undefined,
    totalAmount: wireAmount(invoice.totalAmount),
    cashierId: invoice.cashierId,
    footer: invoice.footer,
    backURL: invoice.backURL,
    notificationUrl: invoice.notificationUrl,
    commitReservationTimeout: invoice.commitReservationTimeout,
  });
}

function wireRow(row: InvoiceRow): InvoiceRow {
  return dropUndefined({
    itemDescription: row.itemDescription,
    itemDiscount: row.itemDiscount && wireAmount(row.itemDiscount),
    itemEAN: row.itemEAN,
    itemQuantity: row.itemQuantity,
    itemSKU: row.itemSKU,
    itemTaxRate: row.itemTaxRate,
    itemTotalAmount: row.itemTotalAmount && wireAmount(row.itemTotalAmount),
    itemUnit: row.itemUnit,
    itemUnitPrice: row.itemUnitPrice && wireAmount(row.itemUnitPrice),
  });
}

function wireToken(token: CustomerToken): CustomerToken {
  return dropUndefined({ description: token.description, id: token.id, status: token.status, value: token.value });
}

/** The tokens argument of sendInvoice and updateInvoice, left out when there are none. */
function wireTokens(tokens: CustomerToken[] | undefined): { tokens?: CustomerToken[] } {
  return tokens?.length ? { tokens: tokens.map(wireToken) } : {};
}

function wireParameters(parameters: Record<string, string> | undefined): { parameters?: ParameterMap } {
  const entries = Object.entries(parameters ?? {});
  if (entries.length === 0) return {};
  return { parameters: { parameter: { entry: entries.map(([key, value]) => ({ key, value: String(value) })) } } };
}
