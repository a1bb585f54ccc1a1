/**
 * sax, the streaming XML parser soap already depends on: small, long maintained, no native code, and strict mode
 * rejects malformed XML instead of guessing. It ships no types; the part this package uses is declared here.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const sax = require('sax') as {
  parser(strict: boolean, options?: { trim?: boolean; position?: boolean }): SaxParser;
};

export interface SaxParser {
  /** Without the xmlns option: `name` is the qualified name as written, `attributes` map names to values. */
  onopentag: (tag: { name: string; attributes: Record<string, string> }) => void;
  onclosetag: (name: string) => void;
  ontext: (text: string) => void;
  oncdata: (text: string) => void;
  onerror: (err: Error) => void;
  write(xml: string): SaxParser;
  close(): SaxParser;
}
