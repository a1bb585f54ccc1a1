import { resultCodeInfo } from '../seqr/codes';

/**
 * A SEQR result code the emulator answers in-band (`return/resultCode`, HTTP 200), as SEQR did for every
 * business error. The message says why, for the emulator's log; it never contains a password.
 */
export class ResultCodeError extends Error {
  override readonly name = 'ResultCodeError';
  readonly code: number;
  constructor(code: number, detail?: string) {
    super(detail ?? resultCodeInfo(code).sentence);
    this.code = code;
  }
}

/** A payer action that cannot happen now; `status` is the HTTP status the payer JSON API answers with. */
export class PayerError extends Error {
  override readonly name = 'PayerError';
  readonly status: 400 | 404 | 409;
  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.status = status;
  }
}
