/**
 * `npm start` as a user (and the tests) run it: `node dist/demo/start.js` in its own process, on free ports (0)
 * with the user directory it is given, read from its stdout. Shared by the launcher's test and the browser suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { NODE_RED_DIR, NODE_RED_VERSION, OTHER_NODE_RED, resolveFromNodeRed } from './node-red-runtime';

const REPO_ROOT = path.join(__dirname, '..', '..');
const START_JS = path.join(REPO_ROOT, 'dist', 'demo', 'start.js');
/** Generous: a cold start on a busy 2-core machine (about 2 s when idle). */
const START_TIMEOUT_MS = 45_000;

/**
 * Dashboard 2.0 as the Node-RED under test would load it: from the node_modules that holds its core nodes.
 * The demo embeds that Node-RED (SEQR_DEMO_NODE_RED); scripts/test-node-red-5.sh installs Dashboard 2.0 beside
 * Node-RED 5, so the demo's tests run there too.
 */
function dashboardBesideNodeRed(): boolean {
  try {
    resolveFromNodeRed('@flowfuse/node-red-dashboard/package.json');
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for the demo's tests: on the checkout's Node-RED, or on the one SEQR_NODE_RED_PATH names when
 * Dashboard 2.0 is installed beside it; otherwise skipped, with the reason in the title.
 */
export function describeDemo(title: string, suite: (this: Mocha.Suite) => void): void {
  if (OTHER_NODE_RED && !dashboardBesideNodeRed()) describe.skip(`${title} [skipped: no Dashboard 2.0 beside Node-RED ${NODE_RED_VERSION}]`, suite);
  else describe(title, suite);
}

export interface Urls {
  editor: string;
  till: string;
  customerDisplay: string;
  payerApp: string;
}

/** The launcher in a child process, with what it printed on stdout and stderr. */
export class Launcher {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(userDir: string, env: Record<string, string> = {}) {
    if (!existsSync(START_JS)) throw new Error('dist/demo/start.js is missing: run `npm run build` (npm test does)');
    this.child = spawn(process.execPath, [START_JS], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SEQR_DEMO_HOST: '127.0.0.1', SEQR_DEMO_EDITOR_PORT: '0', SEQR_DEMO_EMULATOR_PORT: '0', SEQR_DEMO_PRINTER_PORT: '0', SEQR_DEMO_USERDIR: userDir, ...(OTHER_NODE_RED ? { SEQR_DEMO_NODE_RED: NODE_RED_DIR } : {}), ...env },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the printed URLs once the ready lines are out. */
  ready(): Promise<Urls> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ready lines within ${START_TIMEOUT_MS} ms:\n${this.stdout}\n${this.stderr.slice(-3000)}`)), START_TIMEOUT_MS);
      const check = () => {
        const match = /^SEQR demo is running:\n {2}Editor: {5}(\S+)\n {2}Till: {7}(\S+)\n {2}Customer: {3}(\S+)\n {2}Payer app: {2}(\S+)\nPress Ctrl-C to stop\.\n/m.exec(this.stdout);
        if (match) done(undefined, { editor: match[1], till: match[2], customerDisplay: match[3], payerApp: match[4] });
      };
      const onExit = () => done(new Error(`the launcher exited before it was ready:\n${this.stdout}\n${this.stderr.slice(-3000)}`));
      const done = (err?: Error, urls?: Urls) => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(urls as Urls);
      };
      this.child.stdout?.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** The pids of the launcher's child processes (from /proc): the demo runs in one process and starts none. */
  children(): number[] {
    const pid = this.child.pid;
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          // Field 4 of /proc/<pid>/stat is the parent pid (after the command in parentheses).
          return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
        } catch {
          return false; // ended meanwhile
        }
      })
      .map(Number);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Ctrl-C as a user stops it (SIGINT), SIGKILL if it is still running after `graceMs`; resolves on exit. */
  async stop(graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const stuck = setTimeout(() => this.kill(), graceMs);
      this.child.kill('SIGINT');
      try {
        return await this.exited;
      } finally {
        clearTimeout(stuck);
      }
    }
    return this.exited;
  }
}
