import type { IServices } from 'soap';
import { resultCodeInfo } from '../seqr/codes';
import { MERCHANT_OPERATIONS, type ClientContext, type ReceiptDocument } from '../seqr/types';
import { PORT_NAME, SERVICE_NAME } from '../seqr/wsdl';
import type { EmulatorCore } from './core';
import { ResultCodeError } from './errors';
import { acceptInvoice, acceptTokens, elementText, type InvoiceRules } from './invoice-data';
import type { Invoice } from './invoices';
import type { Reseller, Terminal } from './principals';
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
  const mimeType = elementText(doc.mimeType);
  const receiptData = elementText(doc.receiptData);
  const receiptType = elementText(doc.receiptType);
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
  // Each operation is a terminal's or a reseller user's: the caller is authenticated first. A handler that
  // returns nothing answers plain success.
  type Handler<P> = (principal: P, args: Args) => Record<string, unknown> | void;
  const byTerminal = (handle: Handler<Terminal>): Operation => (args) => handle(principals.authenticateTerminal(args.context), args) ?? answer(0);
  const byReseller = (handle: Handler<Reseller>): Operation => (args) => handle(principals.authenticateReseller(args.context), args) ?? answer(0);
  return {
    sendInvoice: byTerminal((terminal, args) => {
      const invoice = invoices.send(terminal, acceptInvoice(args.invoice, rules), acceptTokens(args.tokens));
      return { ...answer(0), invoiceQRCode: invoice.qrCode, invoiceReference: invoice.reference };
    }),
    updateInvoice: byTerminal((terminal, args) => {
      invoices.update(terminal, elementText(args.invoiceReference), acceptInvoice(args.invoice, rules), acceptTokens(args.tokens));
    }),
    // invoiceVersion is the client's echo of the last version it saw; the current status is always returned (§5.3).
    getPaymentStatus: byTerminal((terminal, args) => paymentStatus(invoices.status(terminal, elementText(args.invoiceReference)))),
    cancelInvoice: byTerminal((terminal, args) => {
      invoices.cancel(terminal, elementText(args.invoiceReference));
    }),
    commitReservation: byTerminal((terminal, args) => {
      invoices.commit(terminal, elementText(args.invoiceReference), args.amount);
    }),
    submitPaymentReceipt: byTerminal((terminal, args) => {
      ledger.attachDocument(terminal, elementText(args.ersReference), receiptDocument(args.receiptDocument));
    }),
    refundPayment: byTerminal((terminal, args) => answer(0, ledger.refund(terminal, elementText(args.ersReference), acceptInvoice(args.invoice, rules)).ersReference)),
    registerTerminal: byReseller((reseller, args) => {
      const terminal = principals.register(reseller, elementText(args.externalTerminalId), elementText(args.password) ?? '', elementText(args.name));
      return { ...answer(0), terminalId: terminal.id };
    }),
    unregisterTerminal: byTerminal((terminal) => {
      invoices.cancelOpenInvoices(terminal);
      principals.unregister(terminal);
    }),
    assignSeqrId: byTerminal((terminal, args) => {
      principals.assignSeqrId(terminal, elementText(args.seqrId));
    }),
    markTransactionPeriod: byReseller((reseller, args) => ({ ...answer(0), transactionPeriodId: periods.mark(reseller, readParameters(args.parameters)) })),
    executeReport: byReseller((reseller, args) => ({
      ...answer(0),
      report: periods.execute(reseller, elementText(args.reportId), readParameters(args.parameters)),
    })),
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
