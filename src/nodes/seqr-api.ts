/**
 * seqr-api: the rest of SEQR's merchant API in one node. The operation is the node's setting, or `msg.topic`
 * when it names one: updateInvoice, commitReservation, submitPaymentReceipt, registerTerminal,
 * unregisterTerminal, assignSeqrId, markTransactionPeriod, executeReport. Inputs come from msg.payload's fields
 * (the help lists them per operation); the message goes on with msg.payload = the operation's result. SEQR's
 * refusals go to `done(err)` for Catch nodes with their codes. The operations themselves are api-operations.ts.
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
import { isRecord, settingText } from '../values';
import { apiInputs } from './api-inputs';
import { apiOperations, isApiOperation, type ApiOperation } from './api-operations';
import { usableConfig } from './config-lookup';
import { serveMessages } from './input-lifecycle';
import { invoiceDefaultsOf } from './invoice-settings';
import { STATUS } from './node-status';
import { API_LIMITS, editorSettings } from './shared-limits';

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

    const operations = apiOperations(RED, read, () => (node.credentials as ApiCredentials | undefined)?.terminalPassword ?? '', {
      defaultReportId,
      retryMs: reportRetryMs,
      giveUpMs: reportGiveUpMs,
      wait,
      stopped: () => closing,
      onNotReady: () => node.status(STATUS.busy(RED._('seqr-api.status.report-waiting'))),
    });

    async function call(msg: NodeMessageInFlow, send: (msg: NodeMessage) => void): Promise<void> {
      const operation = isApiOperation(msg.topic) ? msg.topic : configuredOperation;
      const payload = isRecord(msg.payload) ? msg.payload : {};
      msg.payload = { operation, ...(await operations[operation](payload, msg, client)) };
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
