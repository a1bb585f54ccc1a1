import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator';
import type { EmulatorOptions } from '../../src/emulator';
import { SeqrClient, type SeqrClientOptions } from '../../src/seqr/client';
import { SeqrError } from '../../src/seqr/errors';
import { buildInvoice, type InvoiceInput } from '../../src/seqr/invoice';
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

/** An invoice in SEK from friendly input. */
export function invoice(input: number | string | InvoiceInput = '100.00'): SeqrInvoice {
  return buildInvoice(input, { currency: 'SEK', title: 'Test purchase' });
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

/**
 * Waits until `check` passes (for the emulator's timers: acknowledgement window, expiry, commit timeout). Give
 * every assert.ok in a check a message: without one, Node's assert parses the caller's source to describe the
 * failure, which takes seconds per call on transpiled test files and starves the event loop.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
