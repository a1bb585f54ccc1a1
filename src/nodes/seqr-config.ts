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
import { DEFAULT_CHANNEL, DEFAULT_CLIENT_ID, DEFAULT_TIMEOUT_MS, SeqrClient, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import {
  CLOSE_GRACE_MS,
  DEFAULT_ENDPOINT,
  DEFAULT_RESELLER_USER_ID,
  SEQR_CONFIG_TYPE,
  type SeqrConfigCredentials,
  type SeqrConfigDef,
  type SeqrConfigNode,
  type SeqrConfigProblem,
} from './config-types';
import { SeqrConfigError } from './adapter-helpers';

const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 120_000;
/** SEQR documents 40 characters for the channel (§2.1). */
const MAX_CHANNEL_LENGTH = 40;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

type ConfigNode = Node<SeqrConfigCredentials> & {
  -readonly [K in keyof Omit<SeqrConfigNode, keyof Node>]: SeqrConfigNode[K];
} & {
  /** Keyed by node id: Node-RED also routes this node's status and errors to the users' flows (Flow.js). */
  users: Record<string, Node>;
};

/** The settings that make a client, or the first problem found (checked in the order the form shows them). */
function readSettings(
  RED: NodeAPI,
  def: SeqrConfigDef,
  credentials: SeqrConfigCredentials,
  label: string,
): { options: SeqrClientOptions; problem?: undefined } | { options?: undefined; problem: SeqrConfigProblem } {
  const problem = (field: string, key: string, extra: Record<string, unknown> = {}): { problem: SeqrConfigProblem } => ({
    problem: {
      field,
      message: RED._(`seqr-config.errors.${key}`, { config: label, ...extra }),
      status: RED._(`seqr-config.status.${key}`),
    },
  });

  const endpoint = (def.endpoint ?? '').trim() || DEFAULT_ENDPOINT;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return problem('endpoint', 'bad-endpoint');
  if (url.search.toLowerCase() === '?wsdl') return problem('endpoint', 'wsdl-endpoint');

  const principalType: SeqrPrincipal['type'] = def.principalType === 'RESELLERUSER' ? 'RESELLERUSER' : 'TERMINALID';
  const id = (credentials.principalId ?? '').trim();
  if (id === '') return problem('principalId', principalType === 'RESELLERUSER' ? 'missing-reseller-id' : 'missing-terminal-id');
  const userId = String(def.userId ?? '').trim() || DEFAULT_RESELLER_USER_ID;
  const password = credentials.password ?? '';
  if (password === '') return problem('password', 'missing-password');

  const channel = (def.channel ?? '').trim() || DEFAULT_CHANNEL;
  if (channel.length > MAX_CHANNEL_LENGTH) return problem('channel', 'long-channel', { max: MAX_CHANNEL_LENGTH });

  const timeoutText = String(def.timeout ?? '').trim();
  const timeoutMs = timeoutText === '' ? DEFAULT_TIMEOUT_MS : Number(timeoutText);
  if (!Number.isInteger(timeoutMs) || timeoutMs < MIN_TIMEOUT_MS || timeoutMs > MAX_TIMEOUT_MS) {
    return problem('timeout', 'bad-timeout', { min: MIN_TIMEOUT_MS, max: MAX_TIMEOUT_MS });
  }

  const ca = (def.ca ?? '').trim();
  if (ca !== '' && !PEM_CERTIFICATE.test(ca)) return problem('ca', 'bad-ca');

  const appScheme = (def.appScheme ?? '').trim() || 'SEQR';
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(appScheme)) return problem('appScheme', 'bad-app-scheme');

  const principal: SeqrPrincipal =
    principalType === 'RESELLERUSER' ? { type: principalType, id, userId, password } : { type: principalType, id, password };
  const options: SeqrClientOptions = {
    endpoint,
    principal,
    clientId: (def.clientId ?? '').trim() || DEFAULT_CLIENT_ID,
    channel,
    timeoutMs,
  };
  // Certificate checks stay on unless explicitly turned off (an unset checkbox in an old flow means on).
  if (url.protocol === 'https:') options.tls = { rejectUnauthorized: def.verifyServerCert !== false, ...(ca ? { ca } : {}) };
  return { options };
}

export = function register(RED: NodeAPI): void {
  function SeqrConfigNodeConstructor(this: ConfigNode, def: SeqrConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const label = def.name || def.endpoint || DEFAULT_ENDPOINT;
    const settings = readSettings(RED, def, node.credentials ?? {}, label);

    node.users = {};
    node.problem = settings.problem;
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
};
