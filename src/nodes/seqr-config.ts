/**
 * seqr-config: where SEQR is (endpoint, TLS, timeout), who calls it (terminal or reseller; the id and password
 * are Node-RED credentials), and one SeqrClient shared by every node that uses this configuration, like
 * `mqtt-broker` shares its connection. See config-types.ts for the interface the other adapters use.
 *
 * The settings are checked when the node is deployed. A missing or bad setting is logged once here, and every
 * node that uses the configuration shows a red status and fails each input with the same sentence (field and
 * fix), so a Catch node sees it. The password goes into the client and nowhere else.
 */
import type { Node, NodeAPI } from 'node-red';
import { SeqrClient, type SeqrPrincipal } from '../seqr';
import { CLOSE_GRACE_MS, DEFAULT_ENDPOINT, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigNode } from './config-types';
import { SeqrConfigError, copyErrorCodeOnOldRuntimes } from './adapter-helpers';
import { passwordDestination, readSettings } from './config-settings';
import { registerAdminEndpoints } from './seqr-config-admin';

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

    node.acquire = function acquire(user: Node, principal?: SeqrPrincipal): SeqrClient {
      if (settings.problem) throw new SeqrConfigError(settings.problem);
      if (closed) throw new Error(RED._('seqr-config.errors.closed', { config: label }));
      node.users[user.id] = user;
      client ??= new SeqrClient(settings.options);
      if (!principal) return client;
      const other = client.withPrincipal(principal);
      derived.set(user.id, [...(derived.get(user.id) ?? []), other]);
      return other;
    };

    /** Set while closing with users left: resolves when the last of them has released. */
    let lastRelease: (() => void) | undefined;

    node.release = function release(user: Node): void {
      for (const other of derived.get(user.id) ?? []) other.close();
      derived.delete(user.id);
      delete node.users[user.id];
      if (Object.keys(node.users).length === 0) {
        closeClient();
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
      if (Object.keys(node.users).length === 0) {
        closeClient();
        done();
        return;
      }
      const timer = setTimeout(() => lastRelease?.(), CLOSE_GRACE_MS);
      lastRelease = () => {
        lastRelease = undefined;
        clearTimeout(timer);
        closeClient();
        node.users = {};
        done();
      };
    });
  }

  RED.nodes.registerType<ConfigNode, SeqrConfigDef, unknown, SeqrConfigCredentials>(SEQR_CONFIG_TYPE, SeqrConfigNodeConstructor, {
    credentials: {
      principalId: { type: 'text' },
      password: { type: 'password' },
    },
  });
  registerAdminEndpoints(RED);
};
