import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../src/emulator/cli';
import { payerCall, soapClient, call, COFFEE, terminalContext } from './helpers/emulator';
import { invoice } from './helpers/seqr';
import { eventually } from './helpers/time';

const CLI = path.join(__dirname, '..', 'src', 'emulator', 'cli.ts');

/** Starts the command in its own process (through tsx, from source) and collects what it prints. */
function spawnCli(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('seqr-emulator command', () => {
  it('starts on a free port with --port 0, prints the WSDL URL, auto-pays, and stops on SIGTERM', async function () {
    this.timeout(15000);
    const cli = spawnCli(['--port', '0', '--auto-pay', '20', '--ack-window', '5000']);
    try {
      await eventually(() => /WSDL: (\S+)/.test(cli.output()), 10000);
      const wsdlUrl = /WSDL: (\S+)/.exec(cli.output())?.[1] as string;
      assert.match(wsdlUrl, /^http:\/\/127\.0\.0\.1:\d+\/soap\/merchant\/cashregister-2\?wsdl$/);
      const wsdl = await (await fetch(wsdlUrl)).text();
      assert.ok(wsdl.includes(`location="${wsdlUrl.replace('?wsdl', '')}"`));
      assert.doesNotMatch(cli.output(), /12345678|1234\b/, 'no password printed');

      const client = await soapClient(wsdlUrl.replace('?wsdl', ''));
      const sent = await call(client, 'sendInvoice', { context: terminalContext(), invoice: invoice(COFFEE) });
      const baseUrl = new URL(wsdlUrl).origin;
      await eventually(async () => (await payerCall(baseUrl, '/payer/invoices')).json.length === 0);
      const status = await call(client, 'getPaymentStatus', { context: terminalContext(), invoiceReference: sent.invoiceReference, invoiceVersion: 0 });
      assert.equal(status.status, 'PAID');
      assert.match(cli.output(), new RegExp(`invoice ${sent.invoiceReference} ISSUED -> PAID`));

      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0);
      assert.match(cli.output(), /SIGTERM: stopping the SEQR emulator/);
      await assert.rejects(fetch(wsdlUrl));
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('stops on SIGINT too, and fails with a message on a bad option', async function () {
    this.timeout(15000);
    const cli = spawnCli(['--port', '0', '--quiet']);
    await eventually(() => cli.output().includes('WSDL:'), 10000);
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0);
    assert.match(cli.output(), /SIGINT: stopping the SEQR emulator/);

    const bad = spawnCli(['--port', 'eighty']);
    assert.equal(await bad.exited, 1);
    assert.match(bad.output(), /seqr-emulator: --port needs a whole number/);
  });

  it('is what bin/seqr-emulator.js runs once built', async function () {
    this.timeout(15000);
    const built = path.join(__dirname, '..', 'dist', 'emulator', 'cli.js');
    // `npm test` builds first; a bare `mocha` run on sources has no dist to run.
    if (!fs.existsSync(built)) this.skip();
    const bin = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'seqr-emulator.js'), '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    bin.stdout.on('data', (chunk) => (output += chunk));
    const code = await new Promise((resolve) => bin.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(output, /^Usage: seqr-emulator/);
  });

  it('parses its options with util.parseArgs (in process)', async () => {
    const lines: string[] = [];
    assert.equal(await main(['--help'], (line) => lines.push(line)), undefined);
    assert.match(lines[0], /^Usage: seqr-emulator \[--host 127\.0\.0\.1\] \[--port 8090\]/);
    await assert.rejects(main(['--port', '70000'], () => undefined), /--port needs a TCP port number/);
    await assert.rejects(main(['--ack-window', '1.5'], () => undefined), /--ack-window needs a whole number of milliseconds/);
    await assert.rejects(main(['--colour'], () => undefined), /Unknown option '--colour'/);
    const emulator = await main(['--port', '0', '--host', '127.0.0.1', '--processing', '5', '--quiet'], (line) => lines.push(line));
    try {
      assert.ok(emulator);
      assert.equal(emulator.core.options.processingMs, 5);
      assert.equal(emulator.core.options.log, undefined);
      assert.ok(lines.some((line) => line === `SEQR emulator ready. WSDL: ${emulator.wsdlUrl}`));
    } finally {
      await emulator?.stop();
    }
  });
});
