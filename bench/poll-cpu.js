/*
 * CPU per getPaymentStatus call: SeqrClient against a raw keep-alive node:http POST of the same request whose
 * answer is read by a general XML parser (sax, the parser soap itself uses), measured side by side in one run
 * against the emulator in another process. Prints the ratio; the budget is 1.3.
 *
 * Rounds alternate (raw, client, raw, client, …) so that drift in machine load hits both; the result is the
 * median of the per-round figures.
 */
const http = require('node:http');
const sax = require('sax');
const { Client } = require('soap');
const { forkEmulator } = require('./emulator-child');
const { SeqrClient, buildInvoice, DEFAULT_CLIENT_ID, PUBLIC_TEST_TERMINAL } = require('../dist');
const { loadWsdl } = require('../dist/seqr/client');
const { SeqrTransport } = require('../dist/seqr/transport');
const { contextXml, statusRequest, statusRequestHead } = require('../dist/seqr/status-fast-path');

const BUDGET = 1.3;

/** One keep-alive POST of `xml`, its answer parsed into { element: text } with sax. */
function rawCall(agent, target, xml) {
  return new Promise((resolve, reject) => {
    const request = http.request({ ...target, agent, headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', 'Content-Length': Buffer.byteLength(xml) } }, (response) => {
      response.setEncoding('utf8');
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        const parser = sax.parser(true);
        const fields = {};
        let current;
        parser.onopentag = (tag) => (current = tag.name);
        parser.ontext = (text) => current && (fields[current.slice(current.indexOf(':') + 1)] = text);
        parser.onclosetag = () => (current = undefined);
        parser.write(body).close();
        resolve(fields);
      });
    });
    request.on('error', reject);
    request.end(xml);
  });
}

/** µs of this process's CPU per call over `calls` sequential calls. */
async function cpuPerCall(call, calls) {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await call();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function run({ calls = 1000, rounds = 7, log = console.log } = {}) {
  const { child, url } = await forkEmulator();
  const client = new SeqrClient({ endpoint: url, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
  const agent = new http.Agent({ keepAlive: true });
  const soapTransport = new SeqrTransport();
  try {
    const { invoiceReference } = await client.sendInvoice(buildInvoice('10.00', { currency: 'SEK', title: 'bench' }));
    // The same bytes SeqrClient sends for this call.
    const xml = requestXml(invoiceReference);
    const parsed = new URL(url);
    const target = { method: 'POST', hostname: parsed.hostname, port: parsed.port, path: parsed.pathname };
    const raw = () => rawCall(agent, target, xml);
    const viaClient = () => client.getPaymentStatus(invoiceReference, 1);
    // For comparison only: the same call through soap's own writer and reader over the same transport (what
    // SeqrClient does for the other operations), to show why getPaymentStatus bypasses them.
    const soapClient = new Client(await loadWsdl(), url, { httpClient: soapTransport });
    const args = { context: contextOf(), invoiceReference, invoiceVersion: 1 };
    const viaSoap = () => soapClient.getPaymentStatusAsync(args, { operation: 'getPaymentStatus', secrets: [] });

    const check = await raw();
    if (check.status !== 'ISSUED' || (await viaClient()).status !== 'ISSUED') throw new Error('the invoice is not ISSUED');
    // Warm both paths up (JIT, sockets) before measuring.
    await cpuPerCall(raw, 300);
    await cpuPerCall(viaClient, 300);
    await cpuPerCall(viaSoap, 300);

    const rawUs = [];
    const clientUs = [];
    const soapUs = [];
    for (let round = 0; round < rounds; round++) {
      rawUs.push(await cpuPerCall(raw, calls));
      clientUs.push(await cpuPerCall(viaClient, calls));
      soapUs.push(await cpuPerCall(viaSoap, calls));
    }
    const result = { rawUs: median(rawUs), clientUs: median(clientUs), soapUs: median(soapUs) };
    result.ratio = result.clientUs / result.rawUs;
    log(`getPaymentStatus CPU per call (median of ${rounds} rounds × ${calls} calls):`);
    log(`  raw keep-alive POST + sax:            ${result.rawUs.toFixed(1)} µs`);
    log(`  SeqrClient:                           ${result.clientUs.toFixed(1)} µs  ratio ${result.ratio.toFixed(2)}× (budget ${BUDGET}×) ${result.ratio <= BUDGET ? 'OK' : 'OVER BUDGET'}`);
    log(`  soap writer/reader, same transport:   ${result.soapUs.toFixed(1)} µs  ratio ${(result.soapUs / result.rawUs).toFixed(2)}× (not used for this call)`);
    return result;
  } finally {
    client.close();
    soapTransport.close();
    agent.destroy();
    child.disconnect();
  }
}

/** The context SeqrClient sends for the public test terminal. */
function contextOf() {
  return {
    channel: 'WS',
    clientId: DEFAULT_CLIENT_ID,
    clientRequestTimeout: 0,
    initiatorPrincipalId: { id: PUBLIC_TEST_TERMINAL.id, type: 'TERMINALID' },
    password: PUBLIC_TEST_TERMINAL.password,
  };
}

/** The request SeqrClient writes (same bytes; see src/seqr/status-fast-path.ts). */
function requestXml(invoiceReference) {
  return statusRequest(statusRequestHead(contextXml(contextOf())), invoiceReference, 1);
}


module.exports = { run, BUDGET };

if (require.main === module) {
  run().then(
    (result) => process.exit(result.ratio <= BUDGET ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
