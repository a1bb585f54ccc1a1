/**
 * RedisLedgerStore: the payment ledger in Redis, shared by several Node-RED instances running the same flows
 * (SharedLedgerStore in ledger-store.ts). Client: ioredis, for its Lua commands (`defineCommand`, sent by SHA and
 * reloaded when the server restarts), its reconnection, and TLS from a `rediss://` URL.
 *
 * Three keys per configuration, with one hash tag so that a Redis Cluster keeps them on one slot:
 *   `<prefix>{<config id>}:entries`  hash   invoice reference → LedgerEntry JSON
 *   `<prefix>{<config id>}:holders`  hash   invoice reference → instance id holding its lease
 *   `<prefix>{<config id>}:leases`   zset   invoice reference → lease expiry (Redis server time, ms)
 * Every change is applied by a Lua script that checks the lease first (never read-then-write from here), with
 * the server's clock, so instances whose clocks differ agree on when a lease lapsed.
 *
 * Redis down or slower than COMMAND_TIMEOUT_MS: a write rejects at once with NotReplicatedError and its changes
 * are kept (the latest state per invoice); when the connection is ready again they are written before anything
 * else, and the listeners hear that the ledger caught up. The password comes from Node-RED's credentials and
 * appears nowhere: `location` is the URL without it.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { LeaseLostError, NotReplicatedError, type LedgerChange, type LedgerEntry, type LoadedLedger, type SharedLedgerStore } from './ledger-store';

/** A lease unrenewed this long lapses (renewed every LEASE_RENEW_MS by PaymentLedger). */
export const LEASE_MS = 3500;
/** A Redis answer slower than this counts as Redis being unreachable: nothing waits on it longer. */
const COMMAND_TIMEOUT_MS = 2000;
/** After a write that timed out on a live connection, how soon the kept changes are tried again. */
const RETRY_MS = 1000;
/** How long loading waits for a first connection before starting with nothing replicated. */
const CONNECT_WAIT_MS = 5000;

/** Unique per process start: two instances on one host, or one restarted, never share a name. */
export const INSTANCE_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/**
 * Shared by the scripts: the server's time (ms), whether another instance holds a live lease of `ref`, and
 * leasing `ref` to this instance for ARGV[2] ms.
 */
const LUA_PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local me = ARGV[1]
local function heldByOther(ref)
  local holder = redis.call('HGET', KEYS[2], ref)
  if not holder or holder == me then return false end
  local expiry = redis.call('ZSCORE', KEYS[3], ref)
  return expiry and tonumber(expiry) > now
end
local function leaseToMe(ref)
  redis.call('HSET', KEYS[2], ref, me)
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ref)
end
`;

/** ARGV: me, lease ms, then (reference, mode, json) triples; mode c creates, u updates an entry that exists. */
const APPLY = `${LUA_PRELUDE}
local refused = {}
for i = 3, #ARGV, 3 do
  local ref, mode, json = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if heldByOther(ref) or (mode == 'u' and redis.call('HEXISTS', KEYS[1], ref) == 0) then
    table.insert(refused, ref)
  elseif json == '' then
    redis.call('HDEL', KEYS[1], ref)
    redis.call('HDEL', KEYS[2], ref)
    redis.call('ZREM', KEYS[3], ref)
  else
    redis.call('HSET', KEYS[1], ref, json)
    leaseToMe(ref)
  end
end
return refused
`;

/** ARGV: me, lease ms, references. Returns those no longer this instance's. */
const RENEW = `${LUA_PRELUDE}
local lost = {}
for i = 3, #ARGV do
  local ref = ARGV[i]
  if heldByOther(ref) or redis.call('HEXISTS', KEYS[1], ref) == 0 then
    table.insert(lost, ref)
  else
    leaseToMe(ref)
  end
end
return lost
`;

/** ARGV: me, lease ms, max. Leases lapsed entries to me; returns (reference, json) pairs. */
const TAKE_OVER = `${LUA_PRELUDE}
local taken = {}
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
for _, ref in ipairs(lapsed) do
  local json = redis.call('HGET', KEYS[1], ref)
  if json then
    leaseToMe(ref)
    table.insert(taken, ref)
    table.insert(taken, json)
  else
    redis.call('ZREM', KEYS[3], ref)
    redis.call('HDEL', KEYS[2], ref)
  end
end
return taken
`;

/** ARGV: me, unused, references. Lapses my leases now. */
const RELEASE = `${LUA_PRELUDE}
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == me then redis.call('ZADD', KEYS[3], 0, ARGV[i]) end
end
return 0
`;

/** The changes of one turn of the event loop, sent together. */
interface Batch {
  references: Set<string>;
  sent: Promise<void> | undefined;
}

interface LedgerCommands {
  seqrLedgerApply(entries: string, holders: string, leases: string, ...args: Array<string | number>): Promise<string[]>;
  seqrLedgerRenew(entries: string, holders: string, leases: string, ...args: Array<string | number>): Promise<string[]>;
  seqrLedgerTakeOver(entries: string, holders: string, leases: string, ...args: Array<string | number>): Promise<string[]>;
  seqrLedgerRelease(entries: string, holders: string, leases: string, ...args: Array<string | number>): Promise<number>;
}

export interface RedisLedgerStoreOptions {
  /** `redis://host:port/db` or `rediss://…` (TLS); a password in the URL is used but never shown. */
  url: string;
  /** From Node-RED's credentials; overrides one in the URL. */
  password?: string;
  /** The configuration node's id: its ledger's keys. */
  namespace: string;
  /** Key prefix (default `seqr-ledger:`). */
  prefix?: string;
  instanceId?: string;
  leaseMs?: number;
  /** More ioredis options (tests: a shorter retry). */
  redis?: RedisOptions;
}

/** The URL as it may be shown: no user name or password. */
export function redisLocation(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'redis (unparseable URL)';
  }
}

export class RedisLedgerStore implements SharedLedgerStore {
  readonly location: string;
  readonly instanceId: string;
  readonly leaseMs: number;
  lastAnsweredAt = 0;
  /** Commands sent and their kinds, for the benchmark. */
  readonly stats = { apply: 0, renew: 0, takeOver: 0, changes: 0, renewed: 0 };
  private readonly client: Redis & LedgerCommands;
  private readonly keys: [string, string, string];
  /** Invoices whose entry this instance knows to exist in Redis: their writes are updates (refused if gone). */
  private readonly known = new Set<string>();
  /** Changes Redis has not acknowledged yet (on their way, or kept while it was unreachable): the latest state per invoice. */
  private readonly unreplicated = new Map<string, LedgerEntry | undefined>();
  private readonly replicatedListeners: Array<(replicated: boolean) => void> = [];
  private replicated = true;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private batch: Batch | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private everReady = false;
  /**
   * After a reconnect, no takeover for one lease length: Redis may have been down (or restarted) longer than the
   * leases, which all look lapsed then; their holders, which went on polling, renew them first.
   */
  private takeOverAfter = 0;

  constructor(options: RedisLedgerStoreOptions) {
    this.location = `${redisLocation(options.url)} (${options.prefix ?? 'seqr-ledger:'}{${options.namespace}})`;
    this.instanceId = options.instanceId ?? INSTANCE_ID;
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    const base = `${options.prefix ?? 'seqr-ledger:'}{${options.namespace}}:`;
    this.keys = [`${base}entries`, `${base}holders`, `${base}leases`];
    this.client = new Redis(options.url, {
      ...(options.password ? { password: options.password } : {}),
      // Fail fast while disconnected: the ledger keeps the change and says it is not replicated.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      ...options.redis,
    }) as Redis & LedgerCommands;
    for (const [name, lua] of [['seqrLedgerApply', APPLY], ['seqrLedgerRenew', RENEW], ['seqrLedgerTakeOver', TAKE_OVER], ['seqrLedgerRelease', RELEASE]] as const) {
      this.client.defineCommand(name, { numberOfKeys: 3, lua });
    }
    // Handled here: an ioredis client without an 'error' listener prints every failed reconnect.
    this.client.on('error', () => this.setReplicated(false));
    this.client.on('close', () => this.setReplicated(false));
    this.client.on('ready', () => {
      if (this.everReady) this.takeOverAfter = Date.now() + this.leaseMs;
      this.everReady = true;
      void this.catchUp();
    });
  }

  onReplicated(listener: (replicated: boolean) => void): void {
    this.replicatedListeners.push(listener);
  }

  async load(): Promise<LoadedLedger> {
    if (!(await this.connected(CONNECT_WAIT_MS))) {
      this.setReplicated(false);
      return { entries: [], unreadable: 0 };
    }
    return { entries: await this.takeOver(10_000).catch(() => []), unreadable: 0 };
  }

  /**
   * Group commit: the changes asked for in one turn of the event loop go to Redis in one script call (2,000
   * invoices sent at once are a few calls, not 2,000). Each write hears only of its own invoices' refusals.
   */
  write(changes: LedgerChange[]): Promise<void> {
    if (changes.length === 0) return Promise.allSettled([this.batch?.sent, ...this.inFlight]).then(() => undefined);
    if (this.closed) return Promise.reject(new Error(`${this.location} is closed`));
    for (const { invoiceReference, entry } of changes) this.unreplicated.set(invoiceReference, entry);
    if (this.client.status !== 'ready') return Promise.reject(this.notReplicated('not connected'));
    if (!this.batch) {
      const batch: Batch = { references: new Set(), sent: undefined };
      batch.sent = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.batch = undefined;
        return this.send([...batch.references]);
      });
      this.batch = batch;
    }
    const references = changes.map((change) => change.invoiceReference);
    for (const reference of references) this.batch.references.add(reference);
    return this.batch.sent!.catch((err: Error) => {
      if (!(err instanceof LeaseLostError)) throw err;
      const mine = references.filter((reference) => err.references.includes(reference));
      if (mine.length > 0) throw new LeaseLostError(mine);
    });
  }

  async renew(references: string[]): Promise<string[]> {
    // Only entries Redis has: one whose first write waits to be replicated has no lease to renew yet. One that is
    // neither (a write of it was refused) is another instance's already.
    const held = references.filter((reference) => this.known.has(reference));
    const refused = references.filter((reference) => !this.known.has(reference) && !this.unreplicated.has(reference));
    if (held.length === 0) return refused;
    this.stats.renew++;
    this.stats.renewed += held.length;
    const lost = await this.call(() => this.client.seqrLedgerRenew(...this.keys, this.instanceId, this.leaseMs, ...held));
    for (const reference of lost) this.known.delete(reference);
    return [...refused, ...lost];
  }

  async takeOver(max: number): Promise<LedgerEntry[]> {
    if (Date.now() < this.takeOverAfter) return [];
    this.stats.takeOver++;
    const pairs = await this.call(() => this.client.seqrLedgerTakeOver(...this.keys, this.instanceId, this.leaseMs, max));
    const entries: LedgerEntry[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      try {
        entries.push(JSON.parse(pairs[i + 1]) as LedgerEntry);
        this.known.add(pairs[i]);
      } catch {
        // Unreadable (written by something else): not renewed here, so it lapses and is passed over again.
      }
    }
    return entries;
  }

  async release(references: string[]): Promise<void> {
    if (references.length === 0 || this.client.status !== 'ready') return;
    await this.call(() => this.client.seqrLedgerRelease(...this.keys, this.instanceId, 0, ...references));
  }

  async close(): Promise<void> {
    await this.write([]);
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.client.status === 'ready') await this.client.quit().catch(() => undefined);
    this.client.disconnect();
  }

  /** Applies `changes` (as they stand in `unreplicated` now), fenced by the leases. */
  private send(references: string[]): Promise<void> {
    const args: string[] = [];
    const sent = new Map<string, LedgerEntry | undefined>();
    for (const invoiceReference of references) {
      if (sent.has(invoiceReference) || !this.unreplicated.has(invoiceReference)) continue;
      const entry = this.unreplicated.get(invoiceReference);
      sent.set(invoiceReference, entry);
      args.push(invoiceReference, this.known.has(invoiceReference) ? 'u' : 'c', entry ? JSON.stringify(entry) : '');
    }
    if (args.length === 0) return Promise.resolve();
    this.stats.apply++;
    this.stats.changes += sent.size;
    const done = this.call(() => this.client.seqrLedgerApply(...this.keys, this.instanceId, this.leaseMs, ...args)).then((refused) => {
      for (const [reference, entry] of sent) {
        // A later change of the same invoice may be waiting: only this state is now replicated.
        if (this.unreplicated.get(reference) === entry) this.unreplicated.delete(reference);
        if (entry && !refused.includes(reference)) this.known.add(reference);
        else this.known.delete(reference);
      }
      if (refused.length > 0) throw new LeaseLostError(refused);
    });
    this.inFlight.add(done);
    const forget = () => this.inFlight.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Runs a command; a connection failure or a timeout becomes NotReplicatedError. */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') throw this.notReplicated('not connected');
    try {
      const answer = await command();
      this.lastAnsweredAt = Date.now();
      return answer;
    } catch (err) {
      if (err instanceof LeaseLostError) throw err;
      throw this.notReplicated((err as Error).message);
    }
  }

  private notReplicated(cause: string): NotReplicatedError {
    this.setReplicated(false);
    // Slow rather than gone: no reconnect will come to write what is kept, so try again shortly.
    if (!this.retryTimer && !this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.client.status === 'ready') void this.catchUp();
      }, RETRY_MS);
      this.retryTimer.unref();
    }
    return new NotReplicatedError(this.location, cause);
  }

  /** Connected again: what waited is written first, then the ledger is replicated again. */
  private async catchUp(): Promise<void> {
    if (this.closed) return;
    const waiting = [...this.unreplicated.keys()];
    try {
      if (waiting.length > 0) await this.send(waiting);
    } catch (err) {
      // Refused ones are another instance's now: PaymentLedger hears of them at its next renewal.
      if (!(err instanceof LeaseLostError)) return;
    }
    if (this.unreplicated.size === 0) this.setReplicated(true);
  }

  private setReplicated(replicated: boolean): void {
    if (this.replicated === replicated || this.closed) return;
    this.replicated = replicated;
    for (const listener of this.replicatedListeners) listener(replicated);
  }

  private connected(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('ready', onReady);
    });
  }
}
