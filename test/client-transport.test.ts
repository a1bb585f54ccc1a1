import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SeqrClient } from '../src/seqr/client';
import { SeqrTransportError, isRetryable, redact } from '../src/seqr/errors';
import { extractFault, networkErrorKind, SeqrTransport } from '../src/seqr/transport';
import { CANCEL_ANSWER, STATUS_ANSWER, loopbackClients, assertNoSecret, closeServer, envelope, failure, listen, readBody, refusedUrl, soapFault } from './helpers/loopback';
import { eventually } from './helpers/time';

/*
 * Real network conditions on loopback sockets this file controls: nothing listening, a reset, a server that
 * never answers, HTTP errors, garbage, faults, an answer cut short, a stale keep-alive socket, TLS trust.
 * Each is tried on the fast path (getPaymentStatus) and on the soap path (cancelInvoice).
 */

const PASSWORD = 'Pa55-w0rd!secret';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name));

describe('SeqrClient transport failures', () => {
  const { servers, client } = loopbackClients(PASSWORD);

  /** Both paths fail the same way: returns [fast path error, soap path error]. */
  async function bothFail(seqr: SeqrClient): Promise<SeqrTransportError[]> {
    const errors = [await failure<SeqrTransportError>(seqr.getPaymentStatus('123', 0)), await failure<SeqrTransportError>(seqr.cancelInvoice('123'))];
    for (const error of errors) {
      assert.ok(error instanceof SeqrTransportError, String(error));
      assertNoSecret(error, PASSWORD);
    }
    assert.equal(errors[0].operation, 'getPaymentStatus');
    assert.equal(errors[1].operation, 'cancelInvoice');
    return errors;
  }

  it('reports a refused connection as retryable', async () => {
    for (const error of await bothFail(client(await refusedUrl()))) {
      assert.equal(error.kind, 'refused');
      assert.equal(error.retryable, true);
      assert.equal(error.errorCode, 'ECONNREFUSED');
      assert.match(error.message, /^SEQR (getPaymentStatus|cancelInvoice): the connection was refused/);
    }
  });

  it('reports a reset connection as retryable', async () => {
    const { url } = await servers.tcp((socket) => socket.once('data', () => socket.resetAndDestroy()));
    for (const error of await bothFail(client(url))) {
      assert.equal(error.kind, 'reset');
      assert.equal(error.retryable, true);
    }
  });

  it('aborts a call that gets no answer within timeoutMs', async () => {
    // Reads the request (so it notices the close) but never answers.
    const { url, sockets } = await servers.tcp((socket) => socket.resume());
    const seqr = client(url, { timeoutMs: 150 });
    assert.equal(seqr.timeoutMs, 150);
    const started = Date.now();
    for (const error of await bothFail(seqr)) {
      assert.equal(error.kind, 'timeout');
      assert.equal(error.retryable, true);
      assert.match(error.message, /no complete answer within 150 ms/);
    }
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 3000, `two timeouts took ${elapsed} ms`);
    // The aborted requests' sockets are closed, not left to linger.
    for (let wait = 0; wait < 40 && sockets.size > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(sockets.size, 0);
  });

  it('reports an answer cut short as a reset', async () => {
    const { url } = await servers.tcp((socket) =>
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<soap:Envelope');
        setTimeout(() => socket.destroy(), 20);
      }),
    );
    for (const error of await bothFail(client(url))) {
      assert.equal(error.kind, 'reset');
      assert.equal(error.retryable, true);
    }
  });

  it('reports HTTP errors without a fault by status, retrying 5xx, 408 and 429 only', async () => {
    const cases: Array<[number, boolean]> = [[500, true], [503, true], [502, true], [429, true], [408, true], [404, false], [401, false]];
    for (const [status, retryable] of cases) {
      const { url } = await servers.http((_request, response) => {
        // A status text that repeats the password: it must not reach the error.
        response.writeHead(status, `Trouble ${PASSWORD}`, { 'Content-Type': 'text/plain' });
        response.end(`could not handle ${PASSWORD}`);
      });
      for (const error of await bothFail(client(url))) {
        assert.equal(error.kind, 'http');
        assert.equal(error.statusCode, status);
        assert.equal(error.retryable, retryable, `HTTP ${status}`);
        assert.match(error.message, new RegExp(`HTTP ${status}; Trouble \\*\\*\\*`));
      }
    }
  });

  it('reports a SOAP fault with its code and text, not retryable, without the password', async () => {
    const { url } = await servers.http(async (request, response) => {
      const body = await readBody(request);
      // A server that quotes the request in its fault, as some do.
      response.writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' });
      const quoted = body.slice(body.indexOf('<context>')).replace(/</g, '&lt;');
      response.end(soapFault('soap:Client', `Unmarshalling Error: &lt;bad&gt; in ${quoted}`));
    });
    for (const error of await bothFail(client(url))) {
      assert.equal(error.kind, 'fault');
      assert.equal(error.retryable, false);
      assert.equal(error.statusCode, 500);
      assert.equal(error.faultCode, 'soap:Client');
      assert.match(error.faultString!, /^Unmarshalling Error: <bad> in <context>/);
      assert.match(error.faultString!, /<password>\*\*\*<\/password>/);
    }
  });

  it('reports a SOAP fault inside HTTP 200 the same way', async () => {
    const { url } = await servers.http((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(soapFault('soap:Server', `no ${PASSWORD} here`));
    });
    for (const error of await bothFail(client(url))) {
      assert.equal(error.kind, 'fault');
      assert.equal(error.faultCode, 'soap:Server');
      assert.equal(error.faultString, 'no *** here');
      assert.equal(error.retryable, false);
    }
  });

  it('reads the SOAP 1.2-style fault soap\'s own server writes', () => {
    const body = envelope('<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code><soap:Reason><soap:Text>bad &amp; worse &#65;&#x42;</soap:Text></soap:Reason></soap:Fault>');
    assert.deepEqual(extractFault(body), { faultCode: 'soap:Sender', faultString: 'bad & worse AB' });
    assert.equal(extractFault(STATUS_ANSWER), undefined);
  });

  it('reports garbage, HTML and foreign XML in a 200 answer as parse errors, not retryable', async () => {
    for (const body of ['this is not xml', '<html><body>Welcome to nginx</body></html>', '<?xml version="1.0"?><feed><entry/></feed>', '']) {
      const { url } = await servers.http((_request, response) => {
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        response.end(body);
      });
      for (const error of await bothFail(client(url))) {
        assert.equal(error.kind, 'parse', `${JSON.stringify(body)}: ${error.message}`);
        assert.equal(error.retryable, false);
      }
    }
  });

  it('reports a broken envelope on the fast path as a parse error', async () => {
    const { url } = await servers.http((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(STATUS_ANSWER.slice(0, -20));
    });
    const error = await failure<SeqrTransportError>(client(url).getPaymentStatus('1', 0));
    assert.equal(error.kind, 'parse');
    assert.match(error.message, /not well-formed XML/);
  });

  it('sends SOAPAction "" and text/xml, and keeps one connection alive across calls', async () => {
    const seen: Array<{ action?: string; type?: string; port?: number }> = [];
    const { url } = await servers.http(async (request, response) => {
      const body = await readBody(request);
      seen.push({ action: request.headers.soapaction as string, type: request.headers['content-type'], port: request.socket.remotePort });
      response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      response.end(body.includes('getPaymentStatus') ? STATUS_ANSWER : CANCEL_ANSWER);
    });
    const seqr = client(url);
    await seqr.getPaymentStatus('1', 0);
    await seqr.cancelInvoice('1');
    await seqr.getPaymentStatus('1', 1);
    assert.equal(seen.length, 3);
    for (const request of seen) {
      assert.equal(request.action, '""');
      assert.equal(request.type, 'text/xml; charset=utf-8');
    }
    assert.equal(new Set(seen.map((request) => request.port)).size, 1, 'all calls on one kept-alive connection');
  });

  it('sends a request again on a fresh connection when a kept-alive socket turns out closed', async () => {
    let requests = 0;
    const { url } = await servers.http(async (request, response) => {
      await readBody(request);
      requests += 1;
      // The second request arrives on the reused socket: drop it the way a server drops an idle connection.
      if (requests === 2) {
        request.socket.destroy();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      response.end(STATUS_ANSWER);
    });
    const seqr = client(url);
    await seqr.getPaymentStatus('1', 0);
    const status = await seqr.getPaymentStatus('1', 1);
    assert.equal(status.status, 'ISSUED');
    assert.equal(requests, 3);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const answer = Buffer.from(STATUS_ANSWER.replace('SUCCESS', 'SUCCÉSS ✓ Åsa'), 'utf8');
    const { url } = await servers.http((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
      // One byte at a time splits every multi-byte character.
      let at = 0;
      const next = () => {
        if (at >= answer.length) return void response.end();
        response.write(answer.subarray(at, at + 1));
        at += 1;
        setImmediate(next);
      };
      next();
    });
    assert.equal((await client(url).getPaymentStatus('1', 0)).resultDescription, 'SUCCÉSS ✓ Åsa');
  });

  describe('at most maxSockets calls on the wire', () => {
    /** An HTTP server that holds every request until the test answers it. */
    async function holdingServer() {
      const held: http.ServerResponse[] = [];
      let seen = 0;
      const { url } = await servers.http((request, response) => {
        seen++;
        request.resume();
        held.push(response);
      });
      const answerAll = () => {
        for (const response of held.splice(0)) response.end(STATUS_ANSWER);
      };
      return { url, held, seen: () => seen, answerAll };
    }

    const until = (condition: () => boolean, what: string) => eventually(() => assert.ok(condition(), what), 5000);

    const post = (transport: SeqrTransport, url: string) =>
      new Promise<{ error: SeqrTransportError | null; status?: number }>((resolve) =>
        transport.post(url, '<x/>', 'getPaymentStatus', [PASSWORD], (error, status) => resolve({ error, status })),
      );

    it('queues the other calls and starts each as a connection frees up', async () => {
      const server = await holdingServer();
      const transport = new SeqrTransport({ maxSockets: 2, timeoutMs: 10_000 });
      try {
        const results = Array.from({ length: 6 }, () => post(transport, server.url));
        await until(() => server.held.length === 2, 'two requests on the wire');
        assert.equal(transport.queued, 4);
        // Two answers free two connections: the next two queued calls go out, no more.
        server.answerAll();
        await until(() => server.held.length === 2 && server.seen() === 4, 'the next two on the wire');
        assert.equal(transport.queued, 2);
        server.answerAll();
        await until(() => server.held.length === 2 && server.seen() === 6, 'the last two on the wire');
        assert.equal(transport.queued, 0);
        server.answerAll();
        for (const result of await Promise.all(results)) assert.deepEqual(result, { error: null, status: 200 });
      } finally {
        transport.close();
      }
    });

    it('counts a queued call\'s deadline from the call: it times out without ever being sent', async () => {
      const server = await holdingServer();
      const transport = new SeqrTransport({ maxSockets: 1, timeoutMs: 300 });
      try {
        const [first, second] = await Promise.all([post(transport, server.url), post(transport, server.url)]);
        for (const { error } of [first, second]) {
          assert.equal(error?.kind, 'timeout');
          assert.match(String(error?.message), /no complete answer within 300 ms/);
        }
        assert.equal(server.seen(), 1);
      } finally {
        transport.close();
        server.answerAll();
      }
    });

    it('fails the queued calls as closed when the client closes', async () => {
      const server = await holdingServer();
      const transport = new SeqrTransport({ maxSockets: 1, timeoutMs: 10_000 });
      const onWire = post(transport, server.url);
      const queued = [post(transport, server.url), post(transport, server.url)];
      await until(() => server.held.length === 1, 'one request on the wire');
      transport.close();
      for (const { error } of await Promise.all(queued)) {
        assert.equal(error?.kind, 'closed');
        assert.equal(error?.retryable, false);
      }
      assert.equal(transport.queued, 0);
      // The call on the wire ends as the agent closes its connection.
      assert.ok((await onWire).error instanceof SeqrTransportError);
      server.answerAll();
    });

    it('refuses a maxSockets that is not a positive whole number', () => {
      for (const maxSockets of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => new SeqrTransport({ maxSockets }), /maxSockets must be a positive whole number/);
      }
    });
  });

  it('refuses calls after close with a non-retryable error', async () => {
    const { url } = await servers.http((_request, response) => response.end(STATUS_ANSWER));
    const seqr = client(url);
    seqr.close();
    seqr.close();
    for (const error of await bothFail(seqr)) {
      assert.equal(error.kind, 'closed');
      assert.equal(error.retryable, false);
    }
    assert.throws(() => seqr.withPrincipal({ type: 'TERMINALID', id: 'x', password: 'y' }), /closed/);
  });

  describe('TLS', () => {
    let url = '';
    before(async () => {
      const server = https.createServer({ cert: fixture('loopback-cert.pem'), key: fixture('loopback-key.pem') }, (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        response.end(STATUS_ANSWER);
      });
      await listen(server);
      servers.add(() => closeServer(server));
      url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/soap`;
    });

    it('rejects a certificate nobody vouches for, not retryable', async () => {
      for (const error of await bothFail(client(url))) {
        assert.equal(error.kind, 'tls');
        assert.equal(error.retryable, false);
        assert.equal(error.errorCode, 'DEPTH_ZERO_SELF_SIGNED_CERT');
      }
    });

    it('trusts a certificate given as ca, or any with rejectUnauthorized false', async () => {
      assert.equal((await client(url, { tls: { ca: fixture('loopback-cert.pem') } }).getPaymentStatus('1', 0)).status, 'ISSUED');
      assert.equal((await client(url, { tls: { rejectUnauthorized: false } }).getPaymentStatus('1', 0)).status, 'ISSUED');
    });

    it('reports https to a plain HTTP server as a TLS failure', async () => {
      const { url: plain } = await servers.http((_request, response) => response.end('hello'));
      for (const error of await bothFail(client(plain.replace('http:', 'https:')))) {
        assert.equal(error.kind, 'tls');
        assert.equal(error.retryable, false);
      }
    });
  });
});

describe('transport error classification', () => {
  it('maps socket error codes to kinds', () => {
    assert.equal(networkErrorKind('ECONNREFUSED'), 'refused');
    assert.equal(networkErrorKind('EPIPE'), 'reset');
    assert.equal(networkErrorKind('ETIMEDOUT'), 'timeout');
    assert.equal(networkErrorKind('ENOTFOUND'), 'dns');
    assert.equal(networkErrorKind('EAI_AGAIN'), 'dns');
    assert.equal(networkErrorKind('CERT_HAS_EXPIRED'), 'tls');
    assert.equal(networkErrorKind('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls');
    assert.equal(networkErrorKind('EHOSTUNREACH'), 'network');
    assert.equal(networkErrorKind(undefined), 'network');
  });

  it('retries a temporary DNS failure but not an unknown host', () => {
    assert.equal(isRetryable('dns', { errorCode: 'EAI_AGAIN' }), true);
    assert.equal(isRetryable('dns', { errorCode: 'ENOTFOUND' }), false);
    assert.equal(new SeqrTransportError('x', 'network').retryable, true);
  });

  it('redacts password elements and secrets, and shortens long text', () => {
    assert.equal(redact('<ns:password a="1">hunter2</ns:password> and hunter2 again', ['hunter2']), '<ns:password a="1">***</ns:password> and *** again');
    assert.equal(redact('x'.repeat(500), []).length, 300);
    assert.equal(redact('keep', [undefined, '']), 'keep');
  });

  it('rejects a bad timeout and a non-http endpoint', () => {
    assert.throws(() => new SeqrTransport({ timeoutMs: 0 }), /timeoutMs must be a positive number/);
    const transport = new SeqrTransport();
    transport.post('ftp://127.0.0.1/x', '<x/>', 'getPaymentStatus', [], (error) => {
      assert.equal(error?.kind, 'network');
      assert.match(error!.message, /ftp:\/\/ is not http/);
    });
    transport.close();
  });
});
