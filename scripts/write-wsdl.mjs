// Writes SEQR's cash-register service contract (the 2013 schema plus the v2.6 additions), generated from the
// compact table below so that the field order of every type is stated once. Run `node scripts/write-wsdl.mjs`
// after changing the table; both files are committed.
//
// Two documents, laid out as SEQR's CXF server published cashregister-2 (spec §1.2): the service and its port
// are named in the implementation's namespace, the schema, messages and port type in the interface's. WSDL 1.1
// gives every component of a document its definitions' targetNamespace, so the two namespaces need two
// documents: wsdl/seqr-cashregister.wsdl (binding and service) imports wsdl/ERSWSExternalClientService.wsdl
// (types, messages, port type), the name CXF served that part under (`?wsdl=ERSWSExternalClientService.wsdl`).
// Each namespace has one prefix in both documents (ns1 the interface, tns the service), so a reader that
// resolves prefixes across an import (soap does) cannot mix them up.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NS = 'http://external.interfaces.ers.seamless.com/';
const SERVICE_NS = 'http://externalclientservice.cashregister.seamless.com/';
const INTERFACE_FILE = 'ERSWSExternalClientService.wsdl';

// Field notation: "name:type", suffix "?" optional (minOccurs 0), "*" repeated (maxOccurs unbounded),
// "~" nillable. A type "[child:type*]" is an anonymous wrapper holding one repeated child element.
// Types without a prefix are this schema's own; xs types are written plainly (string, int, long, ...).
const XS = new Set(['string', 'int', 'long', 'decimal', 'dateTime', 'base64Binary']);

const types = {
  clientContext: ['channel:string?', 'clientComment:string?', 'clientId:string?', 'clientReference:string?',
    'clientRequestTimeout:long', 'initiatorPrincipalId:principalId?', 'password:string?'],
  principalId: ['id:string?', 'type:string?', 'userId:string?'],
  amount: ['currency:string?', 'value:decimal?'],
  invoice: ['paymentMode:paymentMode?', 'acknowledgmentMode:acknowledgmentMode?', 'issueDate:dateTime?',
    'title:string?', 'clientInvoiceId:string?', 'invoiceRows:[invoiceRow:paymentInvoiceRow*]?',
    'totalAmount:amount?', 'cashierId:string?', 'footer:string?', 'backURL:string?', 'notificationUrl:string?',
    // v2.6: seconds within which a reservation must be committed
    'commitReservationTimeout:long?'],
  paymentInvoiceRow: ['itemDescription:string?', 'itemDiscount:amount?', 'itemEAN:string?', 'itemQuantity:decimal?',
    'itemSKU:string?', 'itemTaxRate:decimal?', 'itemTotalAmount:amount?', 'itemUnit:string?', 'itemUnitPrice:amount?'],
  customerToken: ['description:string?', 'id:string?', 'status:int', 'value:string?'],
  receipt: ['terminalId:string?', 'paymentDate:dateTime?', 'clientInvoiceId:string?', 'invoiceReference:string?',
    'paymentReference:string?', 'payerTerminalId:string?', 'receiverName:string?', 'invoice:invoice?'],
  receiptDocument: ['mimeType:string?', 'receiptData:base64Binary?', 'receiptType:string?'],
  parameterMap: ['parameter:mapArray?'],
  mapArray: ['entry:parameter?*'],
  parameter: ['key:string?', 'value:string?'],
  report: ['title:string?', 'mimeType:string?', 'content:base64Binary?', 'contentString:string?'],
  principal: ['principalId:principalId?', 'principalName:string?', 'accounts:[account:principalAccount*]?',
    'status:string?', 'msisdn:string?'],
  principalAccount: ['accountDescription:string?', 'accountSpecifier:principalAccountSpecifier?', 'balance:amount?',
    'creditLimit:amount?'],
  principalAccountSpecifier: ['accountId:string?', 'accountTypeId:string?'],
  purchaseOrderRow: ['productSpecifier:principalPurchaseProductSpecifier?', 'purchaseCount:int'],
  principalPurchaseProductSpecifier: ['productId:string?', 'productIdType:string?'],
};

// Response types: each extends erswsResponse with the listed fields.
const responses = {
  erswsResponse: null,
  erswsSendInvoiceResponse: ['invoiceQRCode:string?', 'invoiceReference:string?'],
  erswsPaymentStatusResponse: ['status:invoiceStatus?', 'receipt:receipt?', 'customerTokens:[token:customerToken*]?',
    'version:int'],
  erswsRegisterTerminalResponse: ['terminalId:string?'],
  erswsMarkTransactionPeriodResponse: ['transactionPeriodId:string?'],
  erswsExecuteReportResponse: ['report:report?'],
  erswsPrincipalInformationResponse: ['requestedPrincipal:principal?'],
  erswsTopupResponse: ['requestedTopupAmount:amount?', 'senderPrincipal:principal?',
    'topupAccountSpecifier:principalAccountSpecifier?', 'topupAmount:amount?', 'topupPrincipal:principal?'],
  erswsTransferResponse: ['receivedAmount:amount?', 'receiverPrincipal:principal?', 'requestedTransferAmount:amount?',
    'senderPrincipal:principal?'],
  erswsPurchaseResponse: ['paymentPrincipal:principal?', 'purchaseReference:string?',
    'purchasedProducts:principalPurchaseProductSpecifier?*~', 'receiverPrincipal:principal?'],
};

const enums = {
  paymentMode: ['IMMEDIATE_DEBIT', 'RESERVATION_DESIRED', 'RESERVATION_REQUIRED',
    'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT'],
  acknowledgmentMode: ['NO_ACKNOWLEDGMENT', 'OPTIONAL_ACKNOWLEDGMENT', 'REQUIRE_ACKNOWLEDGMENT'],
  invoiceStatus: ['ISSUED', 'PAID', 'PENDING_ISSUER_ACKNOWLEDGE', 'CANCELED', 'FAILED', 'RESERVED', 'EXPIRED'],
};

// Operations: request parameters in the order of SEQR's Java signatures, and the response type.
const ctx = 'context:clientContext?';
const operations = {
  // The twelve merchant operations.
  sendInvoice: [[ctx, 'invoice:invoice?', 'tokens:customerToken?*'], 'erswsSendInvoiceResponse'],
  updateInvoice: [[ctx, 'invoiceReference:string?', 'invoice:invoice?', 'tokens:customerToken?*'], 'erswsResponse'],
  getPaymentStatus: [[ctx, 'invoiceReference:string?', 'invoiceVersion:int'], 'erswsPaymentStatusResponse'],
  cancelInvoice: [[ctx, 'invoiceReference:string?'], 'erswsResponse'],
  commitReservation: [[ctx, 'amount:amount?', 'invoiceReference:string?'], 'erswsResponse'],
  submitPaymentReceipt: [[ctx, 'ersReference:string?', 'receiptDocument:receiptDocument?'], 'erswsResponse'],
  refundPayment: [[ctx, 'ersReference:string?', 'invoice:invoice?'], 'erswsResponse'],
  registerTerminal: [[ctx, 'externalTerminalId:string?', 'password:string?', 'name:string?'],
    'erswsRegisterTerminalResponse'],
  unregisterTerminal: [[ctx], 'erswsResponse'],
  assignSeqrId: [[ctx, 'seqrId:string?'], 'erswsResponse'],
  markTransactionPeriod: [[ctx, 'parameters:parameterMap?'], 'erswsMarkTransactionPeriodResponse'],
  executeReport: [[ctx, 'reportId:string?', 'language:string?', 'parameters:parameterMap?'],
    'erswsExecuteReportResponse'],
  // In SEQR's port type but not for merchants; kept so that any SEQR client's requests parse.
  requestPrincipalInformation: [[ctx, 'principalId:principalId?'], 'erswsPrincipalInformationResponse'],
  changePrincipalPassword: [[ctx, 'principalId:principalId?', 'newPassword:string?'], 'erswsResponse'],
  confirmCustomerRegistration: [[ctx, 'principalId:principalId?', 'secondaryPrincipalId:principalId?',
    'registrationReference:string?'], 'erswsResponse'],
  requestTopup: [[ctx, 'senderPrincipalId:principalId?', 'topupPrincipalId:principalId?',
    'senderAccountSpecifier:principalAccountSpecifier?', 'topupAccountSpecifier:principalAccountSpecifier?',
    'productId:string?', 'amount:amount?'], 'erswsTopupResponse'],
  requestTransfer: [[ctx, 'senderPrincipalId:principalId?', 'receiverPrincipalId:principalId?',
    'senderAccountSpecifier:principalAccountSpecifier?', 'receiverAccountSpecifier:principalAccountSpecifier?',
    'productId:string?', 'amount:amount?'], 'erswsTransferResponse'],
  requestPurchase: [[ctx, 'senderPrincipalId:principalId?', 'receiverPrincipalId:principalId?',
    'senderAccountSpecifier:principalAccountSpecifier?', 'receiverAccountSpecifier:principalAccountSpecifier?',
    'purchaseOrder:purchaseOrderRow?*'], 'erswsPurchaseResponse'],
  benchmarkingNop: [[], 'erswsResponse'],
};

const typeRef = (t) => (XS.has(t) ? `xs:${t}` : `ns1:${t}`);

function element(field, indent) {
  const m = /^(\w+):(\[(\w+):(\w+)\*\]|\w+)([?*~]*)$/.exec(field);
  if (!m) throw new Error(`bad field ${field}`);
  const [, name, type, wrappedName, wrappedType, flags] = m;
  let attrs = '';
  if (flags.includes('*')) attrs += ' maxOccurs="unbounded"';
  if (flags.includes('?')) attrs += ' minOccurs="0"';
  attrs += ` name="${name}"`;
  if (flags.includes('~')) attrs += ' nillable="true"';
  if (!wrappedName) return `${indent}<xs:element${attrs} type="${typeRef(type)}"/>`;
  return [
    `${indent}<xs:element${attrs}>`,
    `${indent}  <xs:complexType><xs:sequence>`,
    `${indent}    <xs:element maxOccurs="unbounded" minOccurs="0" name="${wrappedName}" type="${typeRef(wrappedType)}"/>`,
    `${indent}  </xs:sequence></xs:complexType>`,
    `${indent}</xs:element>`,
  ].join('\n');
}

function sequence(fields, indent) {
  if (fields.length === 0) return `${indent}<xs:sequence/>`;
  return [`${indent}<xs:sequence>`, ...fields.map((f) => element(f, indent + '  ')), `${indent}</xs:sequence>`].join('\n');
}

function complexType(name, fields) {
  return [`    <xs:complexType name="${name}">`, sequence(fields, '      '), '    </xs:complexType>'].join('\n');
}

const schema = [];
for (const op of Object.keys(operations)) {
  schema.push(`    <xs:element name="${op}" type="ns1:${op}"/>`);
  schema.push(`    <xs:element name="${op}Response" type="ns1:${op}Response"/>`);
}
for (const [op, [params, response]] of Object.entries(operations)) {
  schema.push(complexType(op, params));
  schema.push(complexType(`${op}Response`, [`return:${response}?`]));
}
for (const [name, fields] of Object.entries(types)) schema.push(complexType(name, fields));
schema.push(complexType('erswsResponse', ['ersReference:string?', 'resultCode:int', 'resultDescription:string?']));
for (const [name, fields] of Object.entries(responses)) {
  if (!fields) continue;
  schema.push([
    `    <xs:complexType name="${name}">`,
    '      <xs:complexContent>',
    '        <xs:extension base="ns1:erswsResponse">',
    sequence(fields, '          '),
    '        </xs:extension>',
    '      </xs:complexContent>',
    '    </xs:complexType>',
  ].join('\n'));
}
for (const [name, values] of Object.entries(enums)) {
  schema.push([
    `    <xs:simpleType name="${name}">`,
    '      <xs:restriction base="xs:string">',
    ...values.map((v) => `        <xs:enumeration value="${v}"/>`),
    '      </xs:restriction>',
    '    </xs:simpleType>',
  ].join('\n'));
}

const ops = Object.keys(operations);
const HEADER = `<?xml version="1.0" encoding="UTF-8"?>
<!-- SEQR merchant (cash-register / webshop) service, document/literal wrapped, SOAP 1.1.
     The 2013 contract plus the v2.6 additions (invoice.commitReservationTimeout, paymentMode
     RESERVATION_REQUIRED_PRELIMINARY_AMOUNT, commitReservation.amount, invoiceStatus EXPIRED).
     Generated by scripts/write-wsdl.mjs; edit the table there.`;
const PREFIXES = `xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema"`;

const interfaceWsdl = `${HEADER}
     The port type's half: imported by seqr-cashregister.wsdl. -->
<wsdl:definitions name="ERSWSExternalClientService"
    targetNamespace="${NS}"
    ${PREFIXES}
    xmlns:ns1="${NS}">
  <wsdl:types>
  <xs:schema targetNamespace="${NS}" elementFormDefault="unqualified" version="2.6">
${schema.join('\n')}
  </xs:schema>
  </wsdl:types>
${ops.map((op) => `  <wsdl:message name="${op}"><wsdl:part name="parameters" element="ns1:${op}"/></wsdl:message>
  <wsdl:message name="${op}Response"><wsdl:part name="parameters" element="ns1:${op}Response"/></wsdl:message>`).join('\n')}
  <wsdl:portType name="ERSWSExternalClientService">
${ops.map((op) => `    <wsdl:operation name="${op}">
      <wsdl:input name="${op}" message="ns1:${op}"/>
      <wsdl:output name="${op}Response" message="ns1:${op}Response"/>
    </wsdl:operation>`).join('\n')}
  </wsdl:portType>
</wsdl:definitions>
`;

const serviceWsdl = `${HEADER}
     The service's half: binding, service and port, in the namespace the live service named them in;
     the schema, messages and port type are in ${INTERFACE_FILE}. -->
<wsdl:definitions name="ERSWSExternalClientServiceImplService"
    targetNamespace="${SERVICE_NS}"
    ${PREFIXES}
    xmlns:tns="${SERVICE_NS}"
    xmlns:ns1="${NS}">
  <wsdl:import namespace="${NS}" location="${INTERFACE_FILE}"/>
  <wsdl:binding name="ERSWSExternalClientServiceImplServiceSoapBinding" type="ns1:ERSWSExternalClientService">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
${ops.map((op) => `    <wsdl:operation name="${op}">
      <soap:operation soapAction="" style="document"/>
      <wsdl:input name="${op}"><soap:body use="literal"/></wsdl:input>
      <wsdl:output name="${op}Response"><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>`).join('\n')}
  </wsdl:binding>
  <wsdl:service name="ERSWSExternalClientServiceImplService">
    <wsdl:port name="ERSWSExternalClientServiceImplPort" binding="tns:ERSWSExternalClientServiceImplServiceSoapBinding">
      <soap:address location="http://127.0.0.1:8090/soap/merchant/cashregister-2"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;

const write = (file, text) => writeFileSync(fileURLToPath(new URL(`../wsdl/${file}`, import.meta.url)), text);
write(INTERFACE_FILE, interfaceWsdl);
write('seqr-cashregister.wsdl', serviceWsdl);
