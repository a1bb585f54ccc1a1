/**
 * `npm start` (= `npm run build && node dist/demo/start.js`): the whole payment on one machine. Starts the
 * SEQR emulator (with the payer app at /app), a loopback ESC/POS receipt printer that logs what it prints
 * (port 9100, SEQR_DEMO_PRINTER_PORT) and Node-RED (4, or SEQR_DEMO_NODE_RED) embedded in this process, with a private user
 * directory, this package loaded from the checkout (nodesDir) and Dashboard 2.0 from node_modules, deploys
 * the till (examples/20 Till dashboard.json on a tab of its own) on the first start, and prints the URLs.
 * SIGINT/SIGTERM stop Node-RED (every node closes), the HTTP server and the emulator, then exit 0.
 *
 * Everything runs in this one process, so there is no child to orphan; the browser tests start it as
 * `node dist/demo/start.js` and read the URLs from stdout, where nothing else is written (Node-RED's log and
 * the emulator's go to stderr).
 *
 * Choices (README "Try it"):
 * - A second start keeps the user directory as the user left it: edited or deleted flows stay so. Only a start
 *   without a flows file deploys the till. Delete the user directory to start over, or import the till again
 *   from Import ▸ Examples.
 * - The till's configuration node has the endpoint `${SEQR_DEMO_ENDPOINT}` (Node-RED substitutes environment
 *   variables in node properties when it creates the node); this launcher sets that variable to the running
 *   emulator's address each start, so the flows follow SEQR_DEMO_EMULATOR_PORT (and port 0) without an edit.
 * - The terminal's credentials (SEQR's public test terminal) go in through a deploy, so that Node-RED stores
 *   them its own way: encrypted in flows_cred.json with the demo's credentialSecret, never in flows.json.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type NodeRed from 'node-red';
import { startEmulator, type EmulatorHandle } from '../emulator';
import { printout, startEscPosCapture, type EscPosCapture } from '../pos';

/**
 * The Node-RED the demo embeds: the checkout's (the `node-red` devDependency), or the install that
 * SEQR_DEMO_NODE_RED names (its package directory), so that the till can be tried, and tested, on another major
 * (scripts/test-node-red-5.sh). Dashboard 2.0 must be installed beside that Node-RED: Node-RED finds palette
 * modules in the node_modules that holds its own core nodes.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RED = require(process.env.SEQR_DEMO_NODE_RED ? path.resolve(process.env.SEQR_DEMO_NODE_RED) : 'node-red') as typeof NodeRed;

/** The checkout this file runs from (dist/demo/start.js or src/demo/start.ts). */
const CHECKOUT = path.resolve(__dirname, '..', '..');
/** The till flow: the example a user imports is the flow the demo deploys. */
export const TILL_EXAMPLE = path.join(CHECKOUT, 'examples', '20 Till dashboard.json');
/** The environment variable the till's configuration node takes its endpoint from. */
export const ENDPOINT_VARIABLE = 'SEQR_DEMO_ENDPOINT';
/** The tab the demo puts the till on. */
export const TILL_TAB_ID = '5e9a7d1100000000';
/** Where Dashboard 2.0 serves the till page (ui-base path + ui-page path in the example). */
const TILL_PATH = '/dashboard/till';
/** The customer display, the second page of the till's dashboard (a screen facing the customer). */
const CUSTOMER_DISPLAY_PATH = '/dashboard/customer';

export interface DemoOptions {
  host: string;
  editorPort: number;
  emulatorPort: number;
  /** The loopback ESC/POS receipt printer (examples 11 and 12 print there); 0 picks a free port. */
  printerPort: number;
  userDir: string;
}

/** A running demo: its addresses and how to stop it. */
export interface RunningDemo {
  editorUrl: string;
  tillUrl: string;
  customerDisplayUrl: string;
  payerAppUrl: string;
  /** True when this start deployed the till (no flows file in the user directory before). */
  deployedTill: boolean;
  stop(): Promise<void>;
}

type FlowNode = Record<string, unknown> & { id: string; type: string };
/** Node-RED's express apps as plain request handlers (an express app is one). */
type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;

function port(value: string | undefined, variable: string, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number > 65535) throw new Error(`${variable} must be a TCP port (0 for a free one), not "${value}"`);
  return number;
}

/** The options from SEQR_DEMO_HOST, SEQR_DEMO_EDITOR_PORT, SEQR_DEMO_EMULATOR_PORT, SEQR_DEMO_PRINTER_PORT and SEQR_DEMO_USERDIR. */
export function demoOptions(env: NodeJS.ProcessEnv = process.env): DemoOptions {
  return {
    host: env.SEQR_DEMO_HOST?.trim() || '127.0.0.1',
    editorPort: port(env.SEQR_DEMO_EDITOR_PORT, 'SEQR_DEMO_EDITOR_PORT', 1880),
    emulatorPort: port(env.SEQR_DEMO_EMULATOR_PORT, 'SEQR_DEMO_EMULATOR_PORT', 8090),
    printerPort: port(env.SEQR_DEMO_PRINTER_PORT, 'SEQR_DEMO_PRINTER_PORT', 9100),
    userDir: path.resolve(env.SEQR_DEMO_USERDIR?.trim() || path.join(CHECKOUT, 'demo', 'userdir')),
  };
}

/** The till example as the demo deploys it: on its own tab, the endpoint taken from ENDPOINT_VARIABLE. */
export function tillFlow(): FlowNode[] {
  const example = JSON.parse(readFileSync(TILL_EXAMPLE, 'utf8')) as FlowNode[];
  const tab: FlowNode = { id: TILL_TAB_ID, type: 'tab', label: 'SEQR till', disabled: false, info: 'The till of `npm start`: examples/20 Till dashboard.json.' };
  return [
    tab,
    ...example.map((node): FlowNode => {
      const copy: FlowNode = { ...node };
      if (node.x !== undefined) copy.z = TILL_TAB_ID; // nodes on the canvas; config nodes stay global
      if (node.type === 'seqr-config') copy.endpoint = `\${${ENDPOINT_VARIABLE}}`;
      return copy;
    }),
  ];
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server, portNumber: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(portNumber, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** A failure to listen, told with the variable that changes the port (a second demo, or another program). */
function listenError(err: Error, what: string, host: string, portNumber: number, variable: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return err;
  const reason = code === 'EADDRINUSE' ? 'is in use' : code === 'EACCES' ? 'is not allowed' : 'is not an address of this machine';
  return new Error(`${what} cannot listen on ${hostInUrl(host)}:${portNumber}: it ${reason}. Set ${variable} (0 picks a free port) or SEQR_DEMO_HOST.`);
}

/**
 * The receipt printer of the demo: the ESC/POS capture server, which writes what it would have printed (the
 * receipt, the cut, the drawer kick) to the log. Optional: with its port taken the demo runs without it.
 */
async function startPrinter(options: DemoOptions): Promise<EscPosCapture | undefined> {
  try {
    const printer = await startEscPosCapture({ host: options.host, port: options.printerPort });
    printer.on('job', (job) => logLine(`${job.receivedAt.toISOString()} [printer] ${job.bytes.length} bytes:\n${printout(job.events)}`));
    logLine(`seqr demo: the receipt printer (ESC/POS capture) listens on ${hostInUrl(options.host)}:${printer.port}`);
    return printer;
  } catch (err) {
    logLine(`seqr demo: no receipt printer on ${hostInUrl(options.host)}:${options.printerPort} (${(err as Error).message}); set SEQR_DEMO_PRINTER_PORT`);
    return undefined;
  }
}

/** Writes a line to stderr (the demo's log; stdout is for the URLs). */
function logLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Starts the emulator and Node-RED, deploys the till if the user directory has no flows yet, and resolves once
 * everything answers. Node-RED can be initialised once per process: call this once.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  mkdirSync(options.userDir, { recursive: true });
  const flowsFile = path.join(options.userDir, 'flows.json');
  const firstStart = !existsSync(flowsFile);

  const emulator: EmulatorHandle = await startEmulator({
    host: options.host,
    port: options.emulatorPort,
    log: (line) => logLine(`${new Date().toISOString()} [emulator] ${line}`),
  }).catch((err: Error) => {
    throw listenError(err, 'the emulator', options.host, options.emulatorPort, 'SEQR_DEMO_EMULATOR_PORT');
  });
  process.env[ENDPOINT_VARIABLE] = emulator.url;
  const printer = await startPrinter(options);

  // Node-RED's two express apps on one server, as its own red.js mounts them when both roots are "/".
  const server = http.createServer((req, res) => {
    const [admin, nodes] = [RED.httpAdmin, RED.httpNode] as unknown as RequestHandler[];
    const notFound = (err?: unknown) => {
      res.statusCode = err ? 500 : 404;
      res.end(err ? 'Internal error' : 'Not found');
    };
    admin(req, res, (err) => (err ? notFound(err) : nodes(req, res, notFound)));
  });
  let started = false;
  const stop = async () => {
    if (started) await RED.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await emulator.stop();
    await printer?.stop();
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require(path.join(CHECKOUT, 'demo', 'settings.js')) as Record<string, unknown>;
    const editorPort = await listen(server, options.editorPort, options.host).catch((err: Error) => {
      throw listenError(err, 'Node-RED', options.host, options.editorPort, 'SEQR_DEMO_EDITOR_PORT');
    });
    // uiHost/uiPort only inform here (embedded, the server above listens); nodesDir loads this package.
    RED.init(server, { ...settings, uiHost: options.host, uiPort: editorPort, userDir: options.userDir, nodesDir: CHECKOUT });
    // RED.start() resolves before the flows file is loaded; the flows (the dashboard's socket.io with them)
    // run once 'flows:started' comes.
    // Flows that cannot start (a node type missing, e.g. after the user installed something) leave the
    // editor up, to fix them there: that state ends the wait too.
    const flowsStarted = new Promise<void>((resolve) => {
      const onRuntimeEvent = (event: { id?: string; payload?: { state?: string; text?: string } }) => {
        if (event.id !== 'runtime-state' || event.payload?.state !== 'stop') return;
        logLine(`seqr demo: Node-RED did not start the flows (${event.payload.text ?? 'stopped'}); see the editor`);
        settle();
      };
      const settle = () => {
        RED.events.off('flows:started', settle);
        RED.events.off('runtime-event', onRuntimeEvent);
        resolve();
      };
      RED.events.on('flows:started', settle);
      RED.events.on('runtime-event', onRuntimeEvent);
    });
    await RED.start();
    started = true;
    await flowsStarted;
    if (firstStart) {
      // A deploy, as the editor makes one: Node-RED takes the nodes' inline credentials out of the flow and
      // stores them encrypted (a flows file's inline credentials would be ignored). No separate set: {}.
      await RED.runtime.flows.setFlows({ flows: { flows: tillFlow(), credentials: {} } });
    }
    const editorUrl = `http://${hostInUrl(options.host)}:${editorPort}`;
    return { editorUrl: `${editorUrl}/`, tillUrl: `${editorUrl}${TILL_PATH}`, customerDisplayUrl: `${editorUrl}${CUSTOMER_DISPLAY_PATH}`, payerAppUrl: `${emulator.baseUrl}/app`, deployedTill: firstStart, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/** The lines the browser tests and users read: keep them exactly so. */
export function readyLines(demo: Pick<RunningDemo, 'editorUrl' | 'tillUrl' | 'customerDisplayUrl' | 'payerAppUrl'>): string {
  return [
    'SEQR demo is running:',
    `  Editor:     ${demo.editorUrl}`,
    `  Till:       ${demo.tillUrl}`,
    `  Customer:   ${demo.customerDisplayUrl}`,
    `  Payer app:  ${demo.payerAppUrl}`,
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** The command: start, print the URLs, stop on SIGINT/SIGTERM (a second signal while stopping forces exit 1). */
export function run(): void {
  let demo: Promise<RunningDemo>;
  try {
    demo = startDemo(demoOptions());
  } catch (err) {
    logLine(`seqr demo: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logLine(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logLine(`${signal}: stopping the SEQR demo`);
    demo.then((running) => running.stop()).then(
      () => process.exit(0),
      (err: Error) => {
        logLine(`seqr demo: ${err.message}`);
        process.exit(1);
      },
    );
  };
  // Listening from the start, so that a signal during startup also stops what has started.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  demo.then(
    (running) => {
      if (!stopping) process.stdout.write(readyLines(running));
    },
    (err: Error) => {
      logLine(`seqr demo: ${err.message}`);
      process.exit(1);
    },
  );
}

if (require.main === module) run();
