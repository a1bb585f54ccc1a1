/**
 * Reconciliation reports (executeReport) as data. SEQR's reports are small XML documents: a root element
 * (`ResellerTransactionSummary`, `TransactionDetails`…) holding a `Meta` element and one `Row` element per line.
 * `parseReportXml` makes that `{ root, meta, rows }` with every value as the text SEQR sent (amounts stay exact
 * decimal text such as "93.31000"; convert with big.js, not Number).
 *
 * Parsed with sax, the streaming XML parser soap already depends on: small, long maintained, no native code,
 * and strict mode rejects malformed XML instead of guessing. A DOM library or xml2js would be a second
 * dependency for the same job.
 */
import { sax } from './sax';

export interface ReportData {
  /** The root element's name, which says what report it is. */
  root: string;
  /** The leaf values of the root's non-row children (ResellerId, TransactionPeriodId, GeneratedAt…). */
  meta: Record<string, string>;
  /** One object per `Row` element: its child elements' names and texts. */
  rows: Array<Record<string, string>>;
}

/** The name of the elements that are the report's lines. */
const ROW = 'Row';

/** Parses a report's XML text; throws an Error naming the place for malformed XML. */
export function parseReportXml(xml: string): ReportData {
  const data: ReportData = { root: '', meta: {}, rows: [] };
  const parser = sax.parser(true, { trim: true });
  const path: string[] = [];
  let row: Record<string, string> | undefined;
  let text = '';
  parser.onopentag = (tag) => {
    if (path.length === 0) data.root = tag.name;
    else if (path.length === 1 && tag.name === ROW) row = {};
    path.push(tag.name);
    text = '';
  };
  const addText = (chunk: string) => (text += chunk);
  parser.ontext = addText;
  parser.oncdata = addText;
  parser.onclosetag = (name) => {
    path.pop();
    if (path.length === 1 && name === ROW && row) {
      data.rows.push(row);
      row = undefined;
    } else if (row && path.length === 2) {
      row[name] = text;
    } else if (!row && path.length === 2) {
      data.meta[name] = text;
    }
    text = '';
  };
  parser.onerror = (err) => {
    throw err;
  };
  try {
    parser.write(xml).close();
  } catch (err) {
    throw new Error(`the report is not well-formed XML: ${String((err as Error).message).split('\n')[0]}`, { cause: err });
  }
  if (data.root === '') throw new Error('the report holds no XML element');
  return data;
}
