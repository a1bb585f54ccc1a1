import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator';
import { SeqrClient } from '../../src/seqr';
import { helper } from './node-red';

/** What a node test's hooks set up: the emulator and a client of the test's terminal on it. */
export interface NodeTestEmulator {
  readonly emu: EmulatorHandle;
  readonly client: SeqrClient;
}

/**
 * Mocha hooks for a node test in the current describe: an emulator on a free loopback port with `terminal` (a
 * webshop terminal: many open invoices), a client for that terminal, and the test helper's server; each test's
 * flow is unloaded after it, and everything stops after the last test.
 */
export function emulatorForNodeTests(terminal: { id: string; password: string }, options: EmulatorOptions = {}): NodeTestEmulator {
  let emu: EmulatorHandle | undefined;
  let client: SeqrClient | undefined;
  before(async function () {
    emu = await startEmulator({ port: 0, ...options, terminals: [{ ...terminal, type: 'webshop' }] });
    client = new SeqrClient({ endpoint: emu.url, principal: { type: 'TERMINALID', ...terminal } });
    await helper.startServer();
  });
  after(async function () {
    await helper.stopServer();
    client?.close();
    await emu?.stop();
  });
  afterEach(async function () {
    await helper.unload();
  });
  return {
    get emu() {
      if (!emu) throw new Error('the emulator starts in the before hook');
      return emu;
    },
    get client() {
      if (!client) throw new Error('the client is made in the before hook');
      return client;
    },
  };
}
