import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startEmulator, type EmulatorHandle } from '../src/emulator';
import { SEQR_NAMESPACE, SERVICE_PATHS } from '../src/seqr/types';
import { PORT_NAME, SERVICE_NAME, SERVICE_NAMESPACE, WSDL_PATH } from '../src/seqr/wsdl';
import { post } from './helpers/emulator';

/*
 * SEQR's CXF server refused requests whose namespaces were wrong (spec §1.2) and published its service and port
 * under the implementation's namespace. Everything here is read with sax in its own xmlns mode, a namespace
 * resolution independent of the emulator's (which keeps its own scope for speed).
 */

// sax ships no types; this test reads namespaces with its xmlns option.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sax = require('sax') as {
  parser(strict: true, options: { xmlns: true }): {
    onopentag: (tag: { local: string; uri: string; attributes: Record<string, { value: string }> }) => void;
    onclosetag: () => void;
    ontext: (text: string) => void;
    onerror: (error: Error) => void;
    write(xml: string): { close(): void };
  };
};

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

interface Element {
  uri: string;
  local: string;
  attributes: Record<string, string>;
  /** Namespace bindings in scope, to resolve QName-valued attributes (binding="tns:…"). */
  scope: Record<string, string>;
  children: Element[];
  text: string;
}

/** A whole document as a tree, namespaces resolved by sax. */
function parseXml(xml: string): Element {
  const parser = sax.parser(true, { xmlns: true });
  const root: Element = { uri: '', local: '', attributes: {}, scope: {}, children: [], text: '' };
  const stack: Element[] = [root];
  parser.onopentag = (tag) => {
    const parent = stack[stack.length - 1];
    const scope = { ...parent.scope };
    const attributes: Record<string, string> = {};
    for (const [name, attribute] of Object.entries(tag.attributes)) {
      attributes[name] = attribute.value;
      if (name === 'xmlns') scope[''] = attribute.value;
      else if (name.startsWith('xmlns:')) scope[name.slice(6)] = attribute.value;
    }
    const element: Element = { uri: tag.uri, local: tag.local, attributes, scope, children: [], text: '' };
    parent.children.push(element);
    stack.push(element);
  };
  parser.onclosetag = () => void stack.pop();
  parser.ontext = (text) => {
    stack[stack.length - 1].text += text;
  };
  parser.onerror = (error) => {
    throw error;
  };
  parser.write(xml).close();
  assert.equal(root.children.length, 1, 'one root element');
  return root.children[0];
}

function child(element: Element, uri: string, local: string): Element | undefined {
  return element.children.find((c) => c.uri === uri && c.local === local);
}

/** A QName-valued attribute as {namespace}local. */
function qnameValue(element: Element, attribute: string): string {
  const value = element.attributes[attribute];
  const colon = value.indexOf(':');
  const namespace = element.scope[colon < 0 ? '' : value.slice(0, colon)];
  return `{${namespace}}${colon < 0 ? value : value.slice(colon + 1)}`;
}

/** A SOAP 1.1 fault's parts, read as XML (the emulator escapes text its own way). */
function readFault(text: string): { envelope: string; faultcode: string; faultstring: string } {
  const envelope = parseXml(text);
  const fault = child(child(envelope, envelope.uri, 'Body')!, envelope.uri, 'Fault');
  assert.ok(fault, `a SOAP Fault: ${text}`);
  // SOAP 1.1 fault children are unqualified.
  const faultcode = child(fault, '', 'faultcode')!;
  const [prefix, code] = faultcode.text.split(':');
  assert.equal(faultcode.scope[prefix], SOAP11, 'faultcode in the SOAP 1.1 envelope namespace');
  return { envelope: envelope.uri, faultcode: `soap:${code}`, faultstring: child(fault, '', 'faultstring')!.text };
}

const CONTEXT =
  '<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>public_test_shop_terminal</id>' +
  '<type>TERMINALID</type></initiatorPrincipalId><password>12345678</password></context>';
const INVOICE =
  '<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>' +
  '<title>Namespaces</title><totalAmount><currency>SEK</currency><value>10.00</value></totalAmount></invoice>';

function envelope(body: string, envelopeNamespace = SOAP11): string {
  return (
    `<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="${envelopeNamespace}" xmlns:ext="${SEQR_NAMESPACE}">` +
    `<env:Header/><env:Body>${body}</env:Body></env:Envelope>`
  );
}

/** JAXB's list of the elements a type has, as CXF's "Unmarshalling Error" names them. */
const expected = (...names: string[]) => names.map((name) => `<{}${name}>`).join(',');
const SEND_INVOICE_CHILDREN = expected('context', 'invoice', 'tokens');
const CONTEXT_CHILDREN = expected('channel', 'clientComment', 'clientId', 'clientReference', 'clientRequestTimeout', 'initiatorPrincipalId', 'password');
const unexpected = (uri: string, local: string, list: string) =>
  `Unmarshalling Error: unexpected element (uri:"${uri}", local:"${local}"). Expected elements are ${list} `;

const REFUSALS: Array<{ form: string; body: string; headers?: Record<string, string>; faultcode: string; faultstring: string }> = [
  {
    form: 'a default xmlns on the wrapper (its children then in the service namespace)',
    body: envelope(`<sendInvoice xmlns="${SEQR_NAMESPACE}">${CONTEXT}${INVOICE}</sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: unexpected(SEQR_NAMESPACE, 'context', SEND_INVOICE_CHILDREN),
  },
  {
    form: 'a wrapper in no namespace',
    body: envelope(`<sendInvoice>${CONTEXT}${INVOICE}</sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: `Unexpected wrapper element sendInvoice found.   Expected {${SEQR_NAMESPACE}}sendInvoice.`,
  },
  {
    form: 'a wrapper in a foreign namespace (the service namespace without its trailing slash)',
    body: envelope(`<x:sendInvoice xmlns:x="http://external.interfaces.ers.seamless.com">${CONTEXT}${INVOICE}</x:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: `Unexpected wrapper element {http://external.interfaces.ers.seamless.com}sendInvoice found.   Expected {${SEQR_NAMESPACE}}sendInvoice.`,
  },
  {
    form: 'a wrapper in the namespace the service and port are named in',
    body: envelope(`<x:sendInvoice xmlns:x="${SERVICE_NAMESPACE}">${CONTEXT}${INVOICE}</x:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: `Unexpected wrapper element {${SERVICE_NAMESPACE}}sendInvoice found.   Expected {${SEQR_NAMESPACE}}sendInvoice.`,
  },
  {
    form: 'a foreign wrapper that is no operation',
    body: envelope(`<x:payEverything xmlns:x="urn:example:shop">${CONTEXT}</x:payEverything>`),
    faultcode: 'soap:Client',
    faultstring: 'Message part {urn:example:shop}payEverything was not recognized.  (Does it exist in service WSDL?)',
  },
  {
    form: 'qualified children',
    body: envelope(`<ext:sendInvoice>${CONTEXT.replace(/<(\/?)/g, '<$1ext:')}${INVOICE}</ext:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: unexpected(SEQR_NAMESPACE, 'context', SEND_INVOICE_CHILDREN),
  },
  {
    form: 'a qualified child after unqualified ones',
    body: envelope(`<ext:sendInvoice>${CONTEXT}<ext:invoice/></ext:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: unexpected(SEQR_NAMESPACE, 'invoice', SEND_INVOICE_CHILDREN),
  },
  {
    form: 'a qualified element deeper down',
    body: envelope(`<ext:sendInvoice>${CONTEXT.replace('<password>12345678</password>', '<ext:password>12345678</ext:password>')}${INVOICE}</ext:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: unexpected(SEQR_NAMESPACE, 'password', CONTEXT_CHILDREN),
  },
  {
    form: 'a default xmlns on a child',
    body: envelope(`<ext:sendInvoice>${CONTEXT}${INVOICE.replace('<totalAmount>', `<totalAmount xmlns="urn:example:money">`)}</ext:sendInvoice>`),
    faultcode: 'soap:Client',
    faultstring: unexpected('urn:example:money', 'totalAmount', expected(
      'paymentMode', 'acknowledgmentMode', 'issueDate', 'title', 'clientInvoiceId', 'invoiceRows', 'totalAmount', 'cashierId',
      'footer', 'backURL', 'notificationUrl', 'commitReservationTimeout',
    )),
  },
  {
    form: 'a SOAP 1.2 envelope',
    body: envelope(`<ext:sendInvoice>${CONTEXT}${INVOICE}</ext:sendInvoice>`, SOAP12),
    headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
    faultcode: 'soap:VersionMismatch',
    faultstring: 'A SOAP 1.2 message is not valid when sent to a SOAP 1.1 only endpoint.',
  },
  {
    form: 'a SOAP 1.2 envelope whose contents are wrong too (the version is checked first)',
    body: envelope(`<sendInvoice xmlns="${SEQR_NAMESPACE}">${CONTEXT}${INVOICE}</sendInvoice>`, SOAP12),
    faultcode: 'soap:VersionMismatch',
    faultstring: 'A SOAP 1.2 message is not valid when sent to a SOAP 1.1 only endpoint.',
  },
  {
    form: 'an Envelope in no namespace',
    body: `<Envelope><Body><sendInvoice xmlns="${SEQR_NAMESPACE}"/></Body></Envelope>`,
    faultcode: 'soap:VersionMismatch',
    faultstring: 'No namespace on "Envelope" element.',
  },
  {
    form: 'an Envelope in a namespace that is no SOAP version',
    body: envelope(`<ext:sendInvoice>${CONTEXT}${INVOICE}</ext:sendInvoice>`, 'http://schemas.xmlsoap.org/soap/envelope'),
    faultcode: 'soap:VersionMismatch',
    faultstring: '"http://schemas.xmlsoap.org/soap/envelope", the namespace on the "Envelope" element, is not a valid SOAP version.',
  },
];

describe('SEQR emulator: refuses what SEQR\'s CXF server refused (namespaces, SOAP version)', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.stop());

  it('answers well-formed requests: a prefixed wrapper, unqualified children, whatever the prefixes and Header', async () => {
    const sent = await post(emu.url, envelope(`<ext:sendInvoice>${CONTEXT}${INVOICE}</ext:sendInvoice>`));
    assert.equal(sent.status, 200, sent.text);
    const response = child(child(parseXml(sent.text), SOAP11, 'Body')!, SEQR_NAMESPACE, 'sendInvoiceResponse');
    assert.ok(response, 'sendInvoiceResponse in the service namespace');
    const answer = child(response, '', 'return')!;
    assert.equal(child(answer, '', 'resultCode')!.text, '0');
    const reference = child(answer, '', 'invoiceReference')!.text;

    // The same request in other spellings of the same names: a default namespace on the wrapper undone on its
    // children, another prefix, the children's namespace reset explicitly.
    const spellings = [
      `<getPaymentStatus xmlns="${SEQR_NAMESPACE}"><invoiceReference xmlns="">${reference}</invoiceReference>` +
        `<invoiceVersion xmlns="">0</invoiceVersion>${CONTEXT.replace('<context>', '<context xmlns="">')}</getPaymentStatus>`,
      `<s:getPaymentStatus xmlns:s="${SEQR_NAMESPACE}">${CONTEXT}<invoiceReference>${reference}</invoiceReference>` +
        '<invoiceVersion>0</invoiceVersion></s:getPaymentStatus>',
    ];
    for (const body of spellings) {
      const status = await post(`${emu.baseUrl}/extclientproxy/service/v2`, envelope(body));
      assert.equal(status.status, 200, status.text);
      assert.match(status.text, /<status>ISSUED<\/status>/);
    }
  });

  for (const refusal of REFUSALS) {
    it(`answers ${refusal.form} with a SOAP 1.1 ${refusal.faultcode} fault (HTTP 500) and changes nothing`, async () => {
      const before = (await emu.payer.invoices()).length;
      for (const url of [emu.url, `${emu.baseUrl}/extclientproxy/service/v2`]) {
        const response = await post(url, refusal.body, refusal.headers);
        assert.equal(response.status, 500, response.text);
        assert.equal(response.contentType, 'text/xml; charset=utf-8');
        const fault = readFault(response.text);
        assert.equal(fault.envelope, SOAP11);
        assert.equal(fault.faultcode, refusal.faultcode);
        assert.equal(fault.faultstring, refusal.faultstring);
      }
      assert.equal((await emu.payer.invoices()).length, before, 'no invoice from a refused request');
    });
  }

  it('still answers in-band 91 for an element of the service namespace that is no operation', async () => {
    const response = await post(emu.url, envelope(`<ext:payEverything>${CONTEXT}</ext:payEverything>`));
    assert.equal(response.status, 200);
    const answer = child(child(child(parseXml(response.text), SOAP11, 'Body')!, SEQR_NAMESPACE, 'payEverythingResponse')!, '', 'return')!;
    assert.equal(child(answer, '', 'resultCode')!.text, '91');
  });

  it('refuses an unbound prefix and a second root element as malformed', async () => {
    for (const [body, faultstring] of [
      [envelope(`<ext:sendInvoice>${CONTEXT}<p:invoice/></ext:sendInvoice>`), 'malformed SOAP request: Unbound namespace prefix: "p"'],
      [`${envelope(`<ext:cancelInvoice>${CONTEXT}</ext:cancelInvoice>`)}<env:Envelope xmlns:env="${SOAP11}"/>`, 'malformed SOAP request: more than one root element'],
    ]) {
      const response = await post(emu.url, body);
      assert.equal(response.status, 500);
      assert.deepEqual(readFault(response.text), { envelope: SOAP11, faultcode: 'soap:Client', faultstring });
    }
  });
});

/** What a WSDL document says about names: its target namespace, services, bindings, port types and imports. */
function readWsdl(xml: string) {
  const definitions = parseXml(xml);
  assert.equal(`{${definitions.uri}}${definitions.local}`, `{${WSDL_NS}}definitions`);
  const tns = definitions.attributes.targetNamespace;
  const all = (local: string) => definitions.children.filter((c) => c.uri === WSDL_NS && c.local === local);
  return {
    targetNamespace: tns,
    imports: all('import').map((i) => ({ namespace: i.attributes.namespace, location: i.attributes.location })),
    services: all('service').map((service) => ({
      qname: `{${tns}}${service.attributes.name}`,
      ports: service.children
        .filter((c) => c.uri === WSDL_NS && c.local === 'port')
        .map((port) => ({ qname: `{${tns}}${port.attributes.name}`, binding: qnameValue(port, 'binding') })),
    })),
    bindings: all('binding').map((binding) => ({ qname: `{${tns}}${binding.attributes.name}`, portType: qnameValue(binding, 'type') })),
    portTypes: all('portType').map((portType) => `{${tns}}${portType.attributes.name}`),
    schemaNamespaces: all('types').flatMap((types) =>
      types.children.filter((c) => c.uri === XSD_NS && c.local === 'schema').map((schema) => schema.attributes.targetNamespace),
    ),
  };
}

const SERVICE_QNAME = `{${SERVICE_NAMESPACE}}${SERVICE_NAME}`;
const PORT_QNAME = `{${SERVICE_NAMESPACE}}${PORT_NAME}`;
const BINDING_QNAME = `{${SERVICE_NAMESPACE}}ERSWSExternalClientServiceImplServiceSoapBinding`;
const PORT_TYPE_QNAME = `{${SEQR_NAMESPACE}}ERSWSExternalClientService`;

/** The service document names the service and port in the implementation's namespace and imports the rest. */
function assertServiceDocument(wsdl: ReturnType<typeof readWsdl>): string {
  assert.equal(SERVICE_NAMESPACE, 'http://externalclientservice.cashregister.seamless.com/');
  assert.equal(wsdl.targetNamespace, SERVICE_NAMESPACE);
  assert.deepEqual(wsdl.services, [{ qname: SERVICE_QNAME, ports: [{ qname: PORT_QNAME, binding: BINDING_QNAME }] }]);
  assert.deepEqual(wsdl.bindings, [{ qname: BINDING_QNAME, portType: PORT_TYPE_QNAME }]);
  assert.deepEqual(wsdl.portTypes, []);
  assert.equal(wsdl.imports.length, 1);
  assert.equal(wsdl.imports[0].namespace, SEQR_NAMESPACE);
  return wsdl.imports[0].location;
}

/** The imported document holds the port type and the schema, both in the namespace of every element on the wire. */
function assertInterfaceDocument(wsdl: ReturnType<typeof readWsdl>): void {
  assert.equal(wsdl.targetNamespace, SEQR_NAMESPACE);
  assert.deepEqual(wsdl.portTypes, [PORT_TYPE_QNAME]);
  assert.deepEqual(wsdl.schemaNamespaces, [SEQR_NAMESPACE]);
  assert.deepEqual(wsdl.services, []);
}

describe('SEQR emulator: the WSDL names the service and port as cashregister-2 published them', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.stop());

  it('in the ?wsdl of both service paths, with the port type and schema in the imported document', async () => {
    for (const servicePath of SERVICE_PATHS) {
      const served = readWsdl(await (await fetch(`${emu.baseUrl}${servicePath}?wsdl`)).text());
      const location = assertServiceDocument(served);
      assert.equal(location, `${emu.baseUrl}${servicePath}?wsdl=ERSWSExternalClientService.wsdl`);
      assertInterfaceDocument(readWsdl(await (await fetch(location)).text()));
    }
  });

  it('in the bundled WSDL the client works from', () => {
    const location = assertServiceDocument(readWsdl(fs.readFileSync(WSDL_PATH, 'utf8')));
    assertInterfaceDocument(readWsdl(fs.readFileSync(path.join(path.dirname(WSDL_PATH), location), 'utf8')));
  });
});

// suds (Debian's python3-suds), an independent SOAP client: it finds the service and port by their QNames in the
// served WSDL, follows the import, and its requests pass the emulator's checks.
const PYTHON = '/usr/bin/python3';
const SUDS_SCRIPT = `
import json, sys
from suds.client import Client
url, service_ns, service_name, port_name, seqr_ns = sys.argv[1:6]
client = Client(url, cache=None)
service = [s for s in client.wsdl.services if s.qname == (service_name, service_ns)]
assert len(service) == 1, 'no service %s in %s' % (service_name, [s.qname for s in client.wsdl.services])
port = [p for p in service[0].ports if p.qname == (port_name, service_ns)]
assert len(port) == 1, 'no port %s in %s' % (port_name, [p.qname for p in service[0].ports])
client.set_options(service=service[0].name, port=port[0].name)
calls = client.service
context = client.factory.create('{%s}clientContext' % seqr_ns)
context.clientRequestTimeout = 0
principal = client.factory.create('{%s}principalId' % seqr_ns)
principal.id = 'public_test_shop_terminal'
principal.type = 'TERMINALID'
context.initiatorPrincipalId = principal
context.password = '12345678'
invoice = client.factory.create('{%s}invoice' % seqr_ns)
invoice.paymentMode = 'IMMEDIATE_DEBIT'
invoice.acknowledgmentMode = 'NO_ACKNOWLEDGMENT'
invoice.title = 'suds'
amount = client.factory.create('{%s}amount' % seqr_ns)
amount.currency = 'SEK'
amount.value = '12.50'
invoice.totalAmount = amount
sent = calls.sendInvoice(context, invoice)
status = calls.getPaymentStatus(context, sent.invoiceReference, 0)
print(json.dumps({'service': list(service[0].qname), 'port': list(port[0].qname),
                  'sent': sent.resultCode, 'reference': sent.invoiceReference, 'status': status.status}))
`;

function hasSuds(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import suds'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('SEQR emulator: suds looks the service and port up by QName', () => {
  let emu: EmulatorHandle;
  before(async function () {
    if (!hasSuds()) this.skip(); // `apt-get install -y python3-suds` (.ci/run installs it)
    emu = await startEmulator();
  });
  after(() => emu?.stop());

  it('on both service paths, and sends an invoice and reads its status through that port', async () => {
    for (const servicePath of SERVICE_PATHS) {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(
          PYTHON,
          ['-c', SUDS_SCRIPT, `${emu.baseUrl}${servicePath}?wsdl`, SERVICE_NAMESPACE, SERVICE_NAME, PORT_NAME, SEQR_NAMESPACE],
          { timeout: 15000 },
          (error, stdout, stderr) => (error ? reject(new Error(`suds failed: ${stderr || error.message}`)) : resolve(stdout)),
        );
      });
      const result = JSON.parse(output) as { service: string[]; port: string[]; sent: number; reference: string; status: string };
      assert.deepEqual(result.service, [SERVICE_NAME, SERVICE_NAMESPACE]);
      assert.deepEqual(result.port, [PORT_NAME, SERVICE_NAMESPACE]);
      assert.equal(result.sent, 0);
      assert.equal(result.status, 'ISSUED');
      const made = (await emu.payer.invoices()).find((invoice) => invoice.invoiceReference === result.reference);
      assert.deepEqual([made?.amount, made?.title], ['12.50', 'suds']);
    }
  });
});
