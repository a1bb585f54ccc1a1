import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorHandle } from './server';

const USAGE = `Usage: seqr-emulator [--host 127.0.0.1] [--port 8090] [--auto-pay <ms>] [--ack-window <ms>] [--processing <ms>] [--quiet]

Runs a SEQR merchant service emulator (SOAP) with a payer JSON API on one HTTP port.
  --host         interface to bind (default 127.0.0.1, loopback only)
  --port         TCP port (default 8090; 0 picks a free one)
  --auto-pay     the simulated payer pays every new invoice after this many ms
  --ack-window   a payment nobody fetches with getPaymentStatus within this many ms is reversed (default 20000)
  --processing   how long a payment stays "in progress" after the payer's PIN (default 0)
  --quiet        do not print invoice state changes`;

/** A whole number of milliseconds ≥ 0 from the command line. */
function milliseconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${option} needs a whole number of milliseconds, not "${value}"`);
  return Number(value);
}

/** Runs the command; resolves with the running emulator (tests and the bin script call it). */
export async function main(argv: string[] = process.argv.slice(2), out: (line: string) => void = console.log): Promise<EmulatorHandle | undefined> {
  // node's own util.parseArgs: built in, so the command needs no argument-parsing dependency.
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8090' },
      'auto-pay': { type: 'string' },
      'ack-window': { type: 'string' },
      processing: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    out(USAGE);
    return undefined;
  }
  const port = milliseconds(values.port, 'port');
  if (port === undefined || port > 65535) throw new Error(`--port needs a TCP port number, not "${values.port}"`);
  const emulator = await startEmulator({
    host: values.host,
    port,
    autoPayMs: milliseconds(values['auto-pay'], 'auto-pay'),
    ackWindowMs: milliseconds(values['ack-window'], 'ack-window'),
    processingMs: milliseconds(values.processing, 'processing'),
    log: values.quiet ? undefined : (line) => out(`${new Date().toISOString()} ${line}`),
  });
  out(`SEQR emulator ready. WSDL: ${emulator.wsdlUrl}`);
  out(`Also served at ${emulator.baseUrl}/extclientproxy/service/v2?wsdl; payer API: ${emulator.baseUrl}/payer/invoices`);
  out(`Payer app (the customer's phone): ${emulator.baseUrl}/app`);
  out('Seeded: terminal public_test_shop_terminal and reseller public_test_shop/9900 (SEQR\'s public test passwords)');
  return emulator;
}

function run(): void {
  const started = main();
  // Listening for the signals from the start: a test (or a user) that sends SIGINT the moment the ready line
  // appears must not find the default handler, which kills the process without stopping the emulator.
  const stop = (signal: string) => {
    console.log(`${signal}: stopping the SEQR emulator`);
    started.then((emulator) => emulator?.stop()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  started.catch((error: Error) => {
    console.error(`seqr-emulator: ${error.message}`);
    process.exitCode = 1;
  });
}

if (require.main === module) run();
export { run };
