import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICE_PATHS } from '../seqr/types';
import { EmulatorCore } from './core';
import { HttpError, readBody, send, sendJson } from './http-util';
import type { EmulatorOptions } from './options';
import { handlePayerApi } from './payer-api';
import { isPayerAppPath, servePayerApp } from './payer-app';
import type { PayerApi } from './payer';
import { WSDL_INTERFACE_FILE } from '../seqr/wsdl';
import { SoapEndpoint, WSDL_INTERFACE_TEXT, soapFault } from './soap-endpoint';

/** A running emulator. */
export interface EmulatorHandle {
  /** The SOAP endpoint, e.g. http://127.0.0.1:8090/soap/merchant/cashregister-2. */
  readonly url: string;
  readonly wsdlUrl: string;
  /** http://host:port, where /payer/* and the second service path live. */
  readonly baseUrl: string;
  readonly port: number;
  /** The simulated payer, in process (same logic as POST /payer/*). */
  readonly payer: PayerApi;
  /** The domain state, for tests and tools that want to look inside (stored receipts, refunds, options). */
  readonly core: EmulatorCore;
  /** Outage: refuse new connections and drop open ones, keeping the state and the port. */
  suspend(): Promise<void>;
  /** Listen again on the same port. */
  resume(): Promise<void>;
  /** The next `count` SOAP calls answer with result code `code` (e.g. 93 SYSTEM_BUSY) and change nothing. */
  failNext(count: number, code: number): void;
  /** Turns refunds on or off for a reseller (97 when off) or a receiving terminal (99 when off). */
  setRefundsAllowed(target: { resellerId: string } | { terminalId: string }, allowed: boolean): void;
  /** Stops listening, clears every timer and abandons notifications. */
  stop(): Promise<void>;
}

const SOAP_PATHS: ReadonlySet<string> = new Set(SERVICE_PATHS);
const XML = 'text/xml; charset=utf-8';

/** A host as it appears in a URL: wildcard binds are reached through loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * What a GET asks for, as CXF's WSDL query handler read it: `?wsdl` (any case) the service's WSDL, `?wsdl=<file>`
 * a document it imports; anything else is no WSDL request.
 */
function wsdlQuery(query: string): 'service' | 'interface' | 'unknown' | undefined {
  for (const [key, value] of new URLSearchParams(query)) {
    if (key.toLowerCase() !== 'wsdl') continue;
    if (value === '') return 'service';
    return value === WSDL_INTERFACE_FILE ? 'interface' : 'unknown';
  }
  return undefined;
}

/** A Host header fit to go into the WSDL's soap:address (anything odd falls back to the bound address). */
function requestHost(req: http.IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host !== undefined && /^[A-Za-z0-9.\-[\]:]+$/.test(host) ? host : fallback;
}

/**
 * Starts the SEQR emulator: SEQR's SOAP service on both of its historical paths, each serving `?wsdl` with its
 * own address, and the payer JSON API, on one HTTP server bound to loopback by default (port 0: a free one).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const core = new EmulatorCore(options);
  const endpoint = await SoapEndpoint.create(core);
  const { host, port: wantedPort } = core.options;

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) sendJson(res, error.status, { error: error.message });
      else sendJson(res, 500, { error: `SEQR emulator internal error: ${(error as Error).message}` });
    });
  });

  let boundHost = '';
  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    let path = query < 0 ? url : url.slice(0, query);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (SOAP_PATHS.has(path)) {
      const wanted = query < 0 ? undefined : wsdlQuery(url.slice(query + 1));
      if (req.method === 'POST') {
        const answer = await endpoint.handle(await readBody(req), url, req.headers['content-type']).catch(() =>
          soapFault('soap:Server', 'SEQR emulator internal error'),
        );
        send(res, answer.status, XML, answer.body);
      } else if (req.method === 'GET' && wanted !== undefined) {
        if (wanted === 'service') send(res, 200, XML, endpoint.wsdlFor(`http://${requestHost(req, boundHost)}${path}`));
        else if (wanted === 'interface') send(res, 200, XML, WSDL_INTERFACE_TEXT);
        else sendJson(res, 404, { error: `no such WSDL document; GET ${path}?wsdl` });
      } else {
        res.setHeader('allow', 'POST, GET');
        sendJson(res, 405, { error: `POST SOAP requests to ${path}, or GET ${path}?wsdl` });
      }
      return;
    }
    if (path.startsWith('/payer/') || path.startsWith('/control/')) return handlePayerApi(core, req, res, path);
    if (path === '/') {
      sendJson(res, 200, {
        service: 'SEQR emulator',
        wsdl: SERVICE_PATHS.map((p) => `http://${requestHost(req, boundHost)}${p}?wsdl`),
        payer: '/payer/invoices',
        app: '/app',
      });
      return;
    }
    if (isPayerAppPath(path)) return servePayerApp(req, res, path);
    sendJson(res, 404, { error: `no such endpoint ${path}` });
  }

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      server.once('error', failed);
      server.listen(port, host, () => {
        server.off('error', failed);
        resolve();
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  try {
    await listen(wantedPort);
  } catch (error) {
    core.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  boundHost = `${urlHost(host)}:${port}`;
  const baseUrl = `http://${boundHost}`;
  const url = `${baseUrl}${SERVICE_PATHS[0]}`;

  // suspend/resume/stop run one after another, whatever order callers fire them in. When nothing is pending a
  // step starts at once, so `emu.suspend()` refuses connections from the moment it returns, awaited or not.
  let state: 'running' | 'suspended' | 'stopped' = 'running';
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const serially = (step: () => Promise<void>): Promise<void> => {
    const run = async () => {
      try {
        await step();
      } finally {
        pending--;
      }
    };
    queue = ++pending === 1 ? run() : queue.then(run, run);
    return queue;
  };

  return {
    url,
    wsdlUrl: `${url}?wsdl`,
    baseUrl,
    port,
    payer: core.payer,
    core,
    suspend: () =>
      serially(async () => {
        if (state !== 'running') return;
        state = 'suspended';
        await close();
      }),
    resume: () =>
      serially(async () => {
        if (state !== 'suspended') return;
        await listen(port);
        state = 'running';
      }),
    failNext: (count, code) => core.failNext(count, code),
    setRefundsAllowed: (target, allowed) => core.principals.setRefundsAllowed(target, allowed),
    stop: () =>
      serially(async () => {
        if (state === 'stopped') return;
        const wasRunning = state === 'running';
        state = 'stopped';
        core.close();
        if (wasRunning) await close();
      }),
  };
}
