/**
 * Where a configuration's payment ledger lives: the journal file `<userDir>/seqr-ledger/<config id>.jsonl` (the
 * default), or, with ledger backend "Redis", a Redis that several Node-RED instances running the same flows
 * share. A bad Redis setting is a problem of the configuration (field and fix); the file ledger is used then.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { ledgerFileOf, type AcquireOptions } from '../ledger';
import { RedisLedgerStore, redisLocation } from '../ledger/redis-ledger-store';
import type { SeqrConfigCredentials, SeqrConfigDef, SeqrConfigProblem } from './config-types';

export interface LedgerBackend {
  /** The journal file (also the ledger's name among the open ledgers when there is no `store`). */
  file: string;
  /** The Redis store, when the configuration asks for one and its settings are usable. */
  store?: AcquireOptions['store'];
  /** Why the Redis settings cannot be used. */
  problem?: SeqrConfigProblem;
}

/** The Redis backend of a configuration, or why it cannot be used (a sentence naming the field and the fix). */
function redisBackend(RED: NodeAPI, def: SeqrConfigDef, password: string | undefined, label: string): NonNullable<AcquireOptions['store']> | string {
  const url = (def.redisUrl ?? '').trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) return RED._('seqr-config.errors.bad-redis-url', { config: label });
  return {
    // Another password (a fix redeployed) opens another ledger, not the one the old password opened.
    key: `${redisLocation(url)}#${def.id}#${createHash('sha256').update(`${url}\n${password ?? ''}`).digest('hex').slice(0, 16)}`,
    open: () => new RedisLedgerStore({ url, password: password || undefined, namespace: def.id }),
  };
}

export function ledgerBackendOf(RED: NodeAPI, def: SeqrConfigDef, credentials: SeqrConfigCredentials, label: string): LedgerBackend {
  const userDir = (RED.settings as { userDir?: string }).userDir || path.join(os.homedir(), '.node-red');
  const file = ledgerFileOf(userDir, def.id);
  if (def.ledgerBackend !== 'redis') return { file };
  const redis = redisBackend(RED, def, credentials.redisPassword, label);
  if (typeof redis === 'object') return { file, store: redis };
  return { file, problem: { field: 'redisUrl', message: redis, status: RED._('seqr-config.status.bad-redis-url') } };
}
