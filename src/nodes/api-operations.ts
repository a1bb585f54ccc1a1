/**
 * The operations of the seqr-api node: SEQR's merchant operations that have no node of their own, each reading
 * its inputs from msg.payload (api-inputs.ts), calling the client and returning the new msg.payload.
 */
import type { NodeAPI, NodeMessage } from 'node-red';
import { MERCHANT_OPERATIONS, isReportNotReady, reportDataOf, reportWhenReady, type MerchantOperation, type ReportPacing, type SeqrClient } from '../seqr';
import { quoteInput } from '../values';
import type { ApiInputs } from './api-inputs';
import { catchableError, inputError, originalError } from './node-errors';

/** The merchant operations that have a node of their own; seqr-api offers the others. */
type DedicatedOperation = 'sendInvoice' | 'getPaymentStatus' | 'cancelInvoice' | 'refundPayment';
export type ApiOperation = Exclude<MerchantOperation, DedicatedOperation>;
const DEDICATED: ReadonlySet<MerchantOperation> = new Set<DedicatedOperation>(['sendInvoice', 'getPaymentStatus', 'cancelInvoice', 'refundPayment']);
const API_OPERATIONS: readonly ApiOperation[] = MERCHANT_OPERATIONS.filter((operation): operation is ApiOperation => !DEDICATED.has(operation));

export function isApiOperation(value: unknown): value is ApiOperation {
  return typeof value === 'string' && (API_OPERATIONS as readonly string[]).includes(value);
}

export type ApiOperationCall = (payload: Record<string, unknown>, msg: NodeMessage, api: SeqrClient) => Promise<Record<string, unknown>>;

/**
 * `terminalPassword` is the node's credential that registerTerminal gives the new terminal; `report` paces
 * executeReport while SEQR answers REPORT_NOT_READY, for the report the payload names or `defaultReportId`.
 */
export function apiOperations(
  RED: NodeAPI,
  read: ApiInputs,
  terminalPassword: () => string,
  report: ReportPacing & { defaultReportId: string },
): Record<ApiOperation, ApiOperationCall> {
  /** executeReport, asking again while SEQR answers REPORT_NOT_READY; its give-up named for the user. */
  async function executeReport(api: SeqrClient, reportId: string, language: string | undefined, parameters: Record<string, string>) {
    try {
      return await reportWhenReady(api, reportId, language, parameters, report);
    } catch (err) {
      if (!isReportNotReady(err)) throw err;
      throw catchableError(err, RED._('seqr-api.errors.report-not-ready', { reportId: quoteInput(reportId), seconds: report.giveUpMs / 1000 }));
    }
  }

  return {
    async updateInvoice(payload, msg, api) {
      const invoiceReference = read.reference(payload, 'invoiceReference', msg);
      if (payload.invoice === undefined) throw read.mistake('invoice', 'no-invoice');
      const invoice = read.invoice(payload.invoice, 'invoice', payload.currency);
      const tokens = read.tokens(payload.tokens);
      await api.updateInvoice(invoiceReference, invoice, tokens);
      const { value: amount, currency } = invoice.totalAmount;
      return { invoiceReference, amount, currency, ...(tokens ? { tokens } : {}) };
    },
    async commitReservation(payload, msg, api) {
      const invoiceReference = read.reference(payload, 'invoiceReference', msg);
      const amount = payload.amount === undefined ? undefined : read.invoice(payload.amount, 'amount', payload.currency).totalAmount;
      await api.commitReservation(invoiceReference, amount);
      return { invoiceReference, ...(amount ? { amount: amount.value, currency: amount.currency } : {}) };
    },
    async submitPaymentReceipt(payload, msg, api) {
      const ersReference = read.reference(payload, 'ersReference', msg);
      const receipt = payload.receipt;
      if (!(Buffer.isBuffer(receipt) || (typeof receipt === 'string' && receipt !== ''))) throw read.mistake('receipt', 'no-receipt');
      const mimeType = typeof payload.mimeType === 'string' && payload.mimeType ? payload.mimeType : 'text/plain';
      const receiptType = typeof payload.receiptType === 'string' && payload.receiptType ? payload.receiptType : 'PAYMENT_RECEIPT';
      // The client takes a string as base64 already; the node's users give the document itself.
      const receiptData = Buffer.isBuffer(receipt) ? receipt : Buffer.from(receipt, 'utf8');
      await api.submitPaymentReceipt(ersReference, { mimeType, receiptType, receiptData });
      return { ersReference, mimeType, receiptType, bytes: receiptData.length };
    },
    async registerTerminal(payload, _msg, api) {
      const externalTerminalId = read.requiredText(payload, 'externalTerminalId');
      const name = read.requiredText(payload, 'name');
      const password = terminalPassword();
      if (password === '') {
        throw inputError('terminalPassword', RED._('seqr-api.errors.no-terminal-password'));
      }
      const seqrId = payload.seqrId === undefined ? undefined : read.requiredText(payload, 'seqrId');
      const { terminalId } = await api.registerTerminal(externalTerminalId, password, name);
      if (seqrId === undefined) return { terminalId, externalTerminalId, name };
      // SEQR's step 2 (§7.2): the sticker is linked by the new terminal itself; this node knows its password.
      const terminal = api.withPrincipal({ type: 'TERMINALID', id: terminalId, password });
      try {
        await terminal.assignSeqrId(seqrId);
      } catch (err) {
        throw catchableError(err, RED._('seqr-api.errors.registered-not-assigned', { terminalId, seqrId: quoteInput(seqrId), error: (originalError(err) as Error).message }));
      } finally {
        terminal.close();
      }
      return { terminalId, externalTerminalId, name, seqrId };
    },
    async unregisterTerminal(_payload, _msg, api) {
      await api.unregisterTerminal();
      return { unregistered: true };
    },
    async assignSeqrId(payload, _msg, api) {
      const seqrId = read.requiredText(payload, 'seqrId');
      await api.assignSeqrId(seqrId);
      return { seqrId };
    },
    async markTransactionPeriod(payload, _msg, api) {
      const parameters = read.parameters(payload.parameters);
      if (payload.terminalId !== undefined) parameters.TERMINALID = read.requiredText(payload, 'terminalId');
      const { transactionPeriodId } = await api.markTransactionPeriod(Object.keys(parameters).length ? parameters : undefined);
      return { transactionPeriodId, ...(parameters.TERMINALID ? { terminalId: parameters.TERMINALID } : {}) };
    },
    async executeReport(payload, _msg, api) {
      const reportId = typeof payload.reportId === 'string' && payload.reportId ? payload.reportId : report.defaultReportId;
      const language = typeof payload.language === 'string' && payload.language ? payload.language : undefined;
      const parameters = read.parameters(payload.parameters);
      if (payload.transactionPeriodId !== undefined) parameters.transactionPeriodId = read.requiredText(payload, 'transactionPeriodId');
      const { report: text } = await executeReport(api, reportId, language, parameters);
      const { data, parseError } = reportDataOf(text);
      return { reportId, report: text, ...(data ? { data } : {}), ...(parseError ? { parseError } : {}) };
    },
  };
}
