import { IdFactory } from './ids';
import { InvoiceBook } from './invoices';
import { Ledger } from './ledger';
import { Notifier } from './notifier';
import { resolveOptions, type EmulatorOptions, type ResolvedOptions } from './options';
import { Payer } from './payer';
import { Principals } from './principals';
import { TransactionPeriods } from './reports';
import { Timers } from './timers';

/**
 * The emulated SEQR without any HTTP: principals, invoices and their state machine, the books, reconciliation,
 * the payer simulation and the fault injection. The SOAP service and the payer API are thin layers over it.
 */
export class EmulatorCore {
  readonly options: ResolvedOptions;
  readonly ids = new IdFactory();
  readonly timers = new Timers();
  readonly principals: Principals;
  readonly ledger: Ledger;
  readonly notifier: Notifier;
  readonly invoices: InvoiceBook;
  readonly periods: TransactionPeriods;
  readonly payer: Payer;
  private failures = { remaining: 0, code: 0 };

  constructor(options: EmulatorOptions = {}) {
    this.options = resolveOptions(options);
    const log = this.options.log ?? (() => undefined);
    this.principals = new Principals(this.ids, this.options);
    this.ledger = new Ledger(this.ids);
    this.notifier = new Notifier(this.options.notificationTimeoutMs, log);
    this.invoices = new InvoiceBook({
      options: this.options,
      ids: this.ids,
      timers: this.timers,
      ledger: this.ledger,
      notifier: this.notifier,
      payerTerminalId: this.ids.payerTerminalId(),
      log,
    });
    this.periods = new TransactionPeriods(this.ids, this.ledger, this.principals, this.options.reportNotReadyCalls);
    this.payer = new Payer(this.invoices, this.principals, this.timers, this.options.processingMs);
    const autoPayMs = this.options.autoPayMs;
    if (autoPayMs !== undefined) {
      // The simulated payer pays each invoice that waits for it; one that needs the merchant's acknowledgement
      // first is paid after the acknowledgement (onIssued fires again then).
      this.invoices.onIssued = (invoice) => {
        this.timers.after(autoPayMs, () => {
          this.payer.pay(invoice.reference).catch((error: Error) => log(`auto-pay of ${invoice.reference}: ${error.message}`));
        });
      };
    }
  }

  /** The next `count` SOAP calls answer with result code `code` and change nothing (e.g. 93 SYSTEM_BUSY). */
  failNext(count: number, code: number): void {
    if (!Number.isInteger(count) || count < 0) throw new RangeError('failNext count must be a whole number ≥ 0');
    if (!Number.isInteger(code) || code <= 0) throw new RangeError('failNext code must be a SEQR result code > 0');
    this.failures = { remaining: count, code };
  }

  /** The result code a SOAP call must fail with, if failNext asked for it (counts the call). */
  takeFailure(): number | undefined {
    if (this.failures.remaining === 0) return undefined;
    this.failures.remaining--;
    return this.failures.code;
  }

  /** Clears every timer and abandons notifications; the state stays readable. */
  close(): void {
    this.timers.clear();
    this.notifier.close();
  }
}
