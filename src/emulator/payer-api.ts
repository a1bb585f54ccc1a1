import type * as http from 'node:http';
import type { EmulatorCore } from './core';
import { PayerError } from './errors';
import { HttpError, readBody, sendJson } from './http-util';

/**
 * The payer side as JSON over HTTP (what the SEQR app did), plus a small control surface for emulators
 * running in another process:
 *
 *   GET  /payer/invoices                                   open invoices
 *   POST /payer/scan     { code, loyaltyToken?: { id, value, description } }
 *   POST /payer/pay      { code, canReserve?: boolean }
 *   POST /payer/decline  { code }
 *   POST /payer/cancel   { code }
 *   POST /control/fail-next  { count, code }
 *   POST /control/refunds    { resellerId | terminalId, allowed }
 *
 * `code` is the invoice QR text, the deep link, the bare reference, or a terminal sticker HTTP://SEQR.SE/Q<seqrId>.
 * Errors answer 4xx with `{ "error": "<what went wrong>" }`.
 */
export async function handlePayerApi(core: EmulatorCore, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
  try {
    sendJson(res, 200, await route(core, req, path));
  } catch (error) {
    if (error instanceof PayerError || error instanceof HttpError) {
      sendJson(res, error.status, { error: error.message });
    } else {
      sendJson(res, 500, { error: `SEQR emulator internal error: ${(error as Error).message}` });
    }
  }
}

const PAYER_ACTIONS = new Set(['scan', 'pay', 'decline', 'cancel']);

async function route(core: EmulatorCore, req: http.IncomingMessage, path: string): Promise<unknown> {
  const payer = core.payer;
  if (path === '/payer/invoices') {
    requireMethod(req, 'GET');
    return payer.invoices();
  }
  const action = path.startsWith('/payer/') ? path.slice('/payer/'.length) : undefined;
  if (action !== undefined && PAYER_ACTIONS.has(action)) {
    requireMethod(req, 'POST');
    const body = await readJson(req);
    const code = body.code as string;
    switch (action) {
      case 'scan':
        return payer.scan(code, { loyaltyToken: optionalObject(body.loyaltyToken, 'loyaltyToken') });
      case 'pay':
        return payer.pay(code, { canReserve: optionalBoolean(body.canReserve, 'canReserve') });
      case 'decline':
        return payer.decline(code);
      default:
        return payer.cancel(code);
    }
  }
  if (path === '/control/fail-next') {
    requireMethod(req, 'POST');
    const body = await readJson(req);
    try {
      core.failNext(body.count as number, body.code as number);
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    return { failNext: body.count, code: body.code };
  }
  if (path === '/control/refunds') {
    requireMethod(req, 'POST');
    const body = await readJson(req);
    const allowed = optionalBoolean(body.allowed, 'allowed');
    if (allowed === undefined) throw new HttpError(400, 'give "allowed": true or false');
    const target =
      typeof body.terminalId === 'string' ? { terminalId: body.terminalId } : typeof body.resellerId === 'string' ? { resellerId: body.resellerId } : undefined;
    if (!target) throw new HttpError(400, 'give "resellerId" or "terminalId"');
    try {
      core.principals.setRefundsAllowed(target, allowed);
    } catch (error) {
      throw new HttpError(404, (error as Error).message);
    }
    return { ...target, refundsAllowed: allowed };
  }
  throw new HttpError(404, `no such endpoint ${path}`);
}

function requireMethod(req: http.IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, `use ${method} for ${req.url}`);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new HttpError(400, `"${name}" must be true or false`);
  return value;
}

function optionalObject(value: unknown, name: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, `"${name}" must be an object`);
  return value as Record<string, string>;
}
