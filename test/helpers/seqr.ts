import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator';
import type { EmulatorOptions } from '../../src/emulator';
import { SeqrClient, type SeqrClientOptions } from '../../src/seqr/client';
import { SeqrError } from '../../src/seqr/errors';
import { buildInvoice, type AmountInput, type InvoiceInput } from '../../src/seqr/invoice';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL, type SeqrInvoice } from '../../src/seqr/types';
import { assertNoSecret } from './loopback';

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** An emulator on a free loopback port with a terminal client and a reseller client; `stop` cleans up all. */
export interface Rig {
  emu: Emulator;
  terminal: SeqrClient;
  reseller: SeqrClient;
  /** Another client on this emulator (closed by stop). */
  client(options: Partial<SeqrClientOptions> & Pick<SeqrClientOptions, 'principal'>): SeqrClient;
  stop(): Promise<void>;
}

export async function startRig(options: EmulatorOptions = {}): Promise<Rig> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  const clients: SeqrClient[] = [];
  const client = (more: Partial<SeqrClientOptions> & Pick<SeqrClientOptions, 'principal'>) => {
    const made = new SeqrClient({ endpoint: emu.url, ...more });
    clients.push(made);
    return made;
  };
  const terminal = client({ principal: { type: 'TERMINALID', ...PUBLIC_TEST_TERMINAL } });
  const reseller = client({ principal: { type: 'RESELLERUSER', ...PUBLIC_TEST_RESELLER } });
  return {
    emu,
    terminal,
    reseller,
    client,
    async stop() {
      for (const made of clients) made.close();
      await emu.stop();
    },
  };
}

/**
 * The tests' invoice: built by the package from friendly input (SEK, titled "Test purchase" unless `input`
 * says otherwise), then `wire` fields laid over it as they go on the wire (for invoices buildInvoice would
 * refuse). The emulator tests start from COFFEE (emulator.ts).
 */
export function invoice(input: AmountInput | InvoiceInput = '100.00', wire: Partial<SeqrInvoice> = {}): SeqrInvoice {
  return { ...buildInvoice(input, { currency: 'SEK', title: 'Test purchase' }), ...wire };
}

/** Awaits a SeqrError with `code` (and checks that it repeats none of the secrets). */
export async function seqrError(promise: Promise<unknown>, code: number, ...secrets: string[]): Promise<SeqrError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof SeqrError, `expected SeqrError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  // (The reseller's "1234" is too short to look for: any stack trace line number could contain it.)
  assertNoSecret(caught, PUBLIC_TEST_TERMINAL.password, ...secrets);
  return caught;
}
