/**
 * node-red-node-test-helper with types, and the few things every SEQR node test needs: the node modules as
 * Node-RED loads them (nodes/*.js, which require dist/: run `npm run build` first, `npm test` does), waiting
 * for a message with assertion failures reported (not swallowed into a timeout), and every text the runtime
 * logged or showed, for secret checks.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { beforeEveryTest } from './each-test';
import { pause } from './time';
import { NODE_RED_VERSION, requireFromNodeRed, resolveFromNodeRed } from './node-red-runtime';

/** The part of a sinon spy the tests read (the helper's sinon has no types installed here). */
export interface SinonSpy {
  (...args: unknown[]): unknown;
  args: unknown[][];
  callCount: number;
  getCalls(): Array<{ thisValue: unknown; args: unknown[] }>;
  resetHistory(): void;
}

/** A node as the test helper hands it out: a Node-RED node whose methods are sinon spies. */
export interface TestNode {
  id: string;
  type: string;
  credentials?: Record<string, unknown>;
  on(event: string, listener: (...args: never[]) => void): void;
  once(event: string, listener: (...args: never[]) => void): void;
  removeListener(event: string, listener: (...args: never[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  /** Sends from this node along its wires (a helper node standing in for a dashboard widget). */
  send(msg: Record<string, unknown>): void;
  status: SinonSpy;
  error: SinonSpy;
  warn: SinonSpy;
  log: SinonSpy;
  [key: string]: unknown;
}

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export interface NodeTestHelper {
  init(nodeRedPath: string, userSettings?: Record<string, unknown>): void;
  settings(userSettings: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, Record<string, unknown>>): Promise<void>;
  unload(): Promise<void>;
  setFlows(flow: FlowNode[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, Record<string, unknown>>): Promise<void>;
  getNode(id: string): TestNode;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  /** The spy on RED.log.log (every node.log/warn/error line and runtime log line of the current load). */
  log(): SinonSpy;
  _NodePrototype: Record<string, SinonSpy>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper = require('node-red-node-test-helper') as NodeTestHelper;
// The checkout's Node-RED, or the one SEQR_NODE_RED_PATH names (see node-red-runtime.ts).
helper.init(resolveFromNodeRed('node-red'));

/**
 * Every test's runtime gets a user directory of its own, where the configuration nodes keep their payment
 * ledgers: a test starts with no open invoice a test before it left (within a test, redeploys share it).
 */
const USER_DIRS = mkdtempSync(path.join(tmpdir(), 'seqr-test-userdirs-'));
let userDirCount = 0;
/** The user directory of the current test's runtime. */
export let testUserDir = '';
beforeEveryTest(() => {
  testUserDir = path.join(USER_DIRS, String(++userDirCount));
  mkdirSync(testUserDir);
  helper.settings({ userDir: testUserDir });
});
process.once('exit', () => rmSync(USER_DIRS, { recursive: true, force: true }));

const LOCALES = path.join(__dirname, '..', '..', 'nodes', 'locales', 'en-US');
const CATALOGS: Record<string, Record<string, unknown>> = Object.fromEntries(
  readdirSync(LOCALES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [path.basename(file, '.json'), JSON.parse(readFileSync(path.join(LOCALES, file), 'utf8')) as Record<string, unknown>]),
);

function lookup(catalog: Record<string, unknown> | undefined, key: string): string | undefined {
  let value: unknown = catalog;
  for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return typeof value === 'string' ? value : undefined;
}

/**
 * RED._ as the runtime does it for this package, from the en-US catalogs: `key` in the calling node's catalog
 * (keys start with the node type, so any catalog will do), or `<module>/<set>:key`; `__name__` filled from
 * `params`. The test helper's RED._ returns the key; this one lets tests read real sentences, and a missing
 * key fails the test. Core keys (`node-red:…`, and a core node's own such as `mqtt.state.connected`) come back
 * unchanged.
 */
export function translate(key: string, params: Record<string, unknown> = {}): string {
  if (key.startsWith('node-red:')) return key;
  const colon = key.lastIndexOf(':');
  // A core node's own key (mqtt.state.connected): the core catalogs are not loaded here.
  if (colon < 0 && !key.startsWith('seqr-')) return key;
  const text =
    colon >= 0
      ? lookup(CATALOGS[key.slice(0, colon).split('/').pop() ?? ''], key.slice(colon + 1))
      : Object.values(CATALOGS).map((catalog) => lookup(catalog, key)).find((found) => found !== undefined);
  if (text === undefined) throw new Error(`missing i18n key ${key}`);
  return text.replace(/__(\w+)__/g, (_all, name: string) => String(params[name] ?? ''));
}

type NodeModule = (RED: Record<string, unknown>) => unknown;

/** The hooks of the runtime under test (@node-red/util's, the module its nodes trigger). */
const RUNTIME_HOOKS = (requireFromNodeRed('@node-red/util') as { hooks: unknown }).hooks;

/** Loads a module under nodes/ with the real catalogs behind RED._ (see translate). */
function nodeModule(file: string): NodeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const register = require(path.join('..', '..', 'nodes', file)) as NodeModule;
  return (RED) => {
    RED._ = translate;
    // The helper's RED lacks the runtime's hooks and version, which a real runtime hands every node module
    // (copyErrorCodeOnOldRuntimes needs both on Node-RED before 4.1): the chosen runtime's own.
    RED.hooks ??= RUNTIME_HOOKS;
    RED.version ??= () => NODE_RED_VERSION;
    return register(RED);
  };
}

/** The modules Node-RED loads for this package's nodes (the one-line files under nodes/, requiring dist/). */
export const NODE_MODULES = {
  config: nodeModule('seqr-config.js'),
  sendInvoice: nodeModule('seqr-send-invoice.js'),
  paymentStatus: nodeModule('seqr-payment-status.js'),
  refund: nodeModule('seqr-refund.js'),
  cancelInvoice: nodeModule('seqr-cancel-invoice.js'),
  api: nodeModule('seqr-api.js'),
  notification: nodeModule('seqr-notification.js'),
};

/**
 * The test helper gives the runtime an express app for HTTP-in nodes (RED.httpNode) but serves only the admin
 * app: load `module` with the flow (a "node module" that takes hold of RED.httpNode on each load), and this
 * server, started on a loopback port, serves it at `url`.
 */
export class HttpNodeServer {
  private app: http.RequestListener | undefined;
  private readonly server = http.createServer((req, res) => {
    if (this.app) this.app(req, res);
    else res.writeHead(503).end();
  });
  url = '';
  readonly module = (RED: Record<string, unknown>): void => {
    this.app = RED.httpNode as http.RequestListener;
  };

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** How many routes the app has for `path` (express 4 keeps them in _router.stack). */
  routeCount(path: string): number {
    const stack = (this.app as unknown as { _router?: { stack: Array<{ route?: { path: string } }> } } | undefined)?._router?.stack ?? [];
    return stack.filter((layer) => layer.route?.path === path).length;
  }

  /** After an unload: the next load brings its own app. */
  forget(): void {
    this.app = undefined;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The tab every test flow lives on (Catch, Status and Complete nodes need one). */
export const TAB: FlowNode = { id: 'tab1', type: 'tab', label: 'test' };

/**
 * The next message `node` (a `helper` node) receives, checked by `check`: a failed assertion rejects the
 * promise with that failure instead of leaving the test to time out.
 */
export function nextMessage<T = Record<string, unknown>>(node: TestNode, check: (msg: T) => void = () => undefined, timeoutMs = 15_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no message reached ${node.id} within ${timeoutMs} ms`));
    }, timeoutMs);
    function onInput(msg: T): void {
      clearTimeout(timer);
      node.removeListener('input', onInput);
      try {
        check(msg);
        resolve(msg);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    node.on('input', onInput as (...args: never[]) => void);
  });
}

/** Every message `node` receives from now on (check it after the awaited events). */
export function collect<T = Record<string, unknown>>(node: TestNode): T[] {
  const received: T[] = [];
  node.on('input', ((msg: T) => received.push(msg)) as (...args: never[]) => void);
  return received;
}

/**
 * The arguments of each call of `method` (status, error, warn, log…) made by this node. The helper spies on
 * Node.prototype, so `node.status.args` would hold every node's calls.
 */
export function callsOf(node: TestNode, method: 'status' | 'error' | 'warn' | 'log' | 'debug' | 'send'): unknown[][] {
  return helper._NodePrototype[method].getCalls().filter((call) => call.thisValue === node).map((call) => call.args);
}

/** Every argument ever passed to the runtime log and to any node's status/log/warn/error, as text. */
export function everythingLogged(): string {
  const calls: unknown[][] = [];
  const logSpy = helper.log();
  if (logSpy) calls.push(...logSpy.args);
  for (const method of ['status', 'log', 'warn', 'error', 'debug', 'trace']) {
    const spy = helper._NodePrototype[method];
    if (spy?.args) calls.push(...spy.args);
  }
  return calls.map((args) => args.map(asText).join(' ')).join('\n');
}

/** Text of a value for secret checks: JSON with an Error's own and inherited text fields. */
export function asText(value: unknown): string {
  if (value instanceof Error) {
    return JSON.stringify({ ...value, name: value.name, message: value.message, stack: value.stack, cause: asText(value.cause) });
  }
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? asText(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A flow for one node under test (`node`, id and type given, output wired to helper "out") with its
 * configuration, a Catch node for the whole tab wired to helper "caught", and `extra` nodes. All on the canvas
 * (with x/y), so that Catch nodes see them.
 */
export function oneNodeFlow(config: FlowNode, node: FlowNode, extra: FlowNode[] = []): FlowNode[] {
  const placed = (n: FlowNode): FlowNode => ({ x: 100, y: 100, z: TAB.id, ...n });
  return [
    TAB,
    config,
    placed({ wires: [['out']], ...node }),
    placed({ id: 'out', type: 'helper' }),
    // Not id 'catch': an id equal to a type reads as a config-node reference to Node-RED's flow parser.
    placed({ id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] }),
    placed({ id: 'caught', type: 'helper' }),
    ...extra.map((n) => (n.x === undefined ? n : placed(n))),
  ];
}

/** What a oneNodeFlow's node `id` sends out for `msg`. */
export function passedThrough<T = Record<string, unknown>>(id: string, msg: Record<string, unknown>): Promise<T> {
  const out = nextMessage<T>(helper.getNode('out'));
  helper.getNode(id).receive(msg);
  return out;
}

/** What a oneNodeFlow's Catch node gets for `msg` sent into `id`, checking that nothing came out meanwhile. */
export async function caughtFrom<T extends { error?: { source?: { id: string } } }>(id: string, msg: Record<string, unknown>, quietMs = 150): Promise<T> {
  const outputs = collect(helper.getNode('out'));
  const caught = nextMessage<T>(helper.getNode('caught'));
  helper.getNode(id).receive(msg);
  const error = await caught;
  await pause(quietMs);
  if (outputs.length !== 0) throw new Error(`${id} sent ${outputs.length} message(s) on although it failed`);
  if (error.error?.source?.id !== id) throw new Error(`the error came from ${error.error?.source?.id}, not ${id}`);
  return error;
}
