/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the emulator's SOAP service, with switchable phases.
 * In `pass` it forwards every request and answer unchanged; each fault phase breaks the exchange the way a
 * real endpoint, load balancer or network does. The payer side never goes through it: only the merchant's
 * (Node-RED's) SOAP calls meet the faults, as when the till's link to SEQR is what fails.
 *
 * Where a fault lets the request through (truncated, slow, reset after forwarding), SEQR has acted on it
 * (an invoice made, a PAID reported and so acknowledged) and only the answer is lost: the harder case for a
 * client, which must find out again what SEQR already knows.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { closeServer, readBody, soapFault } from './loopback';
import { answerEndlessly, answerHugely } from './malicious-endpoint';

export const FAULT_PHASES = [
  'pass',
  /** Nothing listens: connections are refused (the listener is closed, open connections dropped). */
  'outage',
  /** HTTP 500 with an HTML error page, in bursts: 1.2 s of 500s, then 0.3 s of real answers. */
  'http-500',
  /** 200 text/xml whose body is not well-formed XML (several kinds in turn, one of them mentions PAID). */
  'malformed-xml',
  /** The real answer cut in half: in turn a Content-Length the body never reaches, and a complete chunked half. */
  'truncated',
  /** The real answer held back for 0.8, 0.95, 1.05 or 1.2 times the client's timeout, in turn. */
  'slow',
  /** The connection reset (TCP RST), in turn before the request reaches SEQR and after SEQR answered. */
  'reset',
  /** 200 text/html: a proxy's or captive portal's page instead of SOAP. */
  'wrong-content-type',
  /** 200 with an empty body. */
  'empty-200',
  /** HTTP 500 with a SOAP fault (soap:Server) for every call. */
  'soap-fault',
  /** The request is read and never answered; the connection stays open until the phase ends. */
  'hang',
  /** The malicious endpoint: 200 without Content-Length, streaming an answer that never ends. */
  'endless',
  /** The malicious endpoint: well-formed answers of HUGE_ANSWER_BYTES, in turn with Content-Length and chunked. */
  'huge',
] as const;

export type FaultPhase = (typeof FAULT_PHASES)[number];

/** The size of a `huge` answer's resultDescription: 200 MiB. */
export const HUGE_ANSWER_BYTES = 200 * 1024 * 1024;

const BURST_CYCLE_MS = 1500;
const BURST_FAILING_MS = 1200;
const SLOW_FACTORS = [0.8, 0.95, 1.05, 1.2];

const MALFORMED_BODIES = [
  // An envelope that never closes.
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>',
  // Mismatched end tags around a PAID: nothing in it may be believed.
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    '<ns2:getPaymentStatusResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/"><return><resultCode>0</resultCode>' +
    '<status>PAID</statos></return></soap:Envelope></soap:Body>',
  // Not XML at all.
  '{"resultCode":0,"status":"PAID"}',
  // Markup soup and a stray entity.
  '<<soap:Envelope &bogus; <soap:Body/>>',
];

interface UpstreamAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port>; the emulator's paths work under it (e.g. `${origin}/soap/merchant/cashregister-2`). */
  readonly origin: string;
  readonly phase: FaultPhase;
  /** Requests each phase answered (for `outage`: connections refused are not counted, they never arrive). */
  readonly requests: Record<FaultPhase, number>;
  /** Switches phase; `outage` closes the listener (resolves once closed), leaving it listens again on the same port. */
  setPhase(phase: FaultPhase): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the proxy in `pass` in front of `upstreamOrigin` (the emulator's http://host:port). `clientTimeoutMs`
 * is the timeout of the client under test: `slow` answers around it.
 */
export async function startFaultProxy(upstreamOrigin: string, clientTimeoutMs: number): Promise<FaultProxy> {
  const upstream = new URL(upstreamOrigin);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  /** Answers held by `hang`, let go (destroyed) when the phase ends. */
  const held = new Set<http.ServerResponse>();
  const requests = Object.fromEntries(FAULT_PHASES.map((phase) => [phase, 0])) as Record<FaultPhase, number>;
  let phase: FaultPhase = 'pass';
  let phaseStartedAt = Date.now();
  let turn = 0;

  function forward(req: http.IncomingMessage, body: string): Promise<UpstreamAnswer> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { 'content-length': Buffer.byteLength(body) };
      for (const name of ['content-type', 'soapaction', 'accept']) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
      const request = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  function answer(res: http.ServerResponse, status: number, contentType: string, body: Buffer | string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  function relay(res: http.ServerResponse, got: UpstreamAnswer): void {
    answer(res, got.status, String(got.headers['content-type'] ?? 'text/xml; charset=utf-8'), got.body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const current = phase;
    requests[current]++;
    const n = turn++;
    switch (current) {
      case 'pass':
      case 'outage': // a request that arrived on a connection opened just before the outage
        relay(res, await forward(req, body));
        return;
      case 'http-500':
        if ((Date.now() - phaseStartedAt) % BURST_CYCLE_MS >= BURST_FAILING_MS) {
          relay(res, await forward(req, body));
          return;
        }
        answer(res, 500, 'text/html', '<html><body><h1>500 Internal Server Error</h1></body></html>');
        return;
      case 'malformed-xml':
        answer(res, 200, 'text/xml; charset=utf-8', MALFORMED_BODIES[n % MALFORMED_BODIES.length]);
        return;
      case 'truncated': {
        const got = await forward(req, body);
        const half = got.body.subarray(0, got.body.length >> 1);
        const contentType = String(got.headers['content-type'] ?? 'text/xml');
        if (n % 2 === 0) {
          res.writeHead(got.status, { 'Content-Type': contentType, 'Content-Length': got.body.length });
          res.write(half, () => res.destroy());
        } else {
          res.writeHead(got.status, { 'Content-Type': contentType });
          res.end(half);
        }
        return;
      }
      case 'slow': {
        const got = await forward(req, body);
        const delay = clientTimeoutMs * SLOW_FACTORS[n % SLOW_FACTORS.length];
        setTimeout(() => relay(res, got), delay);
        return;
      }
      case 'reset':
        if (n % 2 === 1) await forward(req, body);
        req.socket.resetAndDestroy();
        return;
      case 'wrong-content-type':
        answer(res, 200, 'text/html; charset=utf-8', '<!DOCTYPE html><html><body><p>Please log in to the network.</p></body></html>');
        return;
      case 'empty-200':
        answer(res, 200, 'text/xml; charset=utf-8', '');
        return;
      case 'soap-fault':
        answer(res, 500, 'text/xml; charset=utf-8', soapFault('soap:Server', 'java.lang.NullPointerException'));
        return;
      case 'hang':
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      case 'endless':
        answerEndlessly(res, body);
        return;
      case 'huge':
        answerHugely(res, body, HUGE_ANSWER_BYTES, n % 2 === 0);
        return;
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  // Node's own server timeouts would cut a `hang` or `slow` answer short: the faults decide here.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  /**
   * The port was free during the outage, so an outgoing connection may have taken it as its local port for
   * a moment: try again for a while rather than fail the phase on that.
   */
  const listenAgain = async (port: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await listen(port);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    origin: `http://127.0.0.1:${port}`,
    get phase() {
      return phase;
    },
    requests,
    async setPhase(next: FaultPhase) {
      if (next === phase) return;
      const previous = phase;
      phase = next;
      phaseStartedAt = Date.now();
      turn = 0;
      for (const res of held) res.destroy();
      if (previous === 'outage') await listenAgain(port);
      if (next === 'outage') {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      }
    },
    async stop() {
      for (const res of held) res.destroy();
      agent.destroy();
      if (phase !== 'outage') await closeServer(server);
    },
  };
}
