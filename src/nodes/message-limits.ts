/**
 * How deep and how large a message the SEQR nodes take. Node-RED copies a message with lodash's recursive
 * cloneDeep (RED.util.cloneMessage) whenever a node reports an error for a Catch node, and for Complete nodes
 * and fan-out; a message nested a few thousand levels deep overflows the stack there and takes the whole
 * runtime down ("Maximum call stack size exceeded", an uncaught exception). So each SEQR node measures a
 * message before doing anything with it, without recursion and with a bounded number of steps, and refuses one
 * deeper than MAX_MESSAGE_DEPTH or holding more than MAX_MESSAGE_VALUES values (input-lifecycle.ts reports it
 * on a copy that leaves the offending properties out). No Node-RED here: plain values only.
 */

/** Levels of nesting a message property may have (msg.payload = { a: { b: 1 } } is 2). */
export const MAX_MESSAGE_DEPTH = 100;
/** Values (object properties and list items, nested ones included) a whole message may hold. */
export const MAX_MESSAGE_VALUES = 1_000_000;

/** A top-level message property the SEQR nodes refuse, and why. */
export interface OversizedProperty {
  property: string;
  problem: 'depth' | 'size';
}

/**
 * Object.prototype.toString tags of the values cloneDeep copies by walking into them (lodash's cloneable tags
 * that have children); it copies everything else whole (Buffers, typed arrays, dates) or not at all (errors,
 * functions, promises), so those add no depth.
 */
const WALKED_TAGS: ReadonlySet<string> = new Set(['[object Object]', '[object Array]', '[object Arguments]', '[object Map]', '[object Set]']);

function isWalked(value: unknown): value is object {
  return typeof value === 'object' && value !== null && WALKED_TAGS.has(Object.prototype.toString.call(value));
}

/** The values cloneDeep visits inside `value`, lazily (a list of millions is not copied to be measured). */
function* childrenOf(value: object): Generator<unknown> {
  if (value instanceof Map || value instanceof Set) {
    yield* value.values();
    return;
  }
  if (Array.isArray(value)) {
    yield* value.values();
    return;
  }
  for (const key of Object.keys(value)) yield (value as Record<string, unknown>)[key];
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    if (Object.prototype.propertyIsEnumerable.call(value, symbol)) yield (value as Record<symbol, unknown>)[symbol];
  }
}

/**
 * Walks `value` depth first in cloneDeep's order (each object entered once, as cloneDeep's cycle map does), so
 * its depth is the recursion depth cloneDeep would reach; stops at the first limit crossed. `budget.left`
 * counts the values still allowed in the whole message.
 */
function problemOf(value: unknown, seen: Set<object>, budget: { left: number }): OversizedProperty['problem'] | undefined {
  if (!isWalked(value) || seen.has(value)) return undefined;
  seen.add(value);
  const path: Array<Iterator<unknown>> = [childrenOf(value)];
  while (path.length > 0) {
    const next = path[path.length - 1].next();
    if (next.done) {
      path.pop();
      continue;
    }
    budget.left -= 1;
    if (budget.left < 0) return 'size';
    const child = next.value;
    if (!isWalked(child) || seen.has(child)) continue;
    if (path.length >= MAX_MESSAGE_DEPTH) return 'depth';
    seen.add(child);
    path.push(childrenOf(child));
  }
  return undefined;
}

/**
 * The top-level properties of `msg` too deep or too large to copy safely; none for an ordinary message.
 * `req` and `res` (HTTP In's request and response) are left alone, as Node-RED's cloneMessage never copies
 * them. Once the message's value budget is spent, every property not yet measured counts as too large.
 */
export function oversizedProperties(msg: object): OversizedProperty[] {
  const found: OversizedProperty[] = [];
  const seen = new Set<object>([msg]);
  const budget = { left: MAX_MESSAGE_VALUES };
  for (const property of Object.keys(msg)) {
    if (property === 'req' || property === 'res') continue;
    budget.left -= 1;
    const problem = budget.left < 0 ? 'size' : problemOf((msg as Record<string, unknown>)[property], seen, budget);
    if (problem) found.push({ property, problem });
  }
  return found;
}
