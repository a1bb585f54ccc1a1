import assert from 'node:assert/strict';
import * as http from 'node:http';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import { SeqrClient, type SeqrClientOptions } from '../../src/seqr/client';

/** Servers started by a test file; `stopAll` in `after` closes every one. */
export class Servers {
  private readonly closers: Array<() => Promise<void>> = [];

  /** An HTTP server on 127.0.0.1:<free port>; returns its URL (path /soap). */
  async http(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
    const server = http.createServer(handler);
    await listen(server);
    this.closers.push(() => closeServer(server));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap`, server };
  }

  /** A raw TCP server (for resets, hangs and cut answers); returns an http:// URL to it. */
  async tcp(onConnection: (socket: net.Socket) => void): Promise<{ url: string; server: net.Server; sockets: Set<net.Socket> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    await listen(server);
    this.closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap`, server, sockets };
  }

  /** Register any other server/cleanup. */
  add(closer: () => Promise<void>): void {
    this.closers.push(closer);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.closers.splice(0).map((close) => close()));
  }
}

export function listen(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    (server as http.Server).closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** The test certificate (self-signed for 127.0.0.1, test/fixtures) as PEM, to trust as a CA. */
export const LOOPBACK_CERT = readFileSync(path.join(__dirname, '..', 'fixtures', 'loopback-cert.pem'), 'utf8');

/**
 * A TLS front on 127.0.0.1 with the test certificate for a plain service on `port` (e.g. the emulator):
 * `https://127.0.0.1:<front port>`; close it with closeServer.
 */
export async function tlsFront(port: number): Promise<{ origin: string; server: tls.Server }> {
  const server = tls.createServer({ cert: LOOPBACK_CERT, key: readFileSync(path.join(__dirname, '..', 'fixtures', 'loopback-key.pem'), 'utf8') }, (socket) => {
    const upstream = net.connect(port, '127.0.0.1');
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  await listen(server);
  return { origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function refusedUrl(): Promise<string> {
  const server = net.createServer();
  await listen(server);
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}/soap`;
}

export function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/** A SOAP 1.1 envelope around `body`, in the shape SEQR's JAX-WS server answered. */
export function envelope(body: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

/** A successful getPaymentStatus answer (ISSUED, version 1) and cancelInvoice answer, as SEQR's server wrote them. */
export const STATUS_ANSWER = envelope(
  '<ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return>' +
    '<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription><status>ISSUED</status><version>1</version>' +
    '</return></ns2:getPaymentStatusResponse>',
);
export const CANCEL_ANSWER = envelope(
  '<ns2:cancelInvoiceResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return>' +
    '<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription></return></ns2:cancelInvoiceResponse>',
);

/**
 * For a describe block: its loopback servers and terminal clients (terminal `till-1` with `password`), all
 * closed in the block's `after`.
 */
export function loopbackClients(password: string): {
  servers: Servers;
  client(endpoint: string, options?: Partial<SeqrClientOptions>): SeqrClient;
} {
  const servers = new Servers();
  const made: SeqrClient[] = [];
  after(async () => {
    for (const client of made.splice(0)) client.close();
    await servers.stopAll();
  });
  return {
    servers,
    client(endpoint, options = {}) {
      const client = new SeqrClient({ endpoint, principal: { type: 'TERMINALID', id: 'till-1', password }, ...options });
      made.push(client);
      return client;
    },
  };
}

export function soapFault(code: string, text: string): string {
  return envelope(`<soap:Fault><faultcode>${code}</faultcode><faultstring>${text}</faultstring></soap:Fault>`);
}

/** Asserts that `secret` shows up nowhere a person or a log could see it: message, stack, inspect, JSON. */
export function assertNoSecret(error: unknown, ...secrets: string[]): void {
  const views = [
    String(error),
    (error as Error)?.stack ?? '',
    inspect(error, { depth: Infinity, showHidden: true }),
    JSON.stringify(error) ?? '',
  ];
  for (const secret of secrets) {
    for (const view of views) assert.ok(!view.includes(secret), `the secret leaked into: ${view}`);
  }
}

/** Awaits a rejection and returns the error (fails when the promise resolves). */
export async function failure<T = unknown>(promise: Promise<unknown>): Promise<T> {
  try {
    await promise;
  } catch (error) {
    return error as T;
  }
  assert.fail('expected the call to fail');
}

/** What a recording endpoint received: one entry per request, with every header and the whole body. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * An "attacker's" endpoint on 127.0.0.1 that records everything it receives (a connection without a
 * complete request counts too) and answers 500; close it with closeServer.
 */
export async function recordingEndpoint(): Promise<{ url: string; server: http.Server; received: RecordedRequest[]; connections: () => number }> {
  const received: RecordedRequest[] = [];
  let connections = 0;
  const server = http.createServer((request, response) => {
    void readBody(request).then((body) => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(500, { 'content-type': 'text/plain' }).end('recorded');
    });
  });
  server.on('connection', () => (connections += 1));
  await listen(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/soap/merchant/cashregister-2`, server, received, connections: () => connections };
}
