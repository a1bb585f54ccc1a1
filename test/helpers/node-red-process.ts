/**
 * A real Node-RED (the `node-red` CLI) in a child process with a private userDir that loads this package
 * through `nodesDir`, for what test-helper cannot do: stopping the whole runtime (SIGTERM runs Node-RED's
 * own shutdown, which closes every node and flushes the context stores) and starting it again on the same
 * userDir. The package must be built (`npm run build`): Node-RED loads `nodes/*.js`, which require `dist/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveFromNodeRed } from './node-red-runtime';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The checkout's Node-RED, or the one SEQR_NODE_RED_PATH names. */
const RED_JS = resolveFromNodeRed('node-red/red.js');

export interface NodeRedOptions {
  flows: object[];
  /** Credentials by node id, written unencrypted (credentialSecret: false). */
  credentials?: Record<string, Record<string, string>>;
  /** More settings (JSON values), e.g. `adminAuth`; they override the defaults below. */
  settings?: Record<string, unknown>;
  /**
   * settings.js's `contextStorage`: by default a memory store plus a write-through `file` store; `false` leaves
   * the setting out altogether, as Node-RED's own settings.js does (every context in memory).
   */
  contextStorage?: Record<string, unknown> | false;
}

/** A persistent store that writes through, so a restart finds every open watch. */
const DEFAULT_CONTEXT_STORAGE = {
  default: { module: 'memory' },
  file: { module: 'localfilesystem', config: { cache: false } },
};

/** Users for `adminAuth` in tests, with bcrypt hashes (cost 8) of their passwords as settings.js holds them. */
export const TEST_USERS = {
  admin: { password: 'admin-test-pw', hash: '$2b$08$vhneLl0/UIJ22X.dy.6jCuwoEHIKobbGpbaoPQhPdEN7D/RPAAzAa', permissions: '*' },
  viewer: { password: 'viewer-test-pw', hash: '$2b$08$pGIxMtCIEYgZJD.YTiVbyubpwrWk28sKH2ZQFOMP6xv.V1QTAkM7G', permissions: 'read' },
} as const;

/** The `adminAuth` setting with TEST_USERS: an admin who may do everything and a viewer who may only read. */
export const TEST_ADMIN_AUTH = {
  type: 'credentials',
  users: Object.entries(TEST_USERS).map(([username, user]) => ({ username, password: user.hash, permissions: user.permissions })),
};

export class NodeRedProcess {
  readonly userDir: string;
  private child: ChildProcess | undefined;
  /** Everything the runtime printed, across restarts. */
  output = '';
  url = '';

  constructor(options: NodeRedOptions) {
    if (!existsSync(path.join(REPO_ROOT, 'dist', 'nodes'))) {
      throw new Error('dist/nodes is missing: run `npm run build` before this test');
    }
    this.userDir = mkdtempSync(path.join(tmpdir(), 'seqr-nr-'));
    const contextStorage = options.contextStorage ?? DEFAULT_CONTEXT_STORAGE;
    const settings = {
      uiHost: '127.0.0.1',
      flowFile: 'flows.json',
      credentialSecret: false,
      nodesDir: [REPO_ROOT],
      telemetry: { enabled: false },
      editorTheme: { tours: false, palette: { catalogues: [] } },
      logging: { console: { level: 'info', metrics: false, audit: false } },
      ...(contextStorage === false ? {} : { contextStorage }),
      ...options.settings,
    };
    writeFileSync(path.join(this.userDir, 'settings.js'), `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
    writeFileSync(path.join(this.userDir, 'flows.json'), JSON.stringify(options.flows, null, 2));
    writeFileSync(path.join(this.userDir, 'flows_cred.json'), JSON.stringify(options.credentials ?? {}, null, 2));
  }

  /** Starts the runtime and resolves once it listens and its flows have started. */
  /** Generous: a cold start of the CLI takes a few seconds when idle, many more on a loaded machine. */
  start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [RED_JS, '-u', this.userDir, '-s', path.join(this.userDir, 'settings.js'), '-p', '0'], {
      cwd: this.userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    this.child = child;
    // Only this start's output counts: after a restart the earlier run's "Started flows" is still in `output`.
    let since = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Node-RED did not start within ${timeoutMs} ms:\n${this.output.slice(-3000)}`));
      }, timeoutMs);
      let listening = false;
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        since += chunk.toString();
        const match = /Server now running at (http:\/\/127\.0\.0\.1:\d+)/.exec(since.slice(-2000));
        if (match) {
          listening = true;
          this.url = match[1];
        }
        if (listening && /Started flows/.test(since.slice(-2000))) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.on('data', (more: Buffer) => (this.output += more.toString()));
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!listening) reject(new Error(`Node-RED exited with ${code}:\n${this.output.slice(-3000)}`));
      });
    });
  }

  /** A test user's access token, as the editor's login gets it (POST /auth/token, asking for the user's permissions). */
  async token(user: keyof typeof TEST_USERS): Promise<string> {
    const response = await fetch(`${this.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope: TEST_USERS[user].permissions, username: user, password: TEST_USERS[user].password }),
    });
    if (response.status !== 200) throw new Error(`${user} could not log in: HTTP ${response.status}`);
    return String(((await response.json()) as { access_token: string }).access_token);
  }

  /** Node-RED's own shutdown (SIGTERM): closes every node and the context stores, then exits. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /** The running process's id (undefined when it is not running). */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /**
   * Sends `signal` at once (synchronously, before this returns its promise: a test can kill in the very tick it
   * sees something happen) and resolves when the process has exited: SIGKILL is a crash (`kill -9`, nothing
   * runs), SIGTERM Node-RED's own shutdown. Resolves with how it exited.
   */
  kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child?.exitCode ?? null, signal: child?.signalCode ?? null });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
    });
    child.kill(signal);
    return exited;
  }

  async dispose(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      this.child = undefined;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
    rmSync(this.userDir, { recursive: true, force: true });
  }
}
