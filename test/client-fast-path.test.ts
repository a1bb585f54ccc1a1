import assert from 'node:assert/strict';
import { loadWsdl, SeqrClient } from '../src/seqr/client';
import { contextXml, escapeXml, readStatusBody, statusRequest, statusRequestHead } from '../src/seqr/status-fast-path';
import { Servers, envelope, readBody } from './helpers/loopback';

/*
 * getPaymentStatus bypasses soap's writer and reader for speed; its answers must be exactly what soap's reader
 * makes of the same bytes. Each body below is read both ways and compared.
 */

const NS = 'xmlns:ns2="http://external.interfaces.ers.seamless.com/"';
const response = (inner: string) => envelope(`<ns2:getPaymentStatusResponse ${NS}><return>${inner}</return></ns2:getPaymentStatusResponse>`);

const PAID_RECEIPT =
  '<ersReference>2015102910184861801032678</ersReference><resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription>' +
  '<status>PAID</status><receipt><terminalId>public_test_shop_terminal</terminalId><paymentDate>2015-10-29T10:18:48.663+01:00</paymentDate>' +
  '<clientInvoiceId>A-17</clientInvoiceId><invoiceReference>20151029186719114</invoiceReference>' +
  '<paymentReference>2015102910184861801032678</paymentReference><payerTerminalId>d613c5b8428d17248751bc101</payerTerminalId>' +
  '<receiverName>Fish &amp; Chips AB</receiverName><invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode>' +
  '<acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode><issueDate>2015-10-29T10:18:00</issueDate><title>Order 17</title>' +
  '<invoiceRows><invoiceRow><itemDescription>Cod</itemDescription><itemQuantity>0.350</itemQuantity>' +
  '<itemTaxRate>12</itemTaxRate><itemTotalAmount><currency>SEK</currency><value>93.31000</value></itemTotalAmount>' +
  '<itemUnit>kg</itemUnit><itemUnitPrice><currency>SEK</currency><value>266.60</value></itemUnitPrice></invoiceRow>' +
  '<invoiceRow><itemDescription>Discount</itemDescription><itemTotalAmount><currency>SEK</currency><value>-0.01</value>' +
  '</itemTotalAmount></invoiceRow></invoiceRows><totalAmount><currency>SEK</currency><value>93.30</value></totalAmount>' +
  '<cashierId>Bob</cashierId><footer/><commitReservationTimeout>3600</commitReservationTimeout></invoice></receipt>' +
  '<version>3</version>';

const BODIES: Record<string, string> = {
  issued: response('<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription><status>ISSUED</status><version>1</version>'),
  paid: response(PAID_RECEIPT),
  'one row, one token': response(
    '<resultCode>0</resultCode><status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens><token><description>Club card</description>' +
      '<id>SOME_CARD</id><status>0</status><value>4711</value></token></customerTokens><version>2</version>',
  ),
  'two tokens': response(
    '<resultCode>0</resultCode><status>PENDING_ISSUER_ACKNOWLEDGE</status><customerTokens><token><id>A</id><status>0</status></token>' +
      '<token><id>B</id><status>1</status><value></value></token></customerTokens><version>4</version>',
  ),
  'error code': response('<resultCode>54</resultCode><resultDescription>INVALID_INVOICE_REFERENCE</resultDescription><version>0</version>'),
  'pretty printed with comments and a header':
    '<?xml version="1.0"?>\n<!-- answer -->\n<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">\n  <S:Header/>\n  <S:Body>\n' +
    `    <ns2:getPaymentStatusResponse ${NS}>\n      <return>\n        <resultCode> 0 </resultCode>\n` +
    '        <!-- status follows -->\n        <status>\n          ISSUED\n        </status>\n        <version>1</version>\n' +
    '      </return>\n    </ns2:getPaymentStatusResponse>\n  </S:Body>\n</S:Envelope>\n',
  'default namespace on the wrapper': envelope(
    '<getPaymentStatusResponse xmlns="http://external.interfaces.ers.seamless.com/"><return xmlns=""><resultCode>0</resultCode>' +
      '<status>CANCELED</status><version>5</version></return></getPaymentStatusResponse>',
  ),
  'empty elements of every kind': response(
    '<ersReference/><resultCode>0</resultCode><resultDescription></resultDescription><status>ISSUED</status><receipt/>' +
      '<customerTokens/><version>1</version>',
  ),
  'empty receipt fields': response(
    '<resultCode>0</resultCode><status>PAID</status><receipt><terminalId/><paymentDate/><invoice><invoiceRows/>' +
      '<totalAmount><currency/><value/></totalAmount><commitReservationTimeout/></invoice></receipt><version>2</version>',
  ),
  'character references': response(
    '<resultCode>0</resultCode><resultDescription>&lt;ok&gt; &quot;fine&quot; &apos;x&apos; &#197;&#x00C5;</resultDescription>' +
      '<status>ISSUED</status><version>1</version>',
  ),
  'unknown elements and repeats': response(
    '<resultCode>0</resultCode><status>ISSUED</status><extra>a</extra><extra>b</extra><more/><version>1</version>',
  ),
  fault: envelope('<soap:Fault><faultcode>soap:Client</faultcode><faultstring>bad</faultstring></soap:Fault>'),
};

describe('getPaymentStatus fast path', () => {
  it('reads every answer exactly as soap\'s reader does', async () => {
    const wsdl = await loadWsdl();
    for (const [name, xml] of Object.entries(BODIES)) {
      if (name === 'fault') {
        assert.throws(() => wsdl.xmlToObject(xml), /soap:Client: bad/);
        assert.deepEqual(readStatusBody(xml), { Fault: { faultcode: 'soap:Client', faultstring: 'bad' } });
        continue;
      }
      const bySoap = (wsdl.xmlToObject(xml) as { Body: unknown }).Body;
      assert.deepEqual(readStatusBody(xml), bySoap, name);
    }
  });

  it('keeps amounts and dates as text and makes lists of rows and tokens', () => {
    const body = readStatusBody(BODIES.paid) as { getPaymentStatusResponse: { return: Record<string, never> } };
    const receipt = body.getPaymentStatusResponse.return.receipt as { paymentDate: string; invoice: { invoiceRows: { invoiceRow: unknown[] }; totalAmount: unknown } };
    assert.equal(receipt.paymentDate, '2015-10-29T10:18:48.663+01:00');
    assert.deepEqual(receipt.invoice.totalAmount, { currency: 'SEK', value: '93.30' });
    assert.equal(receipt.invoice.invoiceRows.invoiceRow.length, 2);
  });

  it('leaves attributes, CDATA and mixed content to soap\'s reader', () => {
    assert.equal(readStatusBody(response('<resultCode>0</resultCode><ersReference xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/><version>1</version>')), undefined);
    assert.equal(readStatusBody(response('<resultCode>0</resultCode><resultDescription><![CDATA[SUCCESS]]></resultDescription><version>1</version>')), undefined);
    assert.equal(readStatusBody(response('text<resultCode>0</resultCode><version>1</version>')), undefined);
    assert.equal(readStatusBody(`<!DOCTYPE x>${BODIES.issued}`), undefined);
  });

  it('rejects XML that is not well-formed', () => {
    for (const bad of ['<a><b></a>', '<a>', '</a>', '<a', '<?xml', '<!-- x', '<1a/>', '<a/>tail', '<a/>']) {
      assert.throws(() => readStatusBody(bad), SyntaxError, bad);
    }
  });

  it('writes the request soap would write, escaping text', async () => {
    const context = {
      channel: 'WS',
      clientId: 'c&d',
      clientReference: 'r<1>',
      clientRequestTimeout: 0,
      initiatorPrincipalId: { id: 'shop', type: 'RESELLERUSER', userId: '9900' },
      password: `p"'&`,
    };
    const xml = statusRequest(statusRequestHead(contextXml(context)), 'R&1', 7);
    const wsdl = await loadWsdl();
    // soap's reader turns the request back into the same arguments.
    const read = (wsdl.xmlToObject(xml) as { Body: { getPaymentStatus: unknown } }).Body.getPaymentStatus;
    assert.deepEqual(read, { context, invoiceReference: 'R&1', invoiceVersion: 7 });
    assert.equal(escapeXml('plain'), 'plain');
  });

  describe('against a loopback server', () => {
    const servers = new Servers();
    after(() => servers.stopAll());

    it('falls back to soap\'s reader for answers the fast reader leaves alone, with the same result', async () => {
      const plain = response('<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription><status>ISSUED</status><version>1</version>');
      const cdata = plain.replace('SUCCESS', '<![CDATA[SUCCESS]]>');
      let answer = plain;
      const requests: string[] = [];
      const { url } = await servers.http(async (request, reply) => {
        requests.push(await readBody(request));
        reply.writeHead(200, { 'Content-Type': 'text/xml' });
        reply.end(answer);
      });
      const client = new SeqrClient({ endpoint: url, principal: { type: 'TERMINALID', id: 't1', password: 'pw12' } });
      try {
        const fast = await client.getPaymentStatus('42', 0, { clientReference: 'ref-1', clientComment: 'poll' });
        answer = cdata;
        const slow = await client.getPaymentStatus('42', 0);
        assert.deepEqual(slow, fast);
        assert.deepEqual(fast, { status: 'ISSUED', version: 1, tokens: [], resultCode: 0, resultDescription: 'SUCCESS' });
        assert.match(requests[0], /<context><channel>WS<\/channel><clientComment>poll<\/clientComment><clientId>@seqr-flows\/node-red-seqr [^<]+<\/clientId><clientReference>ref-1<\/clientReference><clientRequestTimeout>0<\/clientRequestTimeout>/);
        assert.doesNotMatch(requests[1], /clientReference/);
        answer = response('<resultCode>0</resultCode><resultDescription><![CDATA[x]]></resultDescription><version>1</version>');
        await assert.rejects(client.getPaymentStatus('42', 0), { name: 'SeqrTransportError', kind: 'parse', message: /no status or version/ });
        answer = envelope('<soap:Fault><faultcode>c</faultcode><faultstring><![CDATA[x]]></faultstring></soap:Fault>');
        await assert.rejects(client.getPaymentStatus('42', 0), { name: 'SeqrTransportError', kind: 'fault' });
        answer = '<?xml version="1.0"?><a><![CDATA[';
        await assert.rejects(client.getPaymentStatus('42', 0), { name: 'SeqrTransportError', kind: 'parse', message: /Invalid XML/ });
        await assert.rejects(client.getPaymentStatus('42', 1.5), /invoiceVersion must be a whole number/);
      } finally {
        client.close();
      }
    });
  });
});
