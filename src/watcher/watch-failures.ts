/**
 * What failed calls and missed deadlines mean to the watcher, and the sentences its events carry.
 */
import { resultCodeInfo } from '../seqr/codes';
import { DEADLINE_POLICIES, type DeadlinePolicy } from './watch-types';

/** SEQR codes that mean "cannot cancel: the payer has paid or is paying" (§3.4). */
export const CANCEL_REFUSED_CODES: ReadonlySet<number> = new Set([48, 50, 51]);
export const INVOICE_ALREADY_CANCELED = 95;

export const STATUS_REASONS: Readonly<Record<string, string>> = {
  CANCELED: 'The invoice was cancelled (by the payer, the merchant, or SEQR).',
  FAILED: "The payment failed at the payer's bank or account provider.",
  EXPIRED: 'The invoice or its reservation expired before it was paid or committed.',
};

/** What a failed call means to the watcher. */
export interface CallFailure {
  /** SEQR answered with a non-zero result code (SeqrError); otherwise the call did not get through. */
  code?: number;
  codeName?: string;
  /** Worth trying again at the next slot: transport failures and SEQR's transient codes. */
  transient: boolean;
  reason: string;
}

/**
 * Duck-typed so that the watcher depends on no client class: a SeqrError carries a numeric `code`;
 * anything else (SeqrTransportError, a timeout, a socket error) means the call did not get through.
 */
export function describeFailure(err: unknown): CallFailure {
  const fields = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown; codeName?: unknown; transient?: unknown; message?: unknown; sentence?: unknown;
  };
  const message = typeof fields.message === 'string' && fields.message !== '' ? fields.message : String(err);
  if (typeof fields.code === 'number') {
    const info = resultCodeInfo(fields.code);
    return {
      code: fields.code,
      codeName: typeof fields.codeName === 'string' ? fields.codeName : info.name,
      transient: typeof fields.transient === 'boolean' ? fields.transient : info.transient,
      // The code travels in its own fields: the reason is SEQR's sentence alone.
      reason: typeof fields.sentence === 'string' ? fields.sentence : info.sentence,
    };
  }
  return { transient: true, reason: message };
}

/** The sentence of a TIMEOUT: cancelled, kept open on purpose, or left open because cancelling failed. */
export function timeoutReason(
  giveUpAfterMs: number,
  lastFailure: CallFailure | undefined,
  how: 'cancelled' | 'kept' | 'uncancellable',
): string {
  const lead = `Not paid within ${formatSeconds(giveUpAfterMs)} s`;
  const unreachable = lastFailure ? ` (last error: ${lastFailure.reason})` : '';
  switch (how) {
    case 'cancelled':
      return `${lead}; the invoice was cancelled.`;
    case 'kept':
      return `${lead}${unreachable}; the invoice is still open at SEQR: watch the same reference again to resume.`;
    case 'uncancellable':
      return `${lead}${unreachable}; the invoice could not be cancelled and may still be open at SEQR.`;
  }
}

export function checkPositive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number of milliseconds, not ${String(value)}`);
  }
  return value;
}

export function checkPolicy(value: DeadlinePolicy): DeadlinePolicy {
  if (!DEADLINE_POLICIES.includes(value)) {
    throw new RangeError(`onDeadline must be one of ${DEADLINE_POLICIES.join(', ')}, not ${String(value)}`);
  }
  return value;
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
