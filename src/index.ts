/**
 * @seqr-flows/node-red-seqr as a library: the SEQR client, invoice building, QR helpers, the payment watcher
 * the emulator and a loopback ESC/POS receipt printer (src/pos), usable from any TypeScript or JavaScript program (the Node-RED nodes are built on the same parts).
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
export { startEscPosCapture, decodeEscPos, printout, DEFAULT_PRINTER_PORT, type EscPosCapture, type EscPosCaptureOptions, type EscPosEvent, type PrintJob } from './pos';
