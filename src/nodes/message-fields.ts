import type { NodeMessage } from 'node-red';
import { isRecord } from '../values';

/** The invoice reference a message carries: msg.seqr.invoiceReference, msg.payload.invoiceReference or msg.payload. */
export function invoiceReferenceOf(msg: NodeMessage): unknown {
  const seqr = (msg as { seqr?: unknown }).seqr;
  if (isRecord(seqr) && seqr.invoiceReference !== undefined) return seqr.invoiceReference;
  const payload = msg.payload;
  if (isRecord(payload) && payload.invoiceReference !== undefined) return payload.invoiceReference;
  return payload;
}
