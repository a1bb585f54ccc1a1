/**
 * Reads the ESC/POS commands a till sends a receipt printer (Epson's command set, which most receipt printers
 * speak): text, the paper cut (GS V) and the drawer kick (ESC p), so that a capture server can show what a
 * printer would have done. Pure. Commands it does not know are reported with their first bytes, not guessed at.
 */

export type EscPosEvent =
  | { type: 'text'; text: string }
  /** ESC @: the printer's settings back to their defaults. */
  | { type: 'init' }
  /** GS V: cut the paper (`partial` leaves a point uncut); `feed` dots fed first (GS V 65/66 n). */
  | { type: 'cut'; partial: boolean; feed?: number }
  /** ESC p m t1 t2: a pulse on the drawer connector's pin 2 (m 0) or pin 5 (m 1), on and off times in ms. */
  | { type: 'drawer'; pin: 2 | 5; onMs: number; offMs: number }
  /** ESC d n: print and feed n lines. */
  | { type: 'feed'; lines: number }
  /** A command read and skipped (alignment, emphasis, code page, …), as hex. */
  | { type: 'command'; bytes: string }
  /** Bytes that are no command this reader knows: the rest of the job, as hex (at most 32 bytes of it). */
  | { type: 'unknown'; bytes: string };

const ESC = 0x1b;
const GS = 0x1d;
const LF = 0x0a;

/** ESC commands with one parameter byte this reader skips: a alignment, E emphasis, G double strike, ! print mode, - underline, t code page, 3 line spacing, M font. */
const ESC_ONE_PARAMETER = new Set([0x61, 0x45, 0x21, 0x2d, 0x74, 0x33, 0x4d, 0x47]);
/** GS commands with one parameter byte: ! character size, B reverse. */
const GS_ONE_PARAMETER = new Set([0x21, 0x42]);

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');

/**
 * The events in one print job. Text is decoded as Latin-1, which is what code page WPC1252 (ESC t 16) prints
 * for the letters of Swedish receipts (å, ä, ö); a job in another code page shows those bytes as Latin-1.
 */
export function decodeEscPos(job: Uint8Array): EscPosEvent[] {
  const events: EscPosEvent[] = [];
  let text: number[] = [];
  const flushText = () => {
    if (text.length > 0) events.push({ type: 'text', text: Buffer.from(text).toString('latin1') });
    text = [];
  };
  let at = 0;
  const unknown = () => {
    flushText();
    events.push({ type: 'unknown', bytes: hex(job.subarray(at, at + 32)) });
    at = job.length;
  };
  while (at < job.length) {
    const byte = job[at]!;
    if (byte === ESC || byte === GS) {
      flushText();
      const command = job[at + 1];
      if (command === undefined) {
        unknown();
      } else if (byte === ESC && command === 0x40) {
        events.push({ type: 'init' });
        at += 2;
      } else if (byte === ESC && command === 0x70 && at + 4 < job.length) {
        const m = job[at + 2]!;
        if (m !== 0 && m !== 1 && m !== 0x30 && m !== 0x31) {
          unknown();
          continue;
        }
        events.push({ type: 'drawer', pin: m === 0 || m === 0x30 ? 2 : 5, onMs: job[at + 3]! * 2, offMs: job[at + 4]! * 2 });
        at += 5;
      } else if (byte === ESC && command === 0x64 && at + 2 < job.length) {
        events.push({ type: 'feed', lines: job[at + 2]! });
        at += 3;
      } else if (byte === GS && command === 0x56 && at + 2 < job.length) {
        const m = job[at + 2]!;
        if (m === 0 || m === 0x30 || m === 1 || m === 0x31) {
          events.push({ type: 'cut', partial: m === 1 || m === 0x31 });
          at += 3;
        } else if ((m === 65 || m === 66) && at + 3 < job.length) {
          events.push({ type: 'cut', partial: m === 66, feed: job[at + 3]! });
          at += 4;
        } else {
          unknown();
        }
      } else if ((byte === ESC ? ESC_ONE_PARAMETER : GS_ONE_PARAMETER).has(command) && at + 2 < job.length) {
        events.push({ type: 'command', bytes: hex(job.subarray(at, at + 3)) });
        at += 3;
      } else {
        unknown();
      }
    } else if (byte === LF || byte === 0x0d || byte === 0x09 || byte >= 0x20) {
      text.push(byte);
      at++;
    } else {
      unknown();
    }
  }
  flushText();
  return events;
}

/** What the paper would show, for a log or a screen: the text, then a line for each cut and drawer kick. */
export function printout(events: readonly EscPosEvent[]): string {
  let out = '';
  const line = (marker: string) => {
    if (out !== '' && !out.endsWith('\n')) out += '\n';
    out += `${marker}\n`;
  };
  for (const event of events) {
    if (event.type === 'text') out += event.text.replace(/\r\n?/g, '\n');
    else if (event.type === 'feed') out += '\n'.repeat(event.lines);
    else if (event.type === 'cut') line(event.partial ? '--- partial cut ---' : '--- cut ---');
    else if (event.type === 'drawer') line(`[drawer kick: pin ${event.pin}, ${event.onMs} ms]`);
    else if (event.type === 'unknown') line(`[unknown bytes: ${event.bytes}]`);
  }
  return out;
}
