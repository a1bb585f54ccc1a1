/**
 * SEQR's data types as they travel in SOAP bodies (element names exactly as in the WSDL). Decimal
 * values are strings so that money is never a binary float; `int`/`long` fields are numbers.
 * Objects are written in schema order because SOAP serialisers keep key order.
 */

export const SEQR_NAMESPACE = 'http://external.interfaces.ers.seamless.com/';

export const PAYMENT_MODES = [
  'IMMEDIATE_DEBIT',
  'RESERVATION_DESIRED',
  'RESERVATION_REQUIRED',
  'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT',
] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];

export const ACKNOWLEDGMENT_MODES = ['NO_ACKNOWLEDGMENT', 'OPTIONAL_ACKNOWLEDGMENT', 'REQUIRE_ACKNOWLEDGMENT'] as const;
export type AcknowledgmentMode = (typeof ACKNOWLEDGMENT_MODES)[number];

export const INVOICE_STATUSES = [
  'ISSUED',
  'PAID',
  'PENDING_ISSUER_ACKNOWLEDGE',
  'CANCELED',
  'FAILED',
  'RESERVED',
  'EXPIRED',
] as const;
export type KnownInvoiceStatus = (typeof INVOICE_STATUSES)[number];
/** SEQR may add statuses (PARTIALLY_PAID appears in its prose): any other string is a non-final status. */
export type InvoiceStatus = KnownInvoiceStatus | (string & Record<never, never>);

/** Statuses after which the invoice never changes again (refunds are separate transactions). */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['PAID', 'CANCELED', 'FAILED', 'EXPIRED']);

export type PrincipalType = 'TERMINALID' | 'RESELLERUSER';

export interface PrincipalId {
  id?: string;
  type?: PrincipalType | string;
  userId?: string;
}

export interface ClientContext {
  channel?: string;
  clientComment?: string;
  clientId?: string;
  clientReference?: string;
  clientRequestTimeout: number;
  initiatorPrincipalId?: PrincipalId;
  password?: string;
}

export interface SeqrAmount {
  currency: string;
  /** Decimal text with at most two decimals, e.g. "149.90". */
  value: string;
}

export interface InvoiceRow {
  itemDescription?: string;
  itemDiscount?: SeqrAmount;
  itemEAN?: string;
  itemQuantity?: string;
  itemSKU?: string;
  itemTaxRate?: string;
  itemTotalAmount?: SeqrAmount;
  itemUnit?: string;
  itemUnitPrice?: SeqrAmount;
}

export interface SeqrInvoice {
  paymentMode?: PaymentMode;
  acknowledgmentMode?: AcknowledgmentMode;
  /** xs:dateTime text, e.g. 2026-11-27T10:15:00 (soap drops Date objects). */
  issueDate?: string;
  title?: string;
  clientInvoiceId?: string;
  invoiceRows?: { invoiceRow: InvoiceRow[] };
  totalAmount: SeqrAmount;
  cashierId?: string;
  footer?: string;
  backURL?: string;
  notificationUrl?: string;
  /** v2.6: seconds within which a reservation must be committed. */
  commitReservationTimeout?: number;
}

/** Token status: 0 pending (from SEQR), 1 used in this payment, 90 blocked, 99 invalid. */
export type TokenStatus = 0 | 1 | 90 | 99 | number;

export interface CustomerToken {
  description?: string;
  id?: string;
  status: TokenStatus;
  value?: string;
}

export interface PaymentReceipt {
  terminalId?: string;
  paymentDate?: string;
  clientInvoiceId?: string;
  invoiceReference?: string;
  paymentReference?: string;
  payerTerminalId?: string;
  receiverName?: string;
  invoice?: SeqrInvoice;
}

export interface ReceiptDocument {
  mimeType?: string;
  /** base64 text of the document bytes. */
  receiptData?: string;
  receiptType?: 'PAYMENT_RECEIPT' | 'WARRANTY' | 'VOUCHER' | 'OTHER' | string;
}

export interface ParameterMap {
  parameter?: { entry?: Array<{ key?: string; value?: string }> };
}

export interface SeqrReport {
  title?: string;
  mimeType?: string;
  /** base64 text of the report bytes. */
  content?: string;
  contentString?: string;
}

/** The `return` element every response carries. */
export interface SeqrResponse {
  ersReference?: string;
  resultCode: number;
  resultDescription?: string;
}

export interface SendInvoiceResponse extends SeqrResponse {
  invoiceQRCode?: string;
  invoiceReference?: string;
}

export interface PaymentStatusResponse extends SeqrResponse {
  status?: InvoiceStatus;
  receipt?: PaymentReceipt;
  customerTokens?: { token?: CustomerToken[] };
  version: number;
}

export interface RegisterTerminalResponse extends SeqrResponse {
  terminalId?: string;
}

export interface MarkTransactionPeriodResponse extends SeqrResponse {
  transactionPeriodId?: string;
}

export interface ExecuteReportResponse extends SeqrResponse {
  report?: SeqrReport;
}

/** The twelve merchant operations, in the order SEQR's documentation lists them. */
export const MERCHANT_OPERATIONS = [
  'sendInvoice',
  'updateInvoice',
  'getPaymentStatus',
  'cancelInvoice',
  'commitReservation',
  'submitPaymentReceipt',
  'refundPayment',
  'registerTerminal',
  'unregisterTerminal',
  'assignSeqrId',
  'markTransactionPeriod',
  'executeReport',
] as const;
export type MerchantOperation = (typeof MERCHANT_OPERATIONS)[number];

/** Paths under which SEQR published the service; the emulator serves both. */
export const SERVICE_PATHS = ['/soap/merchant/cashregister-2', '/extclientproxy/service/v2'] as const;

/** The public test principals SEQR published for its test environment (the emulator's seed). */
export const PUBLIC_TEST_RESELLER = { id: 'public_test_shop', userId: '9900', password: '1234' } as const;
export const PUBLIC_TEST_TERMINAL = { id: 'public_test_shop_terminal', password: '12345678' } as const;
