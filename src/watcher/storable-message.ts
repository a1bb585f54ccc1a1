/**
 * Turns a live Node-RED message into a JSON-safe copy that any context store (memory, localfilesystem,
 * Redis) can hold, and back. A top-level property is kept whole or not at all: a half-stored `msg.res`
 * (its wrapper object without the socket inside) would break an `http response` node worse than a
 * missing one, so anything that cannot be stored exactly (functions, sockets and other class instances,
 * circular references, symbols, bigints, NaN) drops its whole top-level property, which is then named in
 * `lost`. Buffers and Dates survive the trip (as base64 and ISO text, restored on the way back).
 */

export interface StoredMessage {
  /** The JSON-safe copy: plain objects, arrays, strings, finite numbers, booleans and null only. */
  message: Record<string, unknown>;
  /** Top-level properties left out because they could not be stored. */
  lost: string[];
  /** Where the copy holds a Buffer (base64) or a Date (ISO text) to restore. */
  revive: Array<{ path: Array<string | number>; type: 'Buffer' | 'Date' }>;
}

const MAX_DEPTH = 64;

class Unstorable extends Error {}

export function toStorable(msg: object): StoredMessage {
  const message: Record<string, unknown> = {};
  const lost: string[] = [];
  const revive: StoredMessage['revive'] = [];
  for (const key of Object.keys(msg)) {
    const value = (msg as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const found: StoredMessage['revive'] = [];
    try {
      message[key] = copy(value, [key], new Set(), found);
      revive.push(...found);
    } catch (err) {
      if (!(err instanceof Unstorable)) throw err;
      lost.push(key);
    }
  }
  return { message, lost, revive };
}

/** A fresh live message from a stored one (the stored copy is not modified). */
export function fromStorable(stored: StoredMessage): Record<string, unknown> {
  const message = structuredClone(stored.message);
  for (const { path, type } of stored.revive) {
    let parent: Record<string | number, unknown> | undefined = message;
    for (let i = 0; i < path.length - 1 && parent; i++) {
      parent = parent[path[i]] as Record<string | number, unknown> | undefined;
    }
    const last = path[path.length - 1];
    if (!parent || typeof parent[last] !== 'string') continue;
    parent[last] = type === 'Buffer' ? Buffer.from(parent[last] as string, 'base64') : new Date(parent[last] as string);
  }
  return message;
}

function copy(value: unknown, path: Array<string | number>, ancestors: Set<object>, revive: StoredMessage['revive']): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Unstorable();
      return value;
    case 'object':
      break;
    default:
      // function, symbol, bigint (undefined is handled by the callers)
      throw new Unstorable();
  }
  if (value === null) return null;
  if (ancestors.has(value) || path.length > MAX_DEPTH) throw new Unstorable();
  if (Buffer.isBuffer(value)) {
    revive.push({ path: [...path], type: 'Buffer' });
    return value.toString('base64');
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Unstorable();
    revive.push({ path: [...path], type: 'Date' });
    return value.toISOString();
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return value.map((item, index) => (item === undefined ? null : copy(item, [...path, index], ancestors, revive)));
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) throw new Unstorable();
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = copy(item, [...path, key], ancestors, revive);
    }
    return out;
  } finally {
    ancestors.delete(value);
  }
}
