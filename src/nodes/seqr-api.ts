/**
 * seqr-api: the rest of SEQR's merchant API in one node. The operation is the node's setting, or `msg.topic`
 * when it names one: updateInvoice, commitReservation, submitPaymentReceipt, registerTerminal,
 * unregisterTerminal, assignSeqrId, markTransactionPeriod, executeReport. Inputs come from msg.payload's fields
 * (the help lists them per operation); the message goes on with msg.payload = the operation's result. SEQR's
 * refusals go to `done(err)` for Catch nodes with their codes.
 *
 * executeReport asks again by itself while SEQR answers 2 REPORT_NOT_READY (every `reportRetryInterval`
 * seconds, giving up after `reportGiveUpAfter` with that code), and hands out the report as text and as data.
 *
 * registerTerminal's new terminal password is a credential of this node, never a message field: passwords
 * never travel in messages (they would reach debug sidebars, context stores and exported flows).
 *
 * No automatic retry of other calls: a commit or an update that got no answer may have taken effect.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { MERCHANT_OPERATIONS, isReportNotReady, reportDataOf, reportWhenReady, type MerchantOperation, type SeqrClient } from '../seqr';
import { isRecord, quoteInput, settingText } from '../values';
import { apiInputs } from './api-inputs';
import { usableConfig } from './config-lookup';
import { serveMessages } from './input-lifecycle';
import { invoiceDefaultsOf } from './invoice-settings';
import { catchableError, inputError, originalError } from './node-errors';
import { STATUS } from './node-status';
import { API_LIMITS, editorSettings } from './shared-limits';

/** The merchant operations that have a node of their own; seqr-api offers the others. */
type DedicatedOperation = 'sendInvoice' | 'getPaymentStatus' | 'cancelInvoice' | 'refundPayment';
type ApiOperation = Exclude<MerchantOperation, DedicatedOperation>;
const DEDICATED: ReadonlySet<MerchantOperation> = new Set<DedicatedOperation>(['sendInvoice', 'getPaymentStatus', 'cancelInvoice', 'refundPayment']);
const API_OPERATIONS: readonly ApiOperation[] = MERCHANT_OPERATIONS.filter((operation): operation is ApiOperation => !DEDICATED.has(operation));

interface ApiDef extends NodeDef {
  seqr: string;
  operation: string;
  reportId: string;
  /** Seconds between executeReport calls while SEQR answers REPORT_NOT_READY. */
  reportRetryInterval: string | number;
  /** Seconds after which executeReport stops asking. */
  reportGiveUpAfter: string | number;
  currency: string;
  title: string;
  cashierId: string;
}

interface ApiCredentials {
  /** The password a terminal registered by this node gets (registerTerminal). */
  terminalPassword?: string;
}

function isApiOperation(value: unknown): value is ApiOperation {
  return typeof value === 'string' && (API_OPERATIONS as readonly string[]).includes(value);
}

function seconds(value: string | number | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

export = function register(RED: NodeAPI): void {
  function SeqrApiNode(this: Node, def: ApiDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const defaults = invoiceDefaultsOf(def, RED._('seqr-api.label.default-title'));
    const configuredOperation: ApiOperation = isApiOperation(def.operation) ? def.operation : API_LIMITS.defaultOperation;
    const reportRetryMs = seconds(def.reportRetryInterval, API_LIMITS.defaultReportRetryS) * 1000;
    const reportGiveUpMs = seconds(def.reportGiveUpAfter, API_LIMITS.defaultReportGiveUpS) * 1000;
    const defaultReportId = settingText(def.reportId) ?? API_LIMITS.defaultReportId;
    const read = apiInputs(RED, defaults);

    const config = usableConfig(RED, node, def.seqr, defaults);
    if (!config) return;
    const client = config.acquire(node);

    // Waits between report calls end early when the node closes, so that a redeploy does not wait a minute.
    let closing = false;
    const wakers = new Set<() => void>();
    node.on('close', () => {
      closing = true;
      for (const wake of wakers) wake();
    });
    function wait(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        wakers.add(wake);
      });
    }

    /** executeReport, asking again while SEQR answers REPORT_NOT_READY; its give-up named for the user. */
    async function executeReport(reportId: string, language: string | undefined, parameters: Record<string, string>) {
      const pacing = {
        retryMs: reportRetryMs,
        giveUpMs: reportGiveUpMs,
        wait,
        stopped: () => closing,
        onNotReady: () => node.status(STATUS.busy(RED._('seqr-api.status.report-waiting'))),
      };
      try {
        return await reportWhenReady(client, reportId, language, parameters, pacing);
      } catch (err) {
        if (!isReportNotReady(err)) throw err;
        throw catchableError(err, RED._('seqr-api.errors.report-not-ready', { reportId: quoteInput(reportId), seconds: reportGiveUpMs / 1000 }));
      }
    }

    const OPERATIONS: Record<ApiOperation, (payload: Record<string, unknown>, msg: NodeMessage, api: SeqrClient) => Promise<Record<string, unknown>>> = {
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
        const password = (node.credentials as ApiCredentials | undefined)?.terminalPassword ?? '';
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
      async executeReport(payload) {
        const reportId = typeof payload.reportId === 'string' && payload.reportId ? payload.reportId : defaultReportId;
        const language = typeof payload.language === 'string' && payload.language ? payload.language : undefined;
        const parameters = read.parameters(payload.parameters);
        if (payload.transactionPeriodId !== undefined) parameters.transactionPeriodId = read.requiredText(payload, 'transactionPeriodId');
        const { report } = await executeReport(reportId, language, parameters);
        const { data, parseError } = reportDataOf(report);
        return { reportId, report, ...(data ? { data } : {}), ...(parseError ? { parseError } : {}) };
      },
    };

    async function call(msg: NodeMessageInFlow, send: (msg: NodeMessage) => void): Promise<void> {
      const operation = isApiOperation(msg.topic) ? msg.topic : configuredOperation;
      const payload = isRecord(msg.payload) ? msg.payload : {};
      msg.payload = { operation, ...(await OPERATIONS[operation](payload, msg, client)) };
      send(msg);
      node.status(STATUS.ok(operation));
    }

    serveMessages(RED, node, config, RED._('seqr-api.status.calling'), call);
  }

  RED.nodes.registerType('seqr-api', SeqrApiNode, {
    credentials: { terminalPassword: { type: 'password' } },
    settings: editorSettings('seqrApiLimits', API_LIMITS),
  });
};
