/**
 * seqr-config: where SEQR is (endpoint, TLS, timeout), who calls it (terminal or reseller; the id and password
 * are Node-RED credentials), and one SeqrClient shared by every node that uses this configuration, like
 * `mqtt-broker` shares its connection. See config-types.ts for the interface the other adapters use.
 *
 * The settings are checked when the node is deployed. A missing or bad setting is logged once here, and every
 * node that uses the configuration shows a red status and fails each input with the same sentence (field and
 * fix), so a Catch node sees it. The password goes into the client and nowhere else.
 *
 * It also owns the configuration's payment ledger (src/ledger): `<userDir>/seqr-ledger/<config id>.jsonl`, where
 * send invoice records each invoice and payment status nodes keep their watches. When the flows have started it
 * watches, as a stand-in, the open invoices no running payment status node owns (and, every minute, those send
 * invoice recorded that no status node claimed within STAND_IN_AFTER_MS), logging their outcomes.
 *
 * With the ledger in Redis (ledger backend "Redis"), several Node-RED instances running the same flows share
 * it: each invoice is leased to the instance that sent it, and from 'flows:started' on this node scans every
 * TAKE_OVER_SCAN_MS for invoices whose instance stopped renewing its leases, and hands them to its own payment
 * status node of the same id (or the stand-in), which polls them at once.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI } from 'node-red';
import { SeqrClient, type SeqrPrincipal } from '../seqr';
import { LedgerWatches, acquireLedger, ledgerFileOf, releaseLedger, type AcquireOptions, type LedgerOwner } from '../ledger';
import { RedisLedgerStore, redisLocation } from '../ledger/redis-ledger-store';
import { watchRegistry } from '../watcher';
import { orphanOutlet } from './orphan-outlet';
import { CLOSE_GRACE_MS, DEFAULT_ENDPOINT, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigNode } from './config-types';
import { SeqrConfigError } from './node-errors';
import { copyErrorCodeOnOldRuntimes } from './catch-error-code';
import { CONFIG_LIMITS, editorSettings } from './shared-limits';
import { passwordDestination, readSettings } from './config-settings';
import { registerAdminEndpoints } from './seqr-config-admin';

/** Watch-as-stand-in settings: SEQR's polling guidance and the shop plugins' 120 s give-up (protocol §5.5, §9). */
const STAND_IN = { intervalMs: 1000, giveUpAfterMs: 120_000, onDeadline: 'cancel' as const };
/** An invoice send invoice recorded that no payment status node claimed for this long is watched by the configuration. */
const STAND_IN_AFTER_MS = 10 * 60_000;
const STAND_IN_SWEEP_MS = 60_000;
/** A ledger in Redis: how often to look for invoices of instances that stopped renewing their leases. */
const TAKE_OVER_SCAN_MS = 500;

/** The Redis backend of a configuration, or why it cannot be used (a sentence naming the field and the fix). */
function redisBackend(RED: NodeAPI, def: SeqrConfigDef, password: string | undefined, label: string): AcquireOptions['store'] | string {
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

type ConfigNode = Node<SeqrConfigCredentials> & {
  -readonly [K in keyof Omit<SeqrConfigNode, keyof Node>]: SeqrConfigNode[K];
} & {
  /** Keyed by node id: Node-RED also routes this node's status and errors to the users' flows (Flow.js). */
  users: Record<string, Node>;
};

export = function register(RED: NodeAPI): void {
  // Every flow with SEQR nodes has a seqr-config, and Node-RED loads this module at start.
  copyErrorCodeOnOldRuntimes(RED);
  function SeqrConfigNodeConstructor(this: ConfigNode, def: SeqrConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const label = def.name || def.endpoint || DEFAULT_ENDPOINT;
    const settings = readSettings(RED, def, node.credentials ?? {}, label);

    node.users = {};
    node.problem = settings.problem;
    node.passwordDestination = passwordDestination(def);
    node.principalType = settings.options?.principal.type ?? (def.principalType === 'RESELLERUSER' ? 'RESELLERUSER' : 'TERMINALID');
    node.appScheme = (def.appScheme ?? '').trim() || 'SEQR';

    let client: SeqrClient | undefined;
    /** Clients for other principals, per user, closed when that user releases. */
    const derived = new Map<string, SeqrClient[]>();
    let closed = false;

    if (settings.problem) node.error(settings.problem.message);

    // ---- the payment ledger ----
    const userDir = (RED.settings as { userDir?: string }).userDir || path.join(os.homedir(), '.node-red');
    const onLedgerError = (err: Error) => node.error(RED._('seqr-config.ledger.failed', { error: err.message }));
    const redis = def.ledgerBackend === 'redis' ? redisBackend(RED, def, node.credentials?.redisPassword, label) : undefined;
    if (typeof redis === 'string') {
      node.error(redis);
      node.problem ??= { field: 'redisUrl', message: redis, status: RED._('seqr-config.status.bad-redis-url') };
    }
    /** Said once per outage: what is not replicated is polled here and written when Redis is back. */
    let unreplicated = false;
    const ledger = acquireLedger(ledgerFileOf(userDir, node.id), node, onLedgerError, {
      store: typeof redis === 'object' ? redis : undefined,
      onReplicated: (replicated, err) => {
        if (replicated === !unreplicated) return;
        unreplicated = !replicated;
        if (replicated) node.log(RED._('seqr-config.ledger.replicated', { location: ledger.location }));
        else node.warn(RED._('seqr-config.ledger.not-replicated', { error: err?.message ?? ledger.location }));
      },
      onLeaseLost: (references) => node.log(RED._('seqr-config.ledger.lease-lost', { count: references.length, references: references.join(', ') })),
    });
    node.ledger = ledger;
    ledger.ready.then(
      () => {
        node.log(RED._('seqr-config.ledger.opened', { file: ledger.location, count: ledger.size }));
        if (ledger.unreadable > 0) node.warn(RED._('seqr-config.ledger.unreadable', { file: ledger.location, count: ledger.unreadable }));
      },
      (err: Error) => node.error(RED._('seqr-config.ledger.unusable', { file: ledger.location, error: err.message })),
    );
    let standIn: LedgerWatches<object> | undefined;
    function standInOwner(): LedgerOwner {
      standIn ??= new LedgerWatches<object>(ledger, sharedClient(), { owner: node.id, ...STAND_IN, registry: watchRegistry, standIn: true }, orphanOutlet(RED, node));
      return standIn;
    }
    function adoptOrphans(unclaimedForMs?: number): void {
      ledger.ready.then(() => {
        if (closed || settings.problem) return;
        const adopted = ledger.adoptOrphans(standInOwner, unclaimedForMs);
        if (adopted.length > 0) node.warn(RED._('seqr-config.ledger.adopted', { count: adopted.length, references: adopted.join(', ') }));
      }, () => undefined);
    }
    // Once every node of the deploy runs, so that no entry a starting status node will resume is taken.
    /** Shared ledger: invoices of instances that stopped renewing, taken over and polled at once. */
    let scan: ReturnType<typeof setInterval> | undefined;
    let scanning = false;
    function takeOver(): void {
      if (closed || settings.problem || scanning) return;
      scanning = true;
      ledger
        .takeOver(standInOwner)
        .then(
          (taken) => {
            if (taken.length > 0) node.warn(RED._('seqr-config.ledger.taken-over', { count: taken.length, references: taken.join(', ') }));
          },
          (err: Error) => onLedgerError(err),
        )
        .finally(() => (scanning = false));
    }
    const onFlowsStarted = () => {
      adoptOrphans();
      if (ledger.isShared && !scan) {
        scan = setInterval(takeOver, TAKE_OVER_SCAN_MS);
        scan.unref();
        takeOver();
      }
    };
    RED.events.on('flows:started', onFlowsStarted);
    const sweep = setInterval(() => adoptOrphans(STAND_IN_AFTER_MS), STAND_IN_SWEEP_MS);
    sweep.unref();

    node.acquire = function acquire(user: Node, principal?: SeqrPrincipal): SeqrClient {
      if (node.problem) throw new SeqrConfigError(node.problem);
      if (closed) throw new Error(RED._('seqr-config.errors.closed', { config: label }));
      node.users[user.id] = user;
      if (!principal) return sharedClient();
      const other = sharedClient().withPrincipal(principal);
      derived.set(user.id, [...(derived.get(user.id) ?? []), other]);
      return other;
    };

    function sharedClient(): SeqrClient {
      if (!settings.options) throw new SeqrConfigError(settings.problem!);
      client ??= new SeqrClient(settings.options);
      return client;
    }

    /** Set while closing with users left: resolves when the last of them has released. */
    let lastRelease: (() => void) | undefined;

    node.release = function release(user: Node): void {
      for (const other of derived.get(user.id) ?? []) other.close();
      derived.delete(user.id);
      delete node.users[user.id];
      if (Object.keys(node.users).length === 0) {
        // The stand-in polls on the shared client until the configuration itself closes.
        if (!standIn) closeClient();
        lastRelease?.();
      }
    };

    function closeClient(): void {
      for (const others of derived.values()) for (const other of others) other.close();
      derived.clear();
      client?.close();
      client = undefined;
    }

    // Node-RED closes a configuration and its users at the same time (on a redeploy of either, or a stop).
    // Users may be finishing a call (a sendInvoice whose answer carries the invoice reference), so the client
    // stays open until the last user has released it, for at most CLOSE_GRACE_MS (Node-RED gives up at 15 s).
    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      clearInterval(sweep);
      clearInterval(scan);
      // The stand-in's invoices stay the configuration's: its next instance, or the next start, watches them.
      const standInWritten = standIn?.close(false).written;
      const finish = () => {
        closeClient();
        void Promise.all([standInWritten, releaseLedger(ledger, node, onLedgerError)]).then(() => done());
      };
      if (Object.keys(node.users).length === 0) {
        finish();
        return;
      }
      const timer = setTimeout(() => lastRelease?.(), CLOSE_GRACE_MS);
      lastRelease = () => {
        lastRelease = undefined;
        clearTimeout(timer);
        node.users = {};
        finish();
      };
    });
  }

  RED.nodes.registerType<ConfigNode, SeqrConfigDef, unknown, SeqrConfigCredentials>(SEQR_CONFIG_TYPE, SeqrConfigNodeConstructor, {
    credentials: {
      principalId: { type: 'text' },
      password: { type: 'password' },
      redisPassword: { type: 'password' },
    },
    settings: editorSettings('seqrConfigLimits', CONFIG_LIMITS),
  });
  registerAdminEndpoints(RED);
};
