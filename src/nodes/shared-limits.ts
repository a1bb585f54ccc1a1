/**
 * The limits and defaults that a node's editor (nodes/*.html) and its runtime both apply, written once here. Each
 * node type hands its set to the editor through registerType's `settings` (`editorSettings`): Node-RED puts an
 * exportable node setting into the editor's RED.settings, under a name that must start with the node type in
 * camelCase (runtime settings.js registerNodeSettings), e.g. RED.settings.seqrConfigLimits. Plain data only: it
 * travels as JSON.
 */
import { CONTEXT_LIMITS, DEFAULT_ACKNOWLEDGMENT_MODE, DEFAULT_MAX_ANSWER_BYTES, DEFAULT_PAYMENT_MODE, DEFAULT_TIMEOUT_MS } from '../seqr';
// Not in src/seqr's index: the library's public API does not need them.
import { APP_SCHEME_PATTERN, DEFAULT_APP_SCHEME } from '../seqr/qr';
import { DEFAULT_ENDPOINT, DEFAULT_RESELLER_USER_ID } from './config-types';

/** An inclusive range of a numeric setting, with the value a new node gets. */
export interface SettingRange {
  min: number;
  max: number;
  default: number;
}

/** The currency of the nodes that build invoices (send invoice, refund, api) when their setting is empty. */
export const INVOICE_SETTINGS = { defaultCurrency: 'SEK' } as const;

/** seqr-config (RED.settings.seqrConfigLimits). */
export const CONFIG_LIMITS = {
  defaultEndpoint: DEFAULT_ENDPOINT,
  defaultResellerUserId: DEFAULT_RESELLER_USER_ID,
  defaultAppScheme: DEFAULT_APP_SCHEME,
  /** An app scheme is a URI scheme (RFC 3986 §3.1); as RegExp source, because the editor gets JSON. */
  appSchemePattern: APP_SCHEME_PATTERN,
  /** Request timeout in ms. */
  timeoutMs: { min: 100, max: 120_000, default: DEFAULT_TIMEOUT_MS } satisfies SettingRange,
  /** Below 16 KiB a sendInvoice answer with a long QR text could be refused; above 256 MiB the limit guards little. */
  maxAnswerKiB: { min: 16, max: 256 * 1024, default: DEFAULT_MAX_ANSWER_BYTES / 1024 } satisfies SettingRange,
  /** SEQR documents 40 characters for the channel (§2.1). */
  maxChannelLength: CONTEXT_LIMITS.channel,
} as const;

/** seqr-payment-status (RED.settings.seqrPaymentStatusLimits). */
export const PAYMENT_STATUS_LIMITS = {
  /** Poll interval in ms. */
  intervalMs: { min: 50, max: 10_000, default: 1000 } satisfies SettingRange,
  /** SEQR reverses a payment nobody fetched within ~20 s: polls further apart than this get a warning. */
  slowIntervalMs: 1000,
  /** Seconds after which a watch gives up (more than 0, at most a day). */
  giveUpAfterS: { min: 0, max: 24 * 60 * 60, default: 120 } satisfies SettingRange,
  defaultReceiptWidth: 32,
} as const;

/** seqr-api (RED.settings.seqrApiLimits). */
export const API_LIMITS = {
  ...INVOICE_SETTINGS,
  /** The operation of a node whose setting names none (or one it does not know). */
  defaultOperation: 'updateInvoice',
  defaultReportId: 'Reconciliation/Shop.xml',
  /** SEQR's advice: ask for a report that is not ready again after 3–5 s. */
  defaultReportRetryS: 3,
  defaultReportGiveUpS: 60,
} as const;

/** seqr-send-invoice (RED.settings.seqrSendInvoiceLimits): the modes buildInvoice sends when the node names none. */
export const SEND_INVOICE_LIMITS = {
  ...INVOICE_SETTINGS,
  defaultPaymentMode: DEFAULT_PAYMENT_MODE,
  defaultAcknowledgmentMode: DEFAULT_ACKNOWLEDGMENT_MODE,
} as const;

/** seqr-refund (RED.settings.seqrRefundLimits). */
export const REFUND_LIMITS = INVOICE_SETTINGS;

/** registerType's `settings` that hand `limits` to the editor as RED.settings[name]. */
export function editorSettings<Name extends string>(name: Name, limits: object): Record<Name, { value: object; exportable: true }> {
  return { [name]: { value: limits, exportable: true } } as Record<Name, { value: object; exportable: true }>;
}
