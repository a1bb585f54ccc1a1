/** Stand-ins for a till's hardware: a loopback ESC/POS receipt printer that records and decodes what it gets. */
export { decodeEscPos, printout, type EscPosEvent } from './escpos';
export { startEscPosCapture, DEFAULT_PRINTER_PORT, type EscPosCapture, type EscPosCaptureOptions, type PrintJob } from './escpos-capture';
