import Big from 'big.js';
import type { ParameterMap, SeqrReport } from '../seqr/types';
import { ResultCodeError } from './errors';
import type { IdFactory } from './ids';
import type { Ledger, Transaction } from './ledger';
import type { Principals, Reseller, Terminal } from './principals';
import { reportTime } from './time';

/**
 * Reconciliation (spec §8): markTransactionPeriod closes a period of the emulator's own transactions, shop-wide
 * or for one terminal, and executeReport renders its reports as XML.
 *
 * Choices where SEQR's documents are silent: payments and refunds are both report rows (refunds negative);
 * SalesCount counts the rows and SalesTotal is their net sum; reversed payments are left out. A terminal report
 * (006/007) of a period marked without TERMINALID is never ready, as SEQR's FAQ warns. executeReport's own
 * TERMINALID entry is not needed: the period knows its terminal.
 */

type ReportShape = 'shop-summary' | 'per-terminal' | 'details' | 'per-cashier' | 'terminal-summary';

interface ReportDefinition {
  readonly code: string;
  readonly root: string;
  readonly shape: ReportShape;
  readonly terminalScope: boolean;
}

export const REPORTS: Readonly<Record<string, ReportDefinition>> = {
  'Reconciliation/Shop.xml': { code: 'STD_RECON_001', root: 'ResellerTransactionSummary', shape: 'shop-summary', terminalScope: false },
  'Reconciliation/STD_RECON_002.xml': { code: 'STD_RECON_002', root: 'TerminalTransactionSummary', shape: 'per-terminal', terminalScope: false },
  'Reconciliation/STD_RECON_003.xml': { code: 'STD_RECON_003', root: 'TransactionDetails', shape: 'details', terminalScope: false },
  'Reconciliation/STD_RECON_004.xml': { code: 'STD_RECON_004', root: 'CashierTransactionSummary', shape: 'per-cashier', terminalScope: false },
  'Reconciliation/STD_RECON_006.xml': { code: 'STD_RECON_006', root: 'TerminalTransactionSummary', shape: 'terminal-summary', terminalScope: true },
  'Reconciliation/STD_RECON_007.xml': { code: 'STD_RECON_007', root: 'TransactionDetails', shape: 'details', terminalScope: true },
};

interface Period {
  readonly id: string;
  readonly reseller: Reseller;
  readonly terminal?: Terminal;
  /** The period holds the transactions with fromSeq < seq <= toSeq. */
  readonly fromSeq: number;
  readonly toSeq: number;
  /** executeReport calls so far, per report id (the first ones answer REPORT_NOT_READY). */
  readonly calls: Map<string, number>;
}

/** Reads a parameterMap (parameters/parameter/entry{key,value}) as soap parsed it into a map. */
export function readParameters(parameters: unknown): Map<string, string> {
  const entries = (parameters as ParameterMap | undefined | null)?.parameter?.entry;
  const list = entries === undefined || entries === null ? [] : Array.isArray(entries) ? entries : [entries];
  const map = new Map<string, string>();
  for (const entry of list) {
    if (entry && typeof entry.key === 'string' && entry.value !== undefined && entry.value !== null) {
      map.set(entry.key, String(entry.value));
    }
  }
  return map;
}

export class TransactionPeriods {
  private readonly periods = new Map<string, Period>();
  /** Where the previous period of each scope (a shop, or one terminal) ended. */
  private readonly ends = new Map<string, number>();

  constructor(
    private readonly ids: IdFactory,
    private readonly ledger: Ledger,
    private readonly principals: Principals,
    private readonly notReadyCalls: number,
  ) {}

  /** markTransactionPeriod: closes the current period (29 for a TERMINALID entry that is not this reseller's). */
  mark(reseller: Reseller, parameters: Map<string, string>): string {
    const terminalId = parameters.get('TERMINALID');
    let terminal: Terminal | undefined;
    if (terminalId !== undefined) {
      terminal = this.principals.terminal(terminalId);
      if (!terminal || terminal.reseller !== reseller) throw new ResultCodeError(29, 'TERMINALID entry names no terminal of this reseller');
    }
    const scope = terminal ? `terminal:${terminal.id}` : `shop:${reseller.id}`;
    const fromSeq = this.ends.get(scope) ?? 0;
    const toSeq = this.ledger.transactions.length;
    this.ends.set(scope, toSeq);
    const id = this.ids.ersReference();
    this.periods.set(id, { id, reseller, terminal, fromSeq, toSeq, calls: new Map() });
    return id;
  }

  /**
   * executeReport: 91 for an unknown report id, 90 for an unknown transactionPeriodId, 2 REPORT_NOT_READY for
   * the first calls of each period and report (and forever for a terminal report of a shop-wide period).
   */
  execute(reseller: Reseller, reportId: string | undefined, parameters: Map<string, string>, now: Date = new Date()): SeqrReport {
    const definition = reportId === undefined ? undefined : REPORTS[reportId];
    if (!definition) throw new ResultCodeError(91, `unknown report ${reportId ?? '(none)'}`);
    const period = this.periods.get(parameters.get('transactionPeriodId') ?? '');
    if (!period || period.reseller !== reseller) throw new ResultCodeError(90, 'unknown transactionPeriodId');
    if (definition.terminalScope && !period.terminal) {
      throw new ResultCodeError(2, 'terminal reports need a period marked with a TERMINALID entry');
    }
    const calls = (period.calls.get(reportId as string) ?? 0) + 1;
    period.calls.set(reportId as string, calls);
    if (calls <= this.notReadyCalls) throw new ResultCodeError(2, 'report is being produced');

    const transactions = this.ledger.transactions
      .slice(period.fromSeq, period.toSeq)
      .filter((t) => !t.reversed && t.terminal.reseller === reseller && (!period.terminal || t.terminal === period.terminal));
    const contentString = renderReport(definition, period, transactions, now);
    return {
      title: definition.code === 'STD_RECON_001' ? '' : `${definition.code}_${period.id}.xml`,
      mimeType: 'text/html',
      content: Buffer.from(contentString, 'utf8').toString('base64'),
      contentString,
    };
  }
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

/** Amounts in reports have five decimals (93.31000). */
function amount(value: Big): string {
  return value.toFixed(5);
}

function cashier(t: Transaction): string {
  return t.cashierId ?? 'NULL';
}

function summaryRow(key: string | undefined, keyName: string, rows: Transaction[]): string {
  const total = rows.reduce((sum, t) => sum.plus(t.amount), new Big(0));
  const keyElement = key === undefined ? '' : element(keyName, key);
  return `  <Row>${keyElement}${element('SalesCount', String(rows.length))}${element('SalesTotal', amount(total))}</Row>\n`;
}

function groupBy(rows: Transaction[], key: (t: Transaction) => string): Map<string, Transaction[]> {
  const groups = new Map<string, Transaction[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group) group.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}

function renderReport(definition: ReportDefinition, period: Period, rows: Transaction[], now: Date): string {
  const meta =
    element('ResellerId', period.reseller.id) +
    element('TransactionPeriodId', period.id) +
    (definition.terminalScope && period.terminal ? element('TerminalId', period.terminal.id) : '') +
    element('GeneratedAt', reportTime(now));
  let body = '';
  switch (definition.shape) {
    case 'shop-summary':
    case 'terminal-summary':
      body = summaryRow(undefined, '', rows);
      break;
    case 'per-terminal':
      for (const [terminalId, group] of groupBy(rows, (t) => t.terminal.id)) body += summaryRow(terminalId, 'TerminalId', group);
      break;
    case 'per-cashier':
      for (const [cashierId, group] of groupBy(rows, cashier)) body += summaryRow(cashierId, 'CashierId', group);
      break;
    case 'details':
      for (const t of rows) {
        body +=
          `  <Row>${element('TerminalId', t.terminal.id)}${element('CashierId', cashier(t))}` +
          `${element('SalesAmount', amount(t.amount))}${element('ErsReference', t.ersReference)}</Row>\n`;
      }
      break;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${definition.root}>\n  <Meta>${meta}</Meta>\n${body}</${definition.root}>`;
}
