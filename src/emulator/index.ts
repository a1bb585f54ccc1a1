/** The SEQR emulator: SEQR's merchant SOAP service, the payer side as JSON, and fault injection. */
export { startEmulator, type EmulatorHandle } from './server';
export type { EmulatorOptions, SeededTerminal, TerminalType } from './options';
export type { PayerApi, PayerInvoiceView, PayOptions, ScanOptions, LoyaltyTokenInput } from './payer';
export { EmulatorCore } from './core';
