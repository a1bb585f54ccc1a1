import type { IServices } from 'soap';
import { resultCodeInfo } from '../seqr/codes';
import { MERCHANT_OPERATIONS, type ClientContext, type ReceiptDocument } from '../seqr/types';
import { PORT_NAME, SERVICE_NAME } from '../seqr/wsdl';
import type { EmulatorCore } from './core';
import { ResultCodeError } from './errors';
import { acceptInvoice, acceptTokens, type InvoiceRules } from './invoice-data';
import type { Invoice } from './invoices';
import { readParameters } from './reports';

/** The operations SEQR's WSDL has besides the merchant ones; the emulator answers them 91 UNSUPPORTED_OPERATION. */
export const NON_MERCHANT_OPERATIONS = [
  'requestPrincipalInformation',
  'changePrincipalPassword',
  'confirmCustomerRegistration',
  'requestTopup',
  'requestTransfer',
  'requestPurchase',
  'benchmarkingNop',
] as const;

export const WSDL_OPERATIONS: ReadonlySet<string> = new Set<string>([...MERCHANT_OPERATIONS, ...NON_MERCHANT_OPERATIONS]);

type Args = Record<string, unknown> & { context?: ClientContext };
/** Returns the `return` element's content, in schema order (soap writes keys in object order). */
type Operation = (args: Args) => Record<string, unknown>;

const SUCCESS = resultCodeInfo(0).name;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** erswsResponse's base members in schema order: ersReference, resultCode, resultDescription. */
function answer(code: number, ersReference?: string): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  if (ersReference !== undefined) base.ersReference = ersReference;
  base.resultCode = code;
  base.resultDescription = code === 0 ? SUCCESS : resultCodeInfo(code).name;
  return base;
}

/** An error answer; getPaymentStatus must still carry its required `version` (0, Java's default int). */
function errorAnswer(operation: string, code: number): Record<string, unknown> {
  const base = answer(code);
  if (operation === 'getPaymentStatus') base.version = 0;
  return base;
}

/** erswsPaymentStatusResponse: ersReference and receipt only while PAID, tokens when there are any. */
function paymentStatus(invoice: Invoice): Record<string, unknown> {
  const paid = invoice.status === 'PAID';
  const result = answer(0, paid ? invoice.payment?.ersReference : undefined);
  result.status = invoice.status;
  if (paid && invoice.receipt) result.receipt = invoice.receipt;
  if (invoice.customerTokens.length > 0) result.customerTokens = { token: invoice.customerTokens };
  result.version = invoice.version;
  return result;
}

function receiptDocument(input: unknown): ReceiptDocument {
  const doc = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const result: ReceiptDocument = {};
  const mimeType = text(doc.mimeType);
  const receiptData = text(doc.receiptData);
  const receiptType = text(doc.receiptType);
  if (mimeType !== undefined) result.mimeType = mimeType;
  if (receiptData !== undefined) result.receiptData = receiptData;
  if (receiptType !== undefined) result.receiptType = receiptType;
  return result;
}

/** The twelve merchant operations: authenticate, validate, hand over to the domain, answer in schema order. */
function merchantOperations(core: EmulatorCore): Record<(typeof MERCHANT_OPERATIONS)[number], Operation> {
  const { principals, invoices, ledger, periods } = core;
  const rules: InvoiceRules = {
    missingAcknowledgmentMode: core.options.missingAcknowledgmentMode,
    strictRowSum: core.options.strictRowSum,
  };
  return {
    sendInvoice(args) {
      const terminal = principals.authenticateTerminal(args.context);
      const invoice = invoices.send(terminal, acceptInvoice(args.invoice, rules), acceptTokens(args.tokens));
      return { ...answer(0), invoiceQRCode: invoice.qrCode, invoiceReference: invoice.reference };
    },
    updateInvoice(args) {
      const terminal = principals.authenticateTerminal(args.context);
      invoices.update(terminal, text(args.invoiceReference), acceptInvoice(args.invoice, rules), acceptTokens(args.tokens));
      return answer(0);
    },
    getPaymentStatus(args) {
      // invoiceVersion is the client's echo of the last version it saw; the current status is always returned (§5.3).
      const terminal = principals.authenticateTerminal(args.context);
      return paymentStatus(invoices.status(terminal, text(args.invoiceReference)));
    },
    cancelInvoice(args) {
      const terminal = principals.authenticateTerminal(args.context);
      invoices.cancel(terminal, text(args.invoiceReference));
      return answer(0);
    },
    commitReservation(args) {
      const terminal = principals.authenticateTerminal(args.context);
      invoices.commit(terminal, text(args.invoiceReference), args.amount);
      return answer(0);
    },
    submitPaymentReceipt(args) {
      const terminal = principals.authenticateTerminal(args.context);
      ledger.attachDocument(terminal, text(args.ersReference), receiptDocument(args.receiptDocument));
      return answer(0);
    },
    refundPayment(args) {
      const terminal = principals.authenticateTerminal(args.context);
      const refund = ledger.refund(terminal, text(args.ersReference), acceptInvoice(args.invoice, rules));
      return answer(0, refund.ersReference);
    },
    registerTerminal(args) {
      const reseller = principals.authenticateReseller(args.context);
      const terminal = principals.register(reseller, text(args.externalTerminalId), text(args.password) ?? '', text(args.name));
      return { ...answer(0), terminalId: terminal.id };
    },
    unregisterTerminal(args) {
      const terminal = principals.authenticateTerminal(args.context);
      invoices.cancelOpenInvoices(terminal);
      principals.unregister(terminal);
      return answer(0);
    },
    assignSeqrId(args) {
      const terminal = principals.authenticateTerminal(args.context);
      principals.assignSeqrId(terminal, text(args.seqrId));
      return answer(0);
    },
    markTransactionPeriod(args) {
      const reseller = principals.authenticateReseller(args.context);
      const transactionPeriodId = periods.mark(reseller, readParameters(args.parameters));
      return { ...answer(0), transactionPeriodId };
    },
    executeReport(args) {
      const reseller = principals.authenticateReseller(args.context);
      const report = periods.execute(reseller, text(args.reportId), readParameters(args.parameters));
      return { ...answer(0), report };
    },
  };
}

/**
 * The soap `services` object for SEQR's port: every WSDL operation, each answering through `return`, with
 * failNext applied first and domain errors turned into in-band result codes. An unexpected exception becomes a
 * SOAP 1.1 `soap:Server` fault (HTTP 500), never a crash.
 */
export function seqrServices(core: EmulatorCore): IServices {
  const log = core.options.log ?? (() => undefined);
  const operations: Record<string, Operation> = { ...merchantOperations(core) };
  for (const name of NON_MERCHANT_OPERATIONS) {
    operations[name] = () => {
      throw new ResultCodeError(91, 'not a merchant operation');
    };
  }
  const port: Record<string, (args: Args | null) => { return: Record<string, unknown> }> = {};
  for (const [name, operation] of Object.entries(operations)) {
    port[name] = (args) => {
      const injected = core.takeFailure();
      if (injected !== undefined) return { return: errorAnswer(name, injected) };
      try {
        return { return: operation(args ?? {}) };
      } catch (error) {
        if (error instanceof ResultCodeError) {
          log(`${name}: ${error.code} ${resultCodeInfo(error.code).name} (${error.message})`);
          return { return: errorAnswer(name, error.code) };
        }
        log(`${name}: internal error ${(error as Error).stack ?? String(error)}`);
        throw { Fault: { faultcode: 'soap:Server', faultstring: `SEQR emulator internal error in ${name}`, statusCode: 500 } };
      }
    };
  }
  return { [SERVICE_NAME]: { [PORT_NAME]: port } };
}
