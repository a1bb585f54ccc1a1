/**
 * SEQR result codes (ERSWSResultCodes): the number SEQR puts in `return/resultCode`, its symbolic name
 * (what SEQR sends as `resultDescription`) and a sentence a person can act on.
 */
export interface ResultCodeInfo {
  readonly code: number;
  readonly name: string;
  readonly sentence: string;
  /** SEQR is overloaded or a backend is down: the same call may succeed later. */
  readonly transient: boolean;
}

const table: ReadonlyArray<[number, string, string]> = [
  [0, 'SUCCESS', 'The request completed.'],
  [1, 'PENDING_APPROVAL', 'The request is waiting for approval.'],
  [2, 'REPORT_NOT_READY', 'The report is still being produced; ask again in a few seconds.'],
  [10, 'REJECTED_BUSINESS_LOGIC', 'SEQR rejected the request by its business rules.'],
  [11, 'REJECTED_AMOUNT', 'SEQR rejected the amount.'],
  [12, 'REJECTED_PAYMENT', 'SEQR rejected the payment.'],
  [13, 'REJECTED_TOPUP', 'SEQR rejected the top-up.'],
  [20, 'AUTHENTICATION_FAILED', 'Authentication failed: check the terminal or reseller password.'],
  [21, 'ACCESS_DENIED', 'Access denied: the terminal password must be at least 4 characters long.'],
  [22, 'INVALID_NEW_PASSWORD', 'The new password is not acceptable.'],
  [23, 'INVALID_ERS_REFERENCE', 'No payment has that ERS reference.'],
  [29, 'INVALID_INITIATOR_PRINCIPAL_ID', 'The terminal id is unknown to SEQR.'],
  [30, 'INVALID_RECEIVER_PRINCIPAL_ID', 'The receiver principal id is invalid.'],
  [31, 'INVALID_SENDER_PRINCIPAL_ID', 'The sender principal id is invalid.'],
  [32, 'INVALID_TOPUP_PRINCIPAL_ID', 'The top-up principal id is invalid.'],
  [33, 'INVALID_INITIATOR_PRINCIPAL_STATE', 'The calling terminal or reseller is blocked or unregistered.'],
  [34, 'INVALID_RECEIVER_PRINCIPAL_STATE', 'The receiver principal is in an unusable state.'],
  [35, 'INVALID_SENDER_PRINCIPAL_STATE', 'The sender principal is in an unusable state.'],
  [36, 'INVALID_TOPUP_PRINCIPAL_STATE', 'The top-up principal is in an unusable state.'],
  [37, 'INITIATOR_PRINCIPAL_NOT_FOUND', 'The reseller id or user id is unknown to SEQR.'],
  [38, 'RECEIVER_PRINCIPAL_NOT_FOUND', 'The receiver principal was not found.'],
  [39, 'SENDER_PRINCIPAL_NOT_FOUND', 'The sender principal was not found.'],
  [40, 'TOPUP_PRINCIPAL_NOT_FOUND', 'The top-up principal was not found.'],
  [41, 'INVALID_PRODUCT', 'The product is invalid.'],
  [42, 'INVALID_RECEIVER_ACCOUNT_TYPE', 'The receiver account type is invalid.'],
  [43, 'INVALID_SENDER_ACCOUNT_TYPE', 'The sender account type is invalid.'],
  [44, 'INVALID_TOPUP_ACCOUNT_TYPE', 'The top-up account type is invalid.'],
  [45, 'RECEIVER_ACCOUNT_NOT_FOUND', 'The receiver account was not found.'],
  [46, 'SENDER_ACCOUNT_NOT_FOUND', 'The sender account was not found.'],
  [47, 'TOPUP_ACCOUNT_NOT_FOUND', 'The top-up account was not found.'],
  [48, 'PAYMENT_IN_PROGRESS', 'The customer is paying this invoice right now.'],
  [49, 'INVALID_INVOICE_DATA', 'SEQR rejected the invoice data (for example an unsupported currency).'],
  [50, 'CANNOT_CANCEL_PAID_INVOICE', 'The invoice is already paid and cannot be cancelled.'],
  [51, 'CANNOT_CANCEL_INVOICE_IN_PROGRESS', 'The customer is confirming the payment; it cannot be cancelled now.'],
  [52, 'INVALID_CUSTOMER', 'The customer is invalid.'],
  [53, 'INVALID_SEQR_ID', 'The SEQR ID is not alphanumeric or belongs to another terminal.'],
  [54, 'INVALID_INVOICE_REFERENCE', 'This terminal has no invoice with that reference.'],
  [55, 'PAYMENT_ALREADY_CANCELLED', 'The payment is already cancelled.'],
  [56, 'REGISTRATION_NOT_POSSIBLE', 'Registration is not possible.'],
  [57, 'REGISTRATION_PRINCIPAL_ALREADY_EXISTS', 'That principal is already registered.'],
  [58, 'PAYMENT_EXPIRED', 'The payment has expired.'],
  [60, 'AUTHORIZATION_EXPIRED', 'The authorization has expired.'],
  [61, 'AUTHORIZATION_CANCELLED', 'The authorization was cancelled.'],
  [62, 'AUTHORIZATION_IN_PROGRESS', 'The authorization is still in progress.'],
  [63, 'INVALID_AUTHORIZATION_REFERENCE', 'The authorization reference is invalid.'],
  [64, 'INVALID_NOTIFICATION_URL', 'The notification URL must be an http:// or https:// URL.'],
  [90, 'SYSTEM_ERROR', 'SEQR reported an unclassified system error.'],
  [91, 'UNSUPPORTED_OPERATION', 'SEQR does not support this operation for this principal type.'],
  [92, 'LICENSE_REJECTION', 'SEQR rejected the request for licensing reasons.'],
  [93, 'SYSTEM_BUSY', 'SEQR is busy; try again shortly.'],
  [94, 'SERVICE_UNAVAILABLE', 'A service behind SEQR (such as the payer\'s bank) is unavailable; try again shortly.'],
  [95, 'INVOICE_ALREADY_CANCELED', 'The invoice was already cancelled.'],
  [96, 'INVOICE_STATE_NOT_RESERVED', 'The invoice is not reserved, so there is nothing to commit.'],
  [97, 'RESELLER_NOT_ALLOWED_TO_DO_REFUND', 'Refunds are not enabled for this merchant.'],
  [98, 'SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION', 'Sum of refunds can not be more than original transaction.'],
  [99, 'RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS', 'The receiving account does not allow refunds.'],
];

const TRANSIENT = new Set([93, 94]);

const byCode = new Map<number, ResultCodeInfo>(
  table.map(([code, name, sentence]) => [code, { code, name, sentence, transient: TRANSIENT.has(code) }]),
);
const byName = new Map<string, ResultCodeInfo>([...byCode.values()].map((info) => [info.name, info]));

/** Every code SEQR defines, in numeric order. */
export const RESULT_CODES: ReadonlyArray<ResultCodeInfo> = [...byCode.values()];

/** Looks up a code; an unknown one gets the name SEQR's own client library gave it. */
export function resultCodeInfo(code: number): ResultCodeInfo {
  return byCode.get(code) ?? {
    code,
    name: `UNKNOWN ERSWSResultCode = ${code}`,
    sentence: `SEQR answered with result code ${code}, which this library does not know.`,
    transient: false,
  };
}

/** The number of a symbolic name, e.g. `resultCode('SYSTEM_BUSY') === 93`. */
export function resultCode(name: string): number {
  const info = byName.get(name);
  if (!info) throw new RangeError(`unknown SEQR result code name ${name}`);
  return info.code;
}
