import type { NodeAPI } from 'node-red';
import { isRecord } from '../values';
import type { SeqrErrorCause } from './node-errors';

/** The label of the hook below (one per runtime: Node-RED refuses a label twice). */
const ERROR_CODE_HOOK = 'onReceive.seqrErrorCode';

/**
 * Node-RED copies an error's `code` into a Catch node's `msg.error` only since 4.1 (node-red#5081); 3.1 and 4.0
 * copy `message`, `stack` and `cause`. On those, an onReceive hook sets `msg.error.code` from the cause of this
 * package's refusals as a Catch node receives them, so the documented `msg.error.code` holds on every Node-RED
 * the package supports. On 4.1+ nothing is registered (no cost per message there).
 */
export function copyErrorCodeOnOldRuntimes(RED: NodeAPI): void {
  const runtime = RED as unknown as { version?: () => string; hooks?: { has(id: string): boolean; add(id: string, hook: (event: unknown) => void): void } };
  const version = /^(\d+)\.(\d+)\./.exec(typeof runtime.version === 'function' ? String(runtime.version()) : '');
  if (!version || Number(version[1]) > 4 || (Number(version[1]) === 4 && Number(version[2]) >= 1)) return;
  if (!runtime.hooks || runtime.hooks.has(ERROR_CODE_HOOK)) return;
  runtime.hooks.add(ERROR_CODE_HOOK, (event) => {
    const { msg, destination } = event as { msg?: { error?: unknown }; destination?: { node?: { type?: string } } };
    if (destination?.node?.type !== 'catch' || !isRecord(msg?.error)) return;
    const error = msg.error as { code?: unknown; source?: { type?: unknown }; cause?: unknown };
    const cause = error.cause as Partial<Extract<SeqrErrorCause, { type: 'refused' }>> | undefined;
    if (error.code === undefined && String(error.source?.type).startsWith('seqr-') && cause?.type === 'refused' && typeof cause.code === 'number') {
      error.code = cause.code;
    }
  });
}
