import { randomBytes, randomInt } from 'node:crypto';
import { dateStamp, timeStamp } from './time';

/**
 * Makes SEQR-shaped identifiers: invoice references of 17 digits (date + counter), ERS references and
 * transaction period ids of 25 digits (timestamp + counter), terminal ids of 32 lower-case hex characters.
 */
export class IdFactory {
  private invoiceCounter: number;
  private ersCounter: number;

  constructor(now: Date = new Date()) {
    // Start from the time of day (×10) so that references stay unique across restarts of the emulator,
    // as long as fewer than ten invoices a millisecond are made.
    this.invoiceCounter = (now.getTime() % 86_400_000) * 10;
    this.ersCounter = randomInt(10_000_000);
  }

  invoiceReference(now: Date = new Date()): string {
    const counter = this.invoiceCounter++ % 1_000_000_000;
    return dateStamp(now) + String(counter).padStart(9, '0');
  }

  ersReference(now: Date = new Date()): string {
    const counter = this.ersCounter++ % 100_000_000;
    return timeStamp(now) + String(counter).padStart(8, '0');
  }

  terminalId(): string {
    return randomBytes(16).toString('hex');
  }

  /** The simulated payer's SEQR terminal id (25 hex characters, e.g. d613c5b8428d17248751bc101). */
  payerTerminalId(): string {
    return randomBytes(13).toString('hex').slice(0, 25);
  }
}
