/** The SEQR protocol layer: client, errors, invoice building, money, QR codes, result codes and wire types. */
export {
  SeqrClient,
  CONTEXT_LIMITS,
  DEFAULT_CHANNEL,
  DEFAULT_CLIENT_ID,
  type CallOptions,
  type PaymentStatus,
  type ReceiptDocumentInput,
  type SendInvoiceResult,
  type SeqrClientOptions,
  type SeqrPrincipal,
} from './client';
export { SeqrError, SeqrTransportError, isRetryable, maybeProcessed, type TransportErrorKind } from './errors';
export { DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT_MS, type TlsOptions } from './transport';
export {
  buildInvoice,
  DEFAULT_ACKNOWLEDGMENT_MODE,
  DEFAULT_PAYMENT_MODE,
  TEXT_LIMITS,
  type AmountInput,
  type InvoiceDefaults,
  type InvoiceInput,
  type InvoiceRowInput,
} from './invoice';
export { parseCashierAmount } from './cashier-amount';
export { InvoiceInputError, ISO_4217_CURRENCIES, formatAmount, type FormatAmountOptions } from './money';
export { deepLink, invoiceQrText, qrDataUrl, qrPng, qrSvg, stickerCode, type QrImageOptions } from './qr';
export {
  receiptText,
  RECEIPT_WIDTHS,
  DEFAULT_RECEIPT_LABELS,
  type ReceiptLabels,
  type ReceiptTextInput,
  type ReceiptTextOptions,
  type ReceiptWidth,
} from './receipt-text';
export { parseReportXml, type ReportData } from './report-data';
export { generateTerminalPassword, testConnection } from './terminal-setup';
export { isReportNotReady, reportDataOf, reportWhenReady, type ReportPacing } from './reports';
export { RESULT_CODES, resultCode, resultCodeInfo, type ResultCodeInfo } from './codes';
export * from './types';
export { WSDL_PATH, SERVICE_NAMESPACE, SERVICE_NAME, PORT_NAME } from './wsdl';
