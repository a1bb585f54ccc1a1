import * as http from 'node:http';
import * as https from 'node:https';

/**
 * SEQR's server-to-merchant callback: an HTTP POST to the invoice's notificationUrl with the form body
 * `invoiceReference=<ref>` (§10.14). Fire-and-forget: never retried, never awaited by a SOAP answer, given up
 * after a timeout; failures only reach the log.
 */
export class Notifier {
  private readonly inFlight = new Set<http.ClientRequest>();

  constructor(
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  notify(notificationUrl: string, invoiceReference: string): void {
    const url = new URL(notificationUrl);
    const body = `invoiceReference=${encodeURIComponent(invoiceReference)}`;
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent: false,
      timeout: this.timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
    });
    this.inFlight.add(request);
    const done = (outcome: string) => {
      if (!this.inFlight.delete(request)) return;
      this.log(`notification for ${invoiceReference} to ${url.origin}${url.pathname}: ${outcome}`);
    };
    request.on('response', (response) => {
      response.resume();
      done(`HTTP ${response.statusCode}`);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
    request.on('error', (error) => done(`failed (${error.message})`));
    request.end(body);
  }

  /** Abandons notifications still under way (the emulator stops). */
  close(): void {
    for (const request of this.inFlight) request.destroy();
    this.inFlight.clear();
  }
}
