/**
 * A loopback HTTP proxy in front of the emulator that can hold sendInvoice answers: SEQR has created the invoice
 * (the emulator answered) but the answer has not reached send invoice yet. A scenario kills Node-RED while
 * answers are held, or right after releasing some, to crash before the QR message leaves send invoice. Every
 * other call passes straight through.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readBody } from '../helpers/loopback';

interface HeldAnswer {
  res: http.ServerResponse;
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

const SEND_INVOICE = /<(?:[\w-]+:)?sendInvoice[\s>]/;

export class AnswerHoldProxy {
  /** While true, sendInvoice answers wait in `held` until released. */
  holding = false;
  /** Called with each call and SEQR's answer before the answer goes back; the answer waits for its promise. */
  beforeAnswer: (request: string, answer: string) => Promise<void> | undefined = () => undefined;
  private readonly held: HeldAnswer[] = [];
  private server: http.Server | undefined;
  private readonly agent = new http.Agent({ keepAlive: true });
  origin = '';

  constructor(private readonly upstream: URL) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.forward(req, res).catch(() => res.destroy());
    });
    // Longer than any pause in a scenario: a kept-alive socket the server closes just as the client reuses it
    // resets that call (Node's 5 s default), which send invoice rightly does not retry: a loss of the proxy's making.
    this.server.keepAliveTimeout = 120_000;
    await listen(this.server);
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How many answers are held right now. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Writes the first `count` held answers (all by default); returns how many reached a still-open socket. */
  release(count = this.held.length): number {
    let written = 0;
    for (const answer of this.held.splice(0, count)) {
      if (answer.res.destroyed) continue;
      answer.res.writeHead(answer.status, answer.headers);
      answer.res.end(answer.body);
      written++;
    }
    return written;
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = { ...req.headers, host: this.upstream.host };
    const answer = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const upstream = http.request(
        { host: this.upstream.hostname, port: this.upstream.port, path: req.url, method: req.method, headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
    const outgoing: http.OutgoingHttpHeaders = { ...answer.headers };
    delete outgoing['transfer-encoding'];
    outgoing['content-length'] = answer.body.length;
    if (this.holding && SEND_INVOICE.test(body)) {
      this.held.push({ res, status: answer.status, headers: outgoing, body: answer.body });
      return;
    }
    await this.beforeAnswer(body, answer.body.toString('utf8'));
    if (res.destroyed) return;
    res.writeHead(answer.status, outgoing);
    res.end(answer.body);
  }

  async stop(): Promise<void> {
    this.held.splice(0).forEach((answer) => answer.res.destroy());
    this.agent.destroy();
    if (this.server) await closeServer(this.server);
  }
}
