/**
 * Setting a terminal up: the password a newly registered terminal gets, and the one call that proves a principal's
 * credentials without changing anything at SEQR.
 */
import { randomBytes } from 'node:crypto';
import type { SeqrClient, SeqrPrincipal } from './client';
import { resultCode } from './codes';
import { SeqrError } from './errors';

/**
 * A new terminal's password: 30 base-32 characters, 150 random bits, like the strongest of SEQR's samples
 * (spec §3.8: "15 alphanumerics or a 150-bit base-32 string").
 */
export function generateTerminalPassword(): string {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(30);
  return Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
}

/**
 * Test connection makes one call that changes nothing at SEQR and that SEQR answers only after accepting the
 * principal: a terminal asks getPaymentStatus for invoice "0" (no SEQR reference is that short; 54 "no such
 * invoice for this terminal" proves the terminal id and password); a reseller asks executeReport for the shop
 * summary of period "0" (reports are read-only; the emulator answers 90 for an unknown period, a real SEQR may
 * answer 0 or 2 REPORT_NOT_READY; all three come after the reseller was accepted). markTransactionPeriod would
 * prove the same but close the shop's reconciliation period, so it is not used. Codes about the principal (20,
 * 21, 29, 33, 37, 91 wrong principal type) and any other refusal fail the test with SEQR's code and name.
 */
const CONNECTION_TESTS: Record<SeqrPrincipal['type'], { operation: string; call: (client: SeqrClient) => Promise<unknown>; accepted: ReadonlySet<number> }> = {
  TERMINALID: {
    operation: 'getPaymentStatus',
    call: (client: SeqrClient) => client.getPaymentStatus('0', 0),
    accepted: new Set([0, resultCode('INVALID_INVOICE_REFERENCE')]),
  },
  RESELLERUSER: {
    operation: 'executeReport',
    call: (client: SeqrClient) => client.executeReport('Reconciliation/Shop.xml', undefined, { transactionPeriodId: '0' }),
    accepted: new Set([0, resultCode('REPORT_NOT_READY'), resultCode('SYSTEM_ERROR')]),
  },
};

/**
 * Proves that SEQR accepts `client`'s principal (of `principalType`): resolves with the operation it called, or
 * rejects with SEQR's refusal or the transport failure.
 */
export async function testConnection(client: SeqrClient, principalType: SeqrPrincipal['type']): Promise<{ operation: string }> {
  const test = CONNECTION_TESTS[principalType];
  try {
    await test.call(client);
  } catch (err) {
    if (!(err instanceof SeqrError && test.accepted.has(err.code))) throw err;
  }
  return { operation: test.operation };
}
