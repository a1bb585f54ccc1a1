import assert from 'node:assert/strict';
import * as http from 'node:http';
import { SeqrTransportError } from '../src/seqr/errors';
import { DEFAULT_MAX_ANSWER_BYTES, SeqrTransport } from '../src/seqr/transport';
import { PaymentWatcher, type PaymentPaid, type PaymentRetrying } from '../src/watcher';
import { PUBLIC_TEST_TERMINAL } from '../src/seqr/types';
import { CANCEL_ANSWER, STATUS_ANSWER, Servers, loopbackClients, assertNoSecret, failure } from './helpers/loopback';
import { invoice, startRig, type Rig } from './helpers/seqr';
import { eventually, pause } from './helpers/time';

/*
 * Answers too large for memory, from real loopback servers: an endless 200 answer without Content-Length, a
 * huge Content-Length, answers of exactly the limit and one byte over, an endless answer trickling in (the
 * deadline still ends it), and a payment watcher that keeps polling through an endless answer and recovers
 * when the endpoint behaves again. Each is tried on the fast path (getPaymentStatus) and the soap path
 * (cancelInvoice, sendInvoice).
 */

const PASSWORD = 'Lim1t-s3cret';

/** Writes `chunk` as fast as the client reads it until the client goes away; counts the bytes written. */
function streamForever(response: http.ServerResponse, chunk: Buffer, written: { bytes: number }): void {
  const pump = () => {
    while (!response.destroyed) {
      written.bytes += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** The answer padded with trailing whitespace (allowed after the root element) to exactly `bytes` bytes. */
function padded(answer: string, bytes: number): string {
  const length = Buffer.byteLength(answer);
  assert.ok(bytes >= length, 'the padded size holds the answer');
  return answer + ' '.repeat(bytes - length);
}

describe('SeqrClient answer size limit', () => {
  const { servers, client } = loopbackClients(PASSWORD);

  function assertTooLarge(error: unknown, operation: string): void {
    assert.ok(error instanceof SeqrTransportError, String(error));
    assert.equal(error.kind, 'too-large', error.message);
    assert.equal(error.retryable, true);
    assert.equal(error.operation, operation);
    assert.match(error.message, new RegExp(`^SEQR ${operation}: the answer was larger than allowed \\(`));
    assertNoSecret(error, PASSWORD);
  }

  it('has a default of 4 MiB, configurable per client, and refuses a limit that is not a whole positive number', () => {
    assert.equal(DEFAULT_MAX_ANSWER_BYTES, 4 * 1024 * 1024);
    assert.equal(client('http://127.0.0.1:1/soap').maxAnswerBytes, DEFAULT_MAX_ANSWER_BYTES);
    assert.equal(client('http://127.0.0.1:1/soap', { maxAnswerBytes: 1000 }).maxAnswerBytes, 1000);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 40]) {
      assert.throws(() => new SeqrTransport({ maxAnswerBytes: bad }), /maxAnswerBytes must be a whole number of bytes/);
    }
  });

  it('aborts an endless 200 answer without Content-Length at the limit, on both paths, with memory bounded', async () => {
    const written = { bytes: 0 };
    const open = new Set<http.ServerResponse>();
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      open.add(response);
      response.on('close', () => open.delete(response));
      streamForever(response, Buffer.alloc(64 * 1024, '<a>x</a>'), written);
    });
    // The default limit, ten calls at once as ten watches would make them.
    const seqr = client(url, { timeoutMs: 20_000 });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    const errors = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => failure(seqr.getPaymentStatus(String(i), 0))),
      ...Array.from({ length: 5 }, (_, i) => failure(seqr.cancelInvoice(String(i)))),
    ]);
    clearInterval(sampler);
    errors.slice(0, 5).forEach((error) => assertTooLarge(error, 'getPaymentStatus'));
    errors.slice(5).forEach((error) => assertTooLarge(error, 'cancelInvoice'));
    for (const error of errors) {
      assert.match((error as Error).message, /(more than 4194304 bytes arrived|the answers in flight came to more than 16777216 bytes together); maxAnswerBytes is 4194304/);
    }
    assert.ok(Date.now() - started < 10_000, 'aborted at the limit, long before the deadline');
    // Ten calls hold at most 16 MiB of answer together (and copies as they end); the bound leaves room for the
    // runtime, never for an endless answer.
    const grownMb = (rssPeak - rssBefore) / 2 ** 20;
    assert.ok(grownMb < 120, `RSS grew by ${grownMb.toFixed(0)} MB`);
    // The client dropped every connection: the server's streams end.
    await eventually(() => assert.equal(open.size, 0, 'every endless answer was cut off by the client'));
    const bytesAtEnd = written.bytes;
    await pause(100);
    assert.equal(written.bytes, bytesAtEnd, 'nothing is streamed any more');
  });

  it('holds at most four answer limits over all calls at once, but leaves every connection room for a small answer', () => {
    const budget = (options: ConstructorParameters<typeof SeqrTransport>[0]) => {
      const transport = new SeqrTransport(options);
      transport.close();
      return transport.maxAnswerBytesInFlight;
    };
    assert.equal(budget({}), 16 * 2 ** 20, 'four times 4 MiB');
    assert.equal(budget({ maxAnswerBytes: 16 * 1024 }), 64 * 16 * 1024, '64 connections × 16 KiB');
    assert.equal(budget({ maxAnswerBytes: 2 ** 20, maxSockets: 500 }), 500 * 64 * 1024, '500 × 64 KiB');
  });

  it('holds at most maxAnswerBytesInFlight over all calls at once, however many connections stream', async () => {
    // 16 KiB every 5 ms on each connection: ten calls are receiving at the same time.
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      const timer = setInterval(() => response.write(Buffer.alloc(16 * 1024, 'y')), 5);
      response.on('close', () => clearInterval(timer));
    });
    const limit = 256 * 1024;
    // 10 connections (20 calls): the budget is four limits (1 MiB), more than 10 × 64 KiB.
    const transport = new SeqrTransport({ maxAnswerBytes: limit, timeoutMs: 10_000, maxSockets: 10 });
    assert.equal(transport.maxAnswerBytesInFlight, 4 * limit);
    let mostHeld = 0;
    const calls = Array.from({ length: 20 }, () =>
      new Promise<SeqrTransportError | null>((resolve) =>
        transport.post(url, '<x/>', 'getPaymentStatus', [PASSWORD], (error) => {
          mostHeld = Math.max(mostHeld, transport.answerBytesReceiving);
          resolve(error);
        }),
      ),
    );
    // Sampled at each call's end (when the most is held) and every millisecond.
    const sampler = setInterval(() => (mostHeld = Math.max(mostHeld, transport.answerBytesReceiving)), 1);
    const errors = await Promise.all(calls);
    clearInterval(sampler);
    transport.close();
    for (const error of errors) assertTooLarge(error, 'getPaymentStatus');
    assert.ok(mostHeld <= 4 * limit, `held ${mostHeld} bytes at once`);
    assert.ok(
      errors.some((error) => /the answers in flight came to more than 1048576 bytes together/.test(error!.message)),
      'with ten connections streaming, the budget over all calls ended some of them',
    );
    assert.equal(transport.answerBytesReceiving, 0, 'every call gave its share back');
  });

  it('fails at once when Content-Length announces more than the limit, before reading the body', async () => {
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': String(200 * 2 ** 20) });
      response.write('<soap:Envelope'); // and then nothing: the client must not wait for the rest
    });
    const seqr = client(url, { timeoutMs: 5000 });
    const started = Date.now();
    const errors = [
      await failure(seqr.getPaymentStatus('1', 0)),
      await failure(seqr.cancelInvoice('1')),
      await failure(seqr.sendInvoice(invoice())),
    ];
    assert.ok(Date.now() - started < 2000, 'no waiting for the announced body or the deadline');
    assertTooLarge(errors[0], 'getPaymentStatus');
    assertTooLarge(errors[1], 'cancelInvoice');
    assertTooLarge(errors[2], 'sendInvoice');
    assert.match((errors[0] as Error).message, /announced 209715200 bytes; maxAnswerBytes is/);
  });

  for (const framing of ['with Content-Length', 'chunked'] as const) {
    it(`accepts an answer of exactly the limit and refuses one byte more (${framing})`, async () => {
      const limit = 8 * 1024;
      let size = limit;
      const { url } = await servers.http((request, response) => {
        request.resume();
        const body = padded(request.url?.includes('cancel') ? CANCEL_ANSWER : STATUS_ANSWER, size);
        if (framing === 'chunked') {
          response.writeHead(200, { 'Content-Type': 'text/xml' });
          // In pieces, so that the count runs over several chunks.
          for (let at = 0; at < body.length; at += 1000) response.write(body.slice(at, at + 1000));
          response.end();
        } else {
          response.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': String(Buffer.byteLength(body)) });
          response.end(body);
        }
      });
      const seqr = client(url, { maxAnswerBytes: limit });
      const cancelling = client(url.replace('/soap', '/soap/cancel'), { maxAnswerBytes: limit });
      assert.equal((await seqr.getPaymentStatus('1', 0)).status, 'ISSUED');
      assert.equal((await cancelling.cancelInvoice('1')).resultCode, 0);
      size = limit + 1;
      assertTooLarge(await failure(seqr.getPaymentStatus('1', 0)), 'getPaymentStatus');
      assertTooLarge(await failure(cancelling.cancelInvoice('1')), 'cancelInvoice');
      // The same connection pool works on: the next right-sized answer is read.
      size = limit;
      assert.equal((await seqr.getPaymentStatus('1', 0)).status, 'ISSUED');
    });
  }

  it('counts an error answer (HTTP 500) against the limit too', async () => {
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.writeHead(500, 'Server Error', { 'Content-Type': 'text/html' });
      streamForever(response, Buffer.alloc(16 * 1024, 'error '), { bytes: 0 });
    });
    assertTooLarge(await failure(client(url, { maxAnswerBytes: 100_000 }).getPaymentStatus('1', 0)), 'getPaymentStatus');
  });

  it('ends an endless answer that trickles in under the limit at the deadline', async () => {
    const open = new Set<http.ServerResponse>();
    const timers = new Set<NodeJS.Timeout>();
    servers.add(async () => timers.forEach(clearInterval));
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.writeHead(200, { 'Content-Type': 'text/xml' });
      open.add(response);
      const timer = setInterval(() => response.write('<a>slow</a>'), 10);
      timers.add(timer);
      response.on('close', () => {
        clearInterval(timer);
        open.delete(response);
      });
    });
    const seqr = client(url, { timeoutMs: 400 });
    const started = Date.now();
    const errors = [await failure<SeqrTransportError>(seqr.getPaymentStatus('1', 0)), await failure<SeqrTransportError>(seqr.cancelInvoice('1'))];
    const elapsed = Date.now() - started;
    for (const error of errors) {
      assert.ok(error instanceof SeqrTransportError, String(error));
      assert.equal(error.kind, 'timeout', error.message);
      assert.equal(error.retryable, true);
      assertNoSecret(error, PASSWORD);
    }
    // Timers may fire a millisecond early by the wall clock; the upper bound leaves room for a busy machine.
    assert.ok(elapsed >= 790 && elapsed < 6000, `two deadlines of 400 ms took ${elapsed} ms`);
    await eventually(() => assert.equal(open.size, 0, 'the client dropped the trickling connections'));
  });
});

describe('SeqrTransport callbacks', () => {
  const servers = new Servers();
  after(() => servers.stopAll());

  it('keeps an exception thrown by the caller\'s callback inside the transport (a process warning, no uncaught exception)', async () => {
    const { url } = await servers.http((request, response) => {
      request.resume();
      response.end(STATUS_ANSWER);
    });
    const transport = new SeqrTransport();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      for (const answerUrl of [url, 'http://127.0.0.1:1/soap']) {
        transport.post(answerUrl, '<x/>', 'getPaymentStatus', [PASSWORD], () => {
          throw new Error(`the caller broke with ${PASSWORD}`);
        });
      }
      await eventually(() => assert.equal(warnings.length, 2, 'both callbacks threw into a warning'));
    } finally {
      process.off('warning', onWarning);
      transport.close();
    }
    for (const warning of warnings) {
      assert.equal(warning.name, 'SeqrTransportWarning');
      assert.match(warning.message, /^SEQR getPaymentStatus: the caller's callback threw: Error: the caller broke with \*\*\*$/);
    }
  });
});

describe('PaymentWatcher behind an endpoint that sends endless answers', () => {
  let rig: Rig;
  let watcher: PaymentWatcher | undefined;
  const servers = new Servers();
  after(async () => {
    watcher?.stopAll();
    await servers.stopAll();
    await rig?.stop();
  });

  it('keeps polling through endless answers (retrying, too-large) and reports PAID once the endpoint behaves', async () => {
    rig = await startRig();
    const emulator = new URL(rig.emu.url);
    let endless = false;
    // A front to the emulator that forwards each call, or answers it endlessly while `endless` is set.
    const { url } = await servers.http((request, response) => {
      if (endless) {
        request.resume();
        response.writeHead(200, { 'Content-Type': 'text/xml' });
        streamForever(response, Buffer.alloc(64 * 1024, 'x'), { bytes: 0 });
        return;
      }
      const upstream = http.request(
        { host: emulator.hostname, port: emulator.port, path: emulator.pathname, method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    });
    const seqr = rig.client({ endpoint: url, principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL }, maxAnswerBytes: 256 * 1024 });
    const ref = (await seqr.sendInvoice(invoice('25.00'))).invoiceReference;

    watcher = new PaymentWatcher(seqr, { intervalMs: 50, giveUpAfterMs: 20_000 });
    const retries: PaymentRetrying[] = [];
    watcher.on('retrying', (event) => retries.push(event));
    const paid = new Promise<PaymentPaid>((resolve) => watcher!.on('paid', resolve));
    endless = true;
    watcher.watch(ref);
    await eventually(() => assert.ok(retries.length >= 3, `retries so far: ${retries.length}`), 10_000);
    for (const retry of retries) {
      assert.match(retry.reason, /the answer was larger than allowed/);
      assert.ok(!retry.reason.includes(PUBLIC_TEST_TERMINAL.password), 'no password in the reason');
    }
    await rig.emu.payer.pay(ref);
    endless = false;
    const result = await paid;
    assert.equal(result.invoiceReference, ref);
    assert.match(result.ersReference ?? '', /^\d{25}$/);
  });
});
