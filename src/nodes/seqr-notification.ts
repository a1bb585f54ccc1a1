/**
 * seqr-notification: SEQR's notificationUrl callback as an HTTP endpoint on Node-RED's own HTTP server
 * (RED.httpNode, the app the core `http in` node uses), at the path set in the node. SEQR POSTs there when an
 * invoice is paid (protocol §6.3); the node answers at once and asks every payment status node watching that
 * invoice to poll it now, so that PAID leaves the flow right after the payment instead of up to an interval later.
 *
 * A callback is never taken as proof of payment: it only triggers a getPaymentStatus call (PaymentWatcher.pollNow
 * through the process-wide watchRegistry), and what SEQR answers there decides. A forged callback can at most
 * cause one extra status poll per gap (the watcher throttles them).
 *
 * Which invoice: the `key` query parameter that seqr-send-invoice put in the URL (128 random bits, mapped to the
 * invoice while a status node watches it). Optionally, for URLs built by hand, the invoice reference in the body
 * (`invoiceReference=…`, as the emulator and SEQR's webshop plugins send it) or the query; off by default, as an
 * invoice reference is no secret (every QR code shows it).
 *
 * Answers: 200 to every well-formed POST, also for an invoice nobody watches (any more): SEQR only needs to know
 * that it was received, and its Invoice Service retries a failed notification for a day. 400 without a usable key
 * or reference, 405 to other methods, 413 to a body above 8 KiB.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import bodyParser from 'body-parser';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { watchRegistry } from '../watcher';
import { isRecord, isValidReference } from '../values';
import { STATUS } from './node-status';
import {
  NOTIFICATION_KEY_PARAM,
  NOTIFICATION_KEY_PATTERN,
  publicEndpoint,
  registerNotificationEndpoint,
  routePath,
  unregisterNotificationEndpoint,
} from './notification-endpoints';

interface NotificationDef extends NodeDef {
  /** The seqr-config whose send-invoice nodes point their invoices here. */
  seqr: string;
  /** Path on Node-RED's HTTP server (httpNodeRoot), like the core http-in node's URL. */
  url: string;
  /** The address at which SEQR reaches Node-RED's HTTP endpoints, e.g. https://shop.example.com. */
  publicUrl: string;
  /** Also accept a callback that names only the invoice reference (no key). */
  acceptReference: boolean;
}

/** The parts of express's request and response this node uses (RED.httpNode is an express app). */
type Request = IncomingMessage & { query?: Record<string, unknown>; body?: unknown; _body?: boolean };
type Response = ServerResponse & { status(code: number): Response; set(name: string, value: string): Response; send(body: string): Response };
type Handler = (req: Request, res: Response, next: (err?: unknown) => void) => void;
interface Layer {
  route?: { stack: Array<{ handle: unknown }> };
}
interface HttpNodeApp {
  post(path: string, ...handlers: Handler[]): void;
  all(path: string, ...handlers: Handler[]): void;
  _router?: { stack: Layer[] };
}

const MAX_BODY_BYTES = 8 * 1024;

/*
 * The body is read by body-parser, as the core http-in node reads its bodies: Express's own parser, kept by the
 * Express team, already in every Node-RED (its HTTP apps use it). SEQR sends form-encoded fields; JSON is taken too.
 * Not inflated: SEQR sends plain bodies, and a forged callback then costs no decompression work.
 */
const PARSERS: Handler[] = [
  bodyParser.json({ limit: MAX_BODY_BYTES, strict: false, inflate: false }),
  bodyParser.urlencoded({ limit: MAX_BODY_BYTES, extended: false, inflate: false }),
];

/**
 * The body's fields, read (up to MAX_BODY_BYTES) unless a middleware already did. Rejects with body-parser's
 * error, whose `statusCode` is 413 for a body too large.
 */
function readFields(req: Request, res: Response): Promise<Record<string, unknown>> {
  const fields = (): Record<string, unknown> => (isRecord(req.body) ? req.body : {});
  if (req._body || req.readableEnded) return Promise.resolve(fields());
  return new Promise((resolve, reject) => {
    const next = (index: number) => (err?: unknown): void => {
      if (err) reject(err);
      else if (index < PARSERS.length) PARSERS[index](req, res, next(index + 1));
      else resolve(fields());
    };
    next(0)();
  });
}

function firstString(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value as unknown[])[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export = function register(RED: NodeAPI): void {
  const settings = RED.settings as unknown as { httpNodeRoot?: string | false; httpNodeMiddleware?: Handler | Handler[] };

  function SeqrNotificationNode(this: Node, def: NotificationDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const path = routePath(def.url);
    const acceptReference = def.acceptReference === true;

    const httpNode = (RED as unknown as { httpNode?: HttpNodeApp }).httpNode;
    if (settings.httpNodeRoot === false || typeof httpNode?.post !== 'function') {
      node.warn(RED._('seqr-notification.errors.no-http'));
      node.status(STATUS.error(RED._('seqr-notification.status.no-http')));
      return;
    }
    if (path === undefined) {
      node.error(RED._('seqr-notification.errors.bad-path'));
      node.status(STATUS.error(RED._('seqr-notification.status.bad-path')));
      return;
    }
    let endpointUrl: string | undefined;
    try {
      endpointUrl = publicEndpoint(def.publicUrl, path);
    } catch {
      node.error(RED._('seqr-notification.errors.bad-public-url'));
      node.status(STATUS.error(RED._('seqr-notification.status.bad-public-url')));
      return;
    }
    if (def.seqr) registerNotificationEndpoint(def.seqr, node.id, endpointUrl);

    let received = 0;
    function answer(res: Response, code: number, statusKey?: string): void {
      if (statusKey !== undefined) node.status(STATUS.error(RED._(`seqr-notification.status.${statusKey}`)));
      res.status(code).set('Content-Type', 'text/plain; charset=utf-8').send(code === 200 ? 'OK' : RED._(`seqr-notification.answers.${statusKey ?? 'ok'}`));
    }

    const onNotification: Handler = (req, res) => {
      readFields(req, res).then(
        (fields) => {
          const query = isRecord(req.query) ? req.query : {};
          const keyParam = query[NOTIFICATION_KEY_PARAM];
          let invoiceReference: string | undefined;
          if (keyParam !== undefined) {
            const key = firstString(keyParam);
            if (key === undefined || !NOTIFICATION_KEY_PATTERN.test(key)) return answer(res, 400, 'bad-key');
            invoiceReference = watchRegistry.referenceOf(key);
          } else if (acceptReference) {
            const claimed = firstString(fields.invoiceReference) ?? firstString(query.invoiceReference);
            if (!isValidReference(claimed)) return answer(res, 400, 'no-reference');
            invoiceReference = claimed;
          } else {
            return answer(res, 400, 'no-key');
          }
          // Poll first, answer second: both are immediate; the poll's answer decides, never this request.
          const watched = invoiceReference !== undefined && watchRegistry.pollNow(invoiceReference) > 0;
          answer(res, 200);
          if (invoiceReference === undefined) {
            node.status(STATUS.warn(RED._('seqr-notification.status.unknown-key')));
            return;
          }
          received++;
          node.status(
            watched
              ? STATUS.ok(RED._('seqr-notification.status.checking', { count: received }))
              : STATUS.warn(RED._('seqr-notification.status.not-watched')),
          );
          node.send({ payload: { invoiceReference, watched, receivedAt: new Date().toISOString() } });
        },
        (err: { statusCode?: number }) => {
          const code = err.statusCode === 413 ? 413 : 400;
          if (res.headersSent || res.destroyed) return;
          if (code === 413) res.set('Connection', 'close');
          answer(res, code, code === 413 ? 'too-large' : 'bad-body');
        },
      );
    };
    const methodNotAllowed: Handler = (_req, res) => {
      res.set('Allow', 'POST');
      answer(res, 405, 'bad-method');
    };
    const middleware = settings.httpNodeMiddleware;
    const before: Handler[] = typeof middleware === 'function' ? [middleware] : Array.isArray(middleware) ? middleware : [];
    httpNode.post(path, ...before, onNotification);
    httpNode.all(path, ...before, methodNotAllowed);

    node.on('close', (_removed: boolean, done: () => void) => {
      // Remove exactly this node's routes (another node may serve the same path on redeploy).
      const stack = httpNode._router?.stack ?? [];
      for (let i = stack.length - 1; i >= 0; i--) {
        const handles = stack[i].route?.stack.map((layer) => layer.handle) ?? [];
        if (handles.includes(onNotification) || handles.includes(methodNotAllowed)) stack.splice(i, 1);
      }
      if (def.seqr) unregisterNotificationEndpoint(def.seqr, node.id);
      done();
    });
  }

  RED.nodes.registerType('seqr-notification', SeqrNotificationNode);
};
