import { readFile } from 'node:fs/promises';
import type * as http from 'node:http';
import * as path from 'node:path';
import { send, sendJson } from './http-util';

/**
 * The payer web app (the customer's phone): static files in payer-app/ at the package root, the same two
 * levels above this module whether it runs from src/ (tsx) or dist/. A fixed table, so no request path ever
 * reaches the file system.
 */
const APP_DIR = path.join(__dirname, '..', '..', 'payer-app');
const APP_FILES: Record<string, { file: string; type: string }> = {
  '/app': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
};
/** Same-origin script and fetch only; the page's one <style> block is inline. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export function isPayerAppPath(urlPath: string): boolean {
  return urlPath === '/app' || urlPath.startsWith('/app/');
}

/** Answers GET /app (the page) and its script; anything else under /app is a 404. */
export async function servePayerApp(req: http.IncomingMessage, res: http.ServerResponse, urlPath: string): Promise<void> {
  const entry = APP_FILES[urlPath];
  if (!entry) {
    sendJson(res, 404, { error: `no such file ${urlPath} (the payer app is at /app)` });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendJson(res, 405, { error: `use GET for ${urlPath}` });
    return;
  }
  const body = await readFile(path.join(APP_DIR, entry.file), 'utf8');
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('cache-control', 'no-cache');
  send(res, 200, entry.type, body);
}
