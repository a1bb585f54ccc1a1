/**
 * Which sentence a payment outcome gets for people (a cashier, a customer display): the key into the
 * payment status node's message catalog (`seqr-payment-status.outcome.<key>`), so the wording is translated
 * like the rest of the node. Pure: the machine fields (status, cancelled) decide.
 */
import type { PaymentFailed } from '../watcher';

/** The failed outcomes' keys (a paid one is `paid-amount`, or `paid` when the amount is unknown). */
export type OutcomeKey =
  | 'declined'
  | 'cancelled-here'
  | 'cancelled'
  | 'reversed'
  | 'expired'
  | 'timeout-cancelled'
  | 'timeout-open'
  | 'error';

/**
 * The key for a failed outcome. `reversed`: the invoice was cancelled while Node-RED was down longer than SEQR
 * waits for a paid invoice to be fetched, so a payment made then was reversed.
 */
export function failedOutcomeKey(event: Pick<PaymentFailed, 'status' | 'cancelled'>, reversed: boolean): OutcomeKey {
  switch (event.status) {
    case 'FAILED':
      return 'declined';
    case 'CANCELED':
      if (reversed) return 'reversed';
      return event.cancelled === true ? 'cancelled-here' : 'cancelled';
    case 'EXPIRED':
      return 'expired';
    case 'TIMEOUT':
      return event.cancelled === false ? 'timeout-open' : 'timeout-cancelled';
    default:
      return 'error';
  }
}
