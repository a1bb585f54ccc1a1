/**
 * The demo as a user starts it (`npm start` = `npm run build` + `node dist/demo/start.js`), in a child process
 * on free ports (port 0) with a throwaway user directory, for the browser tests. It resolves once the demo
 * prints its three URLs; `stop()` sends SIGINT (the user's Ctrl-C) and waits for the exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const START_SCRIPT = path.join(REPO_ROOT, 'dist', 'demo', 'start.js');

/** What the demo prints once it is ready (the README shows the same). */
const READY = /SEQR demo is running:\s+Editor:\s+(\S+)\s+Till:\s+(\S+)\s+Payer app:\s+(\S+)\s+Press Ctrl-C to stop\./;

export class DemoProcess {
  readonly userDir = mkdtempSync(path.join(tmpdir(), 'seqr-demo-'));
  editorUrl = '';
  tillUrl = '';
  payerAppUrl = '';
  /** stdout and stderr together, for failure messages. */
  output = '';
  private child: ChildProcess | undefined;

  /** Starts the demo and resolves once it printed its URLs. */
  start(timeoutMs = 60_000): Promise<void> {
    if (!existsSync(START_SCRIPT)) {
      return Promise.reject(new Error(`${START_SCRIPT} is missing: run \`npm run build\` first (npm test does)`));
    }
    const child = spawn(process.execPath, [START_SCRIPT], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SEQR_DEMO_HOST: '127.0.0.1',
        SEQR_DEMO_EDITOR_PORT: '0',
        SEQR_DEMO_EMULATOR_PORT: '0',
        SEQR_DEMO_USERDIR: this.userDir,
      },
    });
    this.child = child;
    let stdout = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not print its URLs within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        this.output += chunk.toString();
        const ready = READY.exec(stdout);
        if (ready && !this.editorUrl) {
          [, this.editorUrl, this.tillUrl, this.payerAppUrl] = ready;
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.editorUrl) reject(new Error(`the demo exited (${code ?? signal}) before it was ready:\n${this.tail()}`));
      });
    });
  }

  /** The last lines it printed. */
  tail(): string {
    return this.output.slice(-4000);
  }

  /** Ctrl-C, as a user stops it; resolves with the exit code (SIGKILL after the grace period). */
  async stop(graceMs = 20_000): Promise<number | null> {
    const child = this.child;
    this.child = undefined;
    try {
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      return await new Promise<number | null>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', (code) => {
          clearTimeout(kill);
          resolve(code);
        });
        child.kill('SIGINT');
      });
    } finally {
      rmSync(this.userDir, { recursive: true, force: true });
    }
  }
}
