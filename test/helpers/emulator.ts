import * as soap from 'soap';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../../src/emulator';
import type { InvoiceInput } from '../../src/seqr/invoice';
import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL, type SeqrInvoice } from '../../src/seqr/types';
import { WSDL_PATH } from '../../src/seqr/wsdl';
import { invoice } from './seqr';

/** Shared by the emulator tests: a plain `soap` client (an independent SOAP implementation) and raw posts. */

// What a SOAP answer carries is only known at run time; tests read it loosely and assert on it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Wire = any;

/** Keep decimals and dates as the text on the wire, so assertions see exactly what the emulator sent. */
const KEEP_TEXT = (value: string) => value;

export async function soapClient(url: string): Promise<soap.Client> {
  return soap.createClientAsync(WSDL_PATH, {
    endpoint: url,
    customDeserializer: { decimal: KEEP_TEXT, dateTime: KEEP_TEXT },
  });
}

/** Calls an operation and returns its `return` element. */
export async function call(client: soap.Client, operation: string, args: object): Promise<Wire> {
  const method = (client as unknown as Record<string, (a: object) => Promise<[Wire]>>)[`${operation}Async`];
  const [result] = await method.call(client, args);
  return result?.return;
}

export function terminalContext(id: string = PUBLIC_TEST_TERMINAL.id, password: string = PUBLIC_TEST_TERMINAL.password) {
  return { clientRequestTimeout: 0, initiatorPrincipalId: { id, type: 'TERMINALID' }, password };
}

export function resellerContext(password: string = PUBLIC_TEST_RESELLER.password) {
  return {
    clientRequestTimeout: 0,
    initiatorPrincipalId: { id: PUBLIC_TEST_RESELLER.id, type: 'RESELLERUSER', userId: PUBLIC_TEST_RESELLER.userId },
    password,
  };
}

/** The emulator tests' invoice (with `invoice` of seqr.ts): a coffee on a fixed date, with an order id and a cashier. */
export const COFFEE: InvoiceInput = {
  amount: '149.90',
  title: 'Coffee',
  clientInvoiceId: 'order-1',
  cashierId: 'Bob',
  issueDate: '2026-11-27T10:15:00',
  paymentMode: 'IMMEDIATE_DEBIT',
  acknowledgmentMode: 'NO_ACKNOWLEDGMENT',
};

/** An emulator plus a SOAP client for the public test terminal, and shortcuts for the common calls. */
export class Harness {
  private constructor(
    readonly emu: EmulatorHandle,
    readonly client: soap.Client,
  ) {}

  static async start(options: EmulatorOptions = {}): Promise<Harness> {
    const emu = await startEmulator(options);
    return new Harness(emu, await soapClient(emu.url));
  }

  call(operation: string, args: object): Promise<Wire> {
    return call(this.client, operation, args);
  }

  /** sendInvoice on a terminal (the public test terminal by default); returns the reference. */
  async send(overrides: Partial<SeqrInvoice> = {}, context: object = terminalContext(), tokens?: object[]): Promise<string> {
    const answer = await this.call('sendInvoice', { context, invoice: invoice(COFFEE, overrides), tokens });
    if (answer.resultCode !== 0) throw new Error(`sendInvoice answered ${answer.resultCode}`);
    return answer.invoiceReference;
  }

  status(invoiceReference: string, context: object = terminalContext(), invoiceVersion = 0): Promise<Wire> {
    return this.call('getPaymentStatus', { context, invoiceReference, invoiceVersion });
  }

  /** registerTerminal with the public reseller; returns a TERMINALID context for the new terminal. */
  async registerTerminal(password = 'till-secret-1', name = 'Till 4') {
    const answer = await this.call('registerTerminal', { context: resellerContext(), externalTerminalId: 'Store 1/Till 4', password, name });
    if (answer.resultCode !== 0) throw new Error(`registerTerminal answered ${answer.resultCode}`);
    return { terminalId: answer.terminalId as string, context: terminalContext(answer.terminalId, password) };
  }

  async stop(): Promise<void> {
    await this.emu.stop();
  }
}

/** POSTs raw text to a URL and returns status, content type and body. */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | null; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', SOAPAction: '""', ...headers }, body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

/** Calls the payer JSON API. */
export async function payerCall(baseUrl: string, path: string, body?: object): Promise<{ status: number; json: Wire }> {
  const response = await fetch(`${baseUrl}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}
