import assert from 'node:assert/strict';
import { parseReportXml } from '../src/seqr';

describe('parseReportXml', function () {
  it('makes the root, the meta values and one object per Row, values as exact text', function () {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<TransactionDetails>\n  <Meta><ResellerId>shop</ResellerId><Note>A &amp; B</Note></Meta>\n' +
      '  <Row><TerminalId>t1</TerminalId><SalesAmount>-30.00000</SalesAmount></Row>\n  <Row><TerminalId>t2</TerminalId><CashierId><![CDATA[Ann <3>]]></CashierId></Row>\n</TransactionDetails>';
    assert.deepEqual(parseReportXml(xml), {
      root: 'TransactionDetails',
      meta: { ResellerId: 'shop', Note: 'A & B' },
      rows: [
        { TerminalId: 't1', SalesAmount: '-30.00000' },
        { TerminalId: 't2', CashierId: 'Ann <3>' },
      ],
    });
    assert.deepEqual(parseReportXml('<Empty/>'), { root: 'Empty', meta: {}, rows: [] });
  });

  it('refuses malformed XML and text without an element', function () {
    assert.throws(() => parseReportXml('<A><Row></A>'), /not well-formed XML: Unexpected close tag/);
    assert.throws(() => parseReportXml('no xml here'), /not well-formed XML|holds no XML element/);
  });
});
