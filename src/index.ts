/**
 * @seqr-flows/node-red-seqr as a library: the SEQR client, invoice building, QR helpers, the payment watcher
 * and the emulator, usable from any TypeScript or JavaScript program (the Node-RED nodes are built on the same parts).
 */
export * from './seqr';
export * from './watcher';
export {
  startEmulator,
  type EmulatorHandle,
  type EmulatorOptions,
  type SeededTerminal,
  type TerminalType,
  type PayerApi,
  type PayerInvoiceView,
  type PayOptions,
  type ScanOptions,
  type LoyaltyTokenInput,
} from './emulator';
