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
import {
  InvoiceInputError,
  MERCHANT_OPERATIONS,
  SeqrError,
  buildInvoice,
  parseReportXml,
  resultCode,
  type CustomerToken,
  type InvoiceDefaults,
  type InvoiceInput,
  type MerchantOperation,
  type SeqrClient,
  type ReportData,
} from '../seqr';
import { STATUS, catchableError, invoiceReferenceOf, isRecord, isValidReference, originalError, serveMessages, usableConfig } from './adapter-helpers';
import { quoteInput } from '../values';

/** The merchant operations that have a node of their own; seqr-api offers the others. */
type DedicatedOperation = 'sendInvoice' | 'getPaymentStatus' | 'cancelInvoice' | 'refundPayment';
type ApiOperation = Exclude<MerchantOperation, DedicatedOperation>;
const DEDICATED: ReadonlySet<MerchantOperation> = new Set<DedicatedOperation>(['sendInvoice', 'getPaymentStatus', 'cancelInvoice', 'refundPayment']);
const API_OPERATIONS: readonly ApiOperation[] = MERCHANT_OPERATIONS.filter((operation): operation is ApiOperation => !DEDICATED.has(operation));

/** SEQR's advice: ask for a report that is not ready again after 3–5 s. */
const DEFAULT_REPORT_RETRY_S = 3;
const DEFAULT_REPORT_GIVE_UP_S = 60;
const DEFAULT_REPORT_ID = 'Reconciliation/Shop.xml';
const REPORT_NOT_READY = resultCode('REPORT_NOT_READY');

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
    const text = (value: string | undefined) => (value ?? '').trim() || undefined;
    const defaults: InvoiceDefaults = {
      currency: text(def.currency) ?? 'SEK',
      title: text(def.title) ?? RED._('seqr-api.label.default-title'),
      cashierId: text(def.cashierId),
    };
    const configuredOperation: ApiOperation = isApiOperation(def.operation) ? def.operation : 'updateInvoice';
    const reportRetryMs = seconds(def.reportRetryInterval, DEFAULT_REPORT_RETRY_S) * 1000;
    const reportGiveUpMs = seconds(def.reportGiveUpAfter, DEFAULT_REPORT_GIVE_UP_S) * 1000;
    const defaultReportId = text(def.reportId) ?? DEFAULT_REPORT_ID;

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

    /** An input mistake, named by its payload field, for a Catch node. */
    function inputError(field: string, key: string, params: Record<string, unknown> = {}): Error {
      return catchableError(new InvoiceInputError(field, RED._(`seqr-api.errors.${key}`, { field, ...params })));
    }

    function reference(payload: Record<string, unknown>, field: string, msg: NodeMessage): string {
      const value = field === 'invoiceReference' ? invoiceReferenceOf(msg) : payload[field];
      if (!isValidReference(value)) throw inputError(field, 'no-reference');
      return value;
    }

    function requiredText(payload: Record<string, unknown>, field: string): string {
      const value = payload[field];
      if (typeof value !== 'string' || value.trim() === '') throw inputError(field, 'no-text');
      return value.trim();
    }

    function invoiceFrom(input: unknown, field: string, currency: unknown) {
      try {
        const withCurrency = isRecord(input) || typeof currency !== 'string' ? input : { amount: input, currency };
        return buildInvoice(withCurrency as InvoiceInput, defaults);
      } catch (err) {
        if (!(err instanceof InvoiceInputError)) throw err;
        throw catchableError(new InvoiceInputError(field, RED._('seqr-api.errors.invalid-invoice', { field, error: err.message })));
      }
    }

    function tokensFrom(value: unknown): CustomerToken[] | undefined {
      if (value === undefined) return undefined;
      if (!Array.isArray(value) || !value.every((token) => isRecord(token) && typeof token.status === 'number')) {
        throw inputError('tokens', 'bad-tokens');
      }
      return value as CustomerToken[];
    }

    function parametersFrom(value: unknown): Record<string, string> {
      if (value === undefined) return {};
      if (!isRecord(value)) throw inputError('parameters', 'bad-parameters');
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, String(v)]));
    }

    /** executeReport, asking again while SEQR answers REPORT_NOT_READY, up to reportGiveUpMs. */
    async function reportWhenReady(reportId: string, language: string | undefined, parameters: Record<string, string>) {
      const giveUpAt = Date.now() + reportGiveUpMs;
      for (;;) {
        try {
          return await client.executeReport(reportId, language, parameters);
        } catch (err) {
          if (!(err instanceof SeqrError) || err.code !== REPORT_NOT_READY) throw err;
          if (closing || Date.now() + reportRetryMs > giveUpAt) {
            throw catchableError(err, RED._('seqr-api.errors.report-not-ready', { reportId: quoteInput(reportId), seconds: reportGiveUpMs / 1000 }));
          }
          node.status(STATUS.busy(RED._('seqr-api.status.report-waiting')));
          await wait(reportRetryMs);
        }
      }
    }

    const OPERATIONS: Record<ApiOperation, (payload: Record<string, unknown>, msg: NodeMessage, api: SeqrClient) => Promise<Record<string, unknown>>> = {
      async updateInvoice(payload, msg, api) {
        const invoiceReference = reference(payload, 'invoiceReference', msg);
        if (payload.invoice === undefined) throw inputError('invoice', 'no-invoice');
        const invoice = invoiceFrom(payload.invoice, 'invoice', payload.currency);
        const tokens = tokensFrom(payload.tokens);
        await api.updateInvoice(invoiceReference, invoice, tokens);
        const { value: amount, currency } = invoice.totalAmount;
        return { invoiceReference, amount, currency, ...(tokens ? { tokens } : {}) };
      },
      async commitReservation(payload, msg, api) {
        const invoiceReference = reference(payload, 'invoiceReference', msg);
        const amount = payload.amount === undefined ? undefined : invoiceFrom(payload.amount, 'amount', payload.currency).totalAmount;
        await api.commitReservation(invoiceReference, amount);
        return { invoiceReference, ...(amount ? { amount: amount.value, currency: amount.currency } : {}) };
      },
      async submitPaymentReceipt(payload, msg, api) {
        const ersReference = reference(payload, 'ersReference', msg);
        const receipt = payload.receipt;
        if (!(Buffer.isBuffer(receipt) || (typeof receipt === 'string' && receipt !== ''))) throw inputError('receipt', 'no-receipt');
        const mimeType = typeof payload.mimeType === 'string' && payload.mimeType ? payload.mimeType : 'text/plain';
        const receiptType = typeof payload.receiptType === 'string' && payload.receiptType ? payload.receiptType : 'PAYMENT_RECEIPT';
        // The client takes a string as base64 already; the node's users give the document itself.
        const receiptData = Buffer.isBuffer(receipt) ? receipt : Buffer.from(receipt, 'utf8');
        await api.submitPaymentReceipt(ersReference, { mimeType, receiptType, receiptData });
        return { ersReference, mimeType, receiptType, bytes: receiptData.length };
      },
      async registerTerminal(payload, _msg, api) {
        const externalTerminalId = requiredText(payload, 'externalTerminalId');
        const name = requiredText(payload, 'name');
        const password = (node.credentials as ApiCredentials | undefined)?.terminalPassword ?? '';
        if (password === '') {
          throw catchableError(new InvoiceInputError('terminalPassword', RED._('seqr-api.errors.no-terminal-password')));
        }
        const seqrId = payload.seqrId === undefined ? undefined : requiredText(payload, 'seqrId');
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
        const seqrId = requiredText(payload, 'seqrId');
        await api.assignSeqrId(seqrId);
        return { seqrId };
      },
      async markTransactionPeriod(payload, _msg, api) {
        const parameters = parametersFrom(payload.parameters);
        if (payload.terminalId !== undefined) parameters.TERMINALID = requiredText(payload, 'terminalId');
        const { transactionPeriodId } = await api.markTransactionPeriod(Object.keys(parameters).length ? parameters : undefined);
        return { transactionPeriodId, ...(parameters.TERMINALID ? { terminalId: parameters.TERMINALID } : {}) };
      },
      async executeReport(payload) {
        const reportId = typeof payload.reportId === 'string' && payload.reportId ? payload.reportId : defaultReportId;
        const language = typeof payload.language === 'string' && payload.language ? payload.language : undefined;
        const parameters = parametersFrom(payload.parameters);
        if (payload.transactionPeriodId !== undefined) parameters.transactionPeriodId = requiredText(payload, 'transactionPeriodId');
        const { report } = await reportWhenReady(reportId, language, parameters);
        let data: ReportData | undefined;
        let parseError: string | undefined;
        if (report.contentString?.trimStart().startsWith('<')) {
          try {
            data = parseReportXml(report.contentString);
          } catch (err) {
            parseError = (err as Error).message;
          }
        }
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

  RED.nodes.registerType('seqr-api', SeqrApiNode, { credentials: { terminalPassword: { type: 'password' } } });
};
