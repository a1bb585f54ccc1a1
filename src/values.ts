/** Checks of unknown values that every layer needs (the watch journal as well as the Node-RED adapters). */

const MAX_REFERENCE_LENGTH = 128;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** A SEQR reference (invoice or ERS): printable ASCII without spaces, 1 to 128 characters. */
export function isValidReference(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REFERENCE_LENGTH && /^[\x21-\x7e]+$/.test(value);
}
