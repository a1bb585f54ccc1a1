import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as soap from 'soap';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SEQR_NAMESPACE, SERVICE_PATHS } from '../src/seqr/types';
import { Harness, call, COFFEE, post, soapClient, terminalContext, type Wire } from './helpers/emulator';
import { invoice } from './helpers/seqr';

const ENVELOPE_START =
  '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Body>';
const ENVELOPE_END = '</soapenv:Body></soapenv:Envelope>';
const CONTEXT =
  '<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>public_test_shop_terminal</id>' +
  '<type>TERMINALID</type></initiatorPrincipalId><password>12345678</password></context>';

function assertSoap11Fault(response: { status: number; text: string }, faultcode: string): void {
  assert.equal(response.status, 500);
  assert.match(response.text, /<soap:Envelope xmlns:soap="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/"/);
  assert.match(response.text, new RegExp(`<soap:Fault><faultcode>${faultcode}</faultcode><faultstring>[^<]+</faultstring></soap:Fault>`));
  assert.doesNotMatch(response.text, /soap:Code|soap:Reason|Security/);
}

describe('SEQR emulator: SOAP endpoints', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('serves the WSDL on both service paths, each with its own address', async () => {
    for (const path of SERVICE_PATHS) {
      for (const query of ['?wsdl', '?WSDL']) {
        const response = await fetch(`${h.emu.baseUrl}${path}${query}`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/xml/);
        const text = await response.text();
        assert.ok(text.includes(`<soap:address location="${h.emu.baseUrl}${path}"/>`), `${path} names itself`);
        // The schema is in the imported half, served beside it as CXF served it.
        const imported = `${h.emu.baseUrl}${path}?wsdl=ERSWSExternalClientService.wsdl`;
        assert.ok(text.includes(`<wsdl:import namespace="${SEQR_NAMESPACE}" location="${imported}"/>`), `${path} imports its own half`);
        const half = await fetch(imported);
        assert.equal(half.status, 200);
        assert.match(half.headers.get('content-type') ?? '', /^text\/xml/);
        assert.ok((await half.text()).includes('name="commitReservationTimeout"'));
      }
    }
    const other = await fetch(`${h.emu.url}?wsdl=other.wsdl`);
    assert.equal(other.status, 404);
    assert.equal(h.emu.wsdlUrl, `${h.emu.url}?wsdl`);
    assert.equal(h.emu.url, `${h.emu.baseUrl}/soap/merchant/cashregister-2`);
  });

  it('answers a client built from the served WSDL, on the address the WSDL names', async () => {
    for (const path of SERVICE_PATHS) {
      const client = await soap.createClientAsync(`${h.emu.baseUrl}${path}?wsdl`);
      const answer = await call(client, 'sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });
      assert.equal(answer.resultCode, 0);
      assert.match(answer.invoiceReference, /^\d{13,17}$/);
    }
  });

  it('accepts a raw request in the style of SEQR\'s examples: ext: prefix, unqualified children, any order', async () => {
    const send = await post(
      h.emu.url,
      `${ENVELOPE_START}<ext:sendInvoice><invoice><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>` +
        '<totalAmount><value>10.00</value><currency>SEK</currency></totalAmount><title>Raw</title>' +
        `<paymentMode>IMMEDIATE_DEBIT</paymentMode></invoice>${CONTEXT}</ext:sendInvoice>${ENVELOPE_END}`,
    );
    assert.equal(send.status, 200);
    assert.match(send.text, /<return><resultCode>0<\/resultCode><resultDescription>SUCCESS<\/resultDescription>/);
    const reference = /<invoiceReference>(\d+)<\/invoiceReference>/.exec(send.text)?.[1];
    assert.ok(reference);
    assert.ok(send.text.includes(`<invoiceQRCode>HTTP://SEQR.SE/R${reference}</invoiceQRCode>`));

    const status = await post(
      `${h.emu.baseUrl}/extclientproxy/service/v2`,
      `${ENVELOPE_START}<ext:getPaymentStatus><invoiceVersion>0</invoiceVersion><invoiceReference>${reference}</invoiceReference>` +
        `${CONTEXT}</ext:getPaymentStatus>${ENVELOPE_END}`,
    );
    assert.equal(status.status, 200);
    assert.match(status.text, /<resultCode>0<\/resultCode><resultDescription>SUCCESS<\/resultDescription><status>ISSUED<\/status><version>1<\/version>/);
  });

  it('dispatches on the Body, whatever SOAPAction says', async () => {
    const response = await post(
      h.emu.url,
      `${ENVELOPE_START}<ext:cancelInvoice>${CONTEXT}<invoiceReference>1</invoiceReference></ext:cancelInvoice>${ENVELOPE_END}`,
      { SOAPAction: '"urn:getPaymentStatus"' },
    );
    assert.match(response.text, /cancelInvoiceResponse\b[^>]*><return><resultCode>54</);
  });

  it('answers the WSDL\'s seven non-merchant operations with 91 UNSUPPORTED_OPERATION', async () => {
    const operations = ['requestPrincipalInformation', 'changePrincipalPassword', 'confirmCustomerRegistration', 'requestTopup', 'requestTransfer', 'requestPurchase', 'benchmarkingNop'];
    for (const operation of operations) {
      const answer = await h.call(operation, operation === 'benchmarkingNop' ? {} : { context: terminalContext() });
      assert.equal(answer.resultCode, 91, operation);
      assert.equal(answer.resultDescription, 'UNSUPPORTED_OPERATION');
    }
  });

  it('answers a well-formed request for an operation the WSDL does not have with 91', async () => {
    const response = await post(h.emu.url, `${ENVELOPE_START}<ext:payEverything>${CONTEXT}</ext:payEverything>${ENVELOPE_END}`);
    assert.equal(response.status, 200);
    assert.match(
      response.text,
      /<ns2:payEverythingResponse xmlns:ns2="http:\/\/external\.interfaces\.ers\.seamless\.com\/"><return><resultCode>91<\/resultCode><resultDescription>UNSUPPORTED_OPERATION<\/resultDescription><\/return>/,
    );
    // A response element sent as a request is no operation either.
    const inverted = await post(h.emu.url, `${ENVELOPE_START}<ext:sendInvoiceResponse/>${ENVELOPE_END}`);
    assert.match(inverted.text, /sendInvoiceResponseResponse xmlns:ns2="[^"]+"><return><resultCode>91</);
  });

  it('answers malformed requests with a SOAP 1.1 client fault (HTTP 500)', async () => {
    const bodies = [
      'this is not XML',
      '',
      `${ENVELOPE_START}<ext:getPaymentStatus>${CONTEXT}`,
      `${ENVELOPE_START}<ext:payEverything>${CONTEXT}`,
      `${ENVELOPE_START}${ENVELOPE_END}`,
      `${ENVELOPE_START}<ext:cancelInvoice/><ext:cancelInvoice/>${ENVELOPE_END}`,
    ];
    for (const body of bodies) {
      const response = await post(h.emu.url, body);
      assertSoap11Fault(response, 'soap:Client');
    }
    const truncated = await post(h.emu.url, `${ENVELOPE_START}<ext:getPaymentStatus>`);
    assert.match(truncated.text, /<faultstring>malformed SOAP request: Unclosed root tag<\/faultstring>/);
    const unknownAndTruncated = await post(h.emu.url, `${ENVELOPE_START}<ext:payEverything>`);
    assert.match(unknownAndTruncated.text, /<faultstring>malformed SOAP request: Unclosed root tag<\/faultstring>/);
    // XML that is no envelope at all: CXF read the root's namespace as the SOAP version (emulator-namespaces.test.ts).
    assertSoap11Fault(await post(h.emu.url, '<order><id>1</id></order>'), 'soap:VersionMismatch');
  });

  it('turns an unexpected error inside the emulator into a SOAP 1.1 server fault', async () => {
    const emu = await startEmulator();
    try {
      // Deliberately break the domain to reach the last-resort path.
      emu.core.invoices.status = () => {
        throw new TypeError('broken on purpose');
      };
      const response = await post(
        emu.url,
        `${ENVELOPE_START}<ext:getPaymentStatus>${CONTEXT}<invoiceVersion>0</invoiceVersion></ext:getPaymentStatus>${ENVELOPE_END}`,
      );
      assertSoap11Fault(response, 'soap:Server');
      assert.doesNotMatch(response.text, /broken on purpose/);
    } finally {
      await emu.stop();
    }
  });

  it('answers other methods and paths with JSON errors', async () => {
    const get = await fetch(h.emu.url);
    assert.equal(get.status, 405);
    assert.match(((await get.json()) as Wire).error, /POST SOAP requests/);
    const missing = await fetch(`${h.emu.baseUrl}/nowhere`);
    assert.equal(missing.status, 404);
    const root = (await (await fetch(`${h.emu.baseUrl}/`)).json()) as Wire;
    assert.deepEqual(root.wsdl, SERVICE_PATHS.map((path) => `${h.emu.baseUrl}${path}?wsdl`));
  });
});

describe('SEQR emulator: failNext', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.start();
  });
  after(() => h.stop());

  it('answers the next calls with the given code and changes nothing meanwhile', async () => {
    const reference = await h.send();
    h.emu.failNext(2, 93);
    const busy = await h.status(reference);
    assert.deepEqual({ ...busy }, { resultCode: 93, resultDescription: 'SYSTEM_BUSY', version: 0 });
    const refused = await h.call('sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });
    assert.deepEqual({ ...refused }, { resultCode: 93, resultDescription: 'SYSTEM_BUSY' });
    assert.equal((await h.emu.payer.invoices()).length, 1, 'the refused sendInvoice made no invoice');
    assert.equal((await h.status(reference)).resultCode, 0);
  });

  it('rejects nonsense counts and codes', () => {
    assert.throws(() => h.emu.failNext(-1, 93), RangeError);
    assert.throws(() => h.emu.failNext(1, 0), RangeError);
    assert.throws(() => h.emu.failNext(1.5, 93), RangeError);
  });
});

describe('SEQR emulator: suspend and resume', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.stop());

  it('refuses connections and drops kept-alive ones while suspended, then comes back on the same port with its state', async () => {
    const client = await soapClient(emu.url);
    const first = await call(client, 'sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });

    const agent = new http.Agent({ keepAlive: true });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const request = http.get(`${emu.baseUrl}/payer/invoices`, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(request.socket as Socket));
      });
      request.on('error', reject);
    });
    assert.equal(socket.destroyed, false, 'kept alive');
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    const suspended = emu.suspend();
    // Refused from the moment suspend() returns, before it is awaited.
    await assert.rejects(fetch(emu.wsdlUrl), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED');
    await suspended;
    await socketClosed;
    await assert.rejects(fetch(emu.wsdlUrl), (error: Error & { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED');
    assert.equal((await emu.payer.invoices()).length, 1, 'the state stays while suspended');
    await emu.suspend(); // twice is harmless

    await emu.resume();
    await emu.resume(); // twice is harmless
    const status = await call(client, 'getPaymentStatus', { context: terminalContext(), invoiceReference: first.invoiceReference, invoiceVersion: 0 });
    assert.equal(status.status, 'ISSUED');
    agent.destroy();
  });

  it('stops cleanly even while suspended', async () => {
    const other = await startEmulator();
    await other.suspend();
    await other.stop();
    await other.stop();
    await other.resume(); // a stopped emulator stays stopped
    await assert.rejects(fetch(other.wsdlUrl));
  });
});
