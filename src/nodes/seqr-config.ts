/**
 * seqr-config: where SEQR is (endpoint, TLS, timeout), who calls it (terminal or reseller; the id and password
 * are Node-RED credentials), and one SeqrClient shared by every node that uses this configuration, like
 * `mqtt-broker` shares its connection. See config-types.ts for the interface the other adapters use.
 *
 * The settings are checked when the node is deployed. A missing or bad setting is logged once here, and every
 * node that uses the configuration shows a red status and fails each input with the same sentence (field and
 * fix), so a Catch node sees it. The password goes into the client and nowhere else.
 *
 * It also owns the configuration's payment ledger, where send invoice records each invoice and payment status
 * nodes keep their watches: where it lives (journal file or Redis) is ledger-backend.ts; opening it, the stand-in
 * watches of unowned invoices and the take-over scan of a ledger shared in Redis are config-ledger.ts. The
 * clients are config-clients.ts; this file ties them to Node-RED's lifecycle (users, close).
 */
import type { Node, NodeAPI } from 'node-red';
import type { SeqrClient, SeqrPrincipal } from '../seqr';
import { CLOSE_GRACE_MS, DEFAULT_ENDPOINT, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigNode } from './config-types';
import { SeqrConfigError } from './node-errors';
import { copyErrorCodeOnOldRuntimes } from './catch-error-code';
import { CONFIG_LIMITS, editorSettings } from './shared-limits';
import { appSchemeOf, passwordDestination, principalTypeOf, readSettings } from './config-settings';
import { registerAdminEndpoints } from './seqr-config-admin';
import { ConfigClients } from './config-clients';
import { ledgerBackendOf } from './ledger-backend';
import { openConfigLedger } from './config-ledger';

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
    node.principalType = settings.options?.principal.type ?? principalTypeOf(def);
    node.appScheme = appSchemeOf(def);

    const clients = new ConfigClients(settings.options, settings.problem);
    let closed = false;

    if (settings.problem) node.error(settings.problem.message);

    const backend = ledgerBackendOf(RED, def, node.credentials ?? {}, label);
    if (backend.problem) {
      node.error(backend.problem.message);
      node.problem ??= backend.problem;
    }
    const configLedger = openConfigLedger(RED, node, backend, () => clients.shared(), settings.problem === undefined);
    node.ledger = configLedger.ledger;

    node.acquire = function acquire(user: Node, principal?: SeqrPrincipal): SeqrClient {
      if (node.problem) throw new SeqrConfigError(node.problem);
      if (closed) throw new Error(RED._('seqr-config.errors.closed', { config: label }));
      node.users[user.id] = user;
      return clients.forUser(user.id, principal);
    };

    /** Set while closing with users left: resolves when the last of them has released. */
    let lastRelease: (() => void) | undefined;

    node.release = function release(user: Node): void {
      clients.release(user.id);
      delete node.users[user.id];
      if (Object.keys(node.users).length === 0) {
        // The stand-in polls on the shared client until the configuration itself closes.
        if (!configLedger.hasStandIn()) clients.close();
        lastRelease?.();
      }
    };

    // Node-RED closes a configuration and its users at the same time (on a redeploy of either, or a stop).
    // Users may be finishing a call (a sendInvoice whose answer carries the invoice reference), so the client
    // stays open until the last user has released it, for at most CLOSE_GRACE_MS (Node-RED gives up at 15 s).
    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      const standInWritten = configLedger.stop();
      const finish = () => {
        clients.close();
        void Promise.all([standInWritten, configLedger.release()]).then(() => done());
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
