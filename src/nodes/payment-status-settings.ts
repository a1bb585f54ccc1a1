/**
 * seqr-payment-status's settings as the watcher takes them, or the first one out of range. Pure: the adapter
 * puts the problem into words (catalog `seqr-payment-status.errors.<key>`) and logs it.
 */
import { RECEIPT_WIDTHS, type ReceiptWidth } from '../seqr';
import type { DeadlinePolicy } from '../watcher';
import { PAYMENT_STATUS_LIMITS } from './shared-limits';

/** The settings as the editor stores them (numbers may be text in hand-written flows). */
export interface PaymentStatusSettingsDef {
  interval?: number | string;
  giveUpAfter?: number | string;
  onDeadline?: DeadlinePolicy | '';
  /** Columns of the printer msg.receiptText is laid out for. */
  receiptWidth?: number | string;
}

export interface PaymentStatusSettings {
  intervalMs: number;
  giveUpAfterMs: number;
  onDeadline: DeadlinePolicy;
  receiptWidth: ReceiptWidth;
  /** Polls further apart than SEQR's guidance: worth a warning, not a refusal. */
  slow: boolean;
}

/** A setting out of range: the field, the catalog key and the numbers its sentence names. */
export interface SettingOutOfRange {
  field: 'interval' | 'giveUpAfter';
  key: 'bad-interval' | 'bad-give-up-after';
  params: Record<string, number>;
}

function parseNumber(value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  return typeof value === 'number' ? value : Number(value);
}

export function readPaymentStatusSettings(def: PaymentStatusSettingsDef): { settings: PaymentStatusSettings; problem?: undefined } | { settings?: undefined; problem: SettingOutOfRange } {
  const { intervalMs: interval, giveUpAfterS: giveUp } = PAYMENT_STATUS_LIMITS;
  const intervalMs = parseNumber(def.interval, interval.default);
  const giveUpAfterS = parseNumber(def.giveUpAfter, giveUp.default);
  if (!Number.isFinite(intervalMs) || intervalMs < interval.min || intervalMs > interval.max) {
    return { problem: { field: 'interval', key: 'bad-interval', params: { min: interval.min, max: interval.max } } };
  }
  if (!Number.isFinite(giveUpAfterS) || giveUpAfterS <= giveUp.min || giveUpAfterS > giveUp.max) {
    return { problem: { field: 'giveUpAfter', key: 'bad-give-up-after', params: { max: giveUp.max } } };
  }
  return {
    settings: {
      intervalMs,
      giveUpAfterMs: giveUpAfterS * 1000,
      onDeadline: def.onDeadline === 'keep' ? 'keep' : 'cancel',
      receiptWidth: RECEIPT_WIDTHS.find((width) => width === Number(def.receiptWidth)) ?? PAYMENT_STATUS_LIMITS.defaultReceiptWidth,
      slow: intervalMs > PAYMENT_STATUS_LIMITS.slowIntervalMs,
    },
  };
}
