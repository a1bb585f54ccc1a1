/**
 * What the seqr-config dialog sends the admin endpoints (seqr-config-admin.ts), read as the runtime would read a
 * deployed node: its settings with a whole `${NAME}` resolved, its credentials, and the stored password, only for
 * the destination it belongs to (see seqr-config-admin.ts for why).
 */
import type { NodeAPI } from 'node-red';
import type { SeqrClientOptions } from '../seqr';
import { isRecord, settingText } from '../values';
import { passwordDestination, readSettings } from './config-settings';
import { DEFAULT_ENDPOINT, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigNode } from './config-types';

/** What Node-RED's editor puts in a password field whose value is stored on the server. */
export const STORED_PASSWORD = '__PWRD__';

/** The keys of this node type's credentials: stored credentials with other keys belong to another node type. */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(['principalId', 'password']);
/** The dialog settings the endpoints read, and the one that may be a boolean. */
const SETTING_KEYS = ['name', 'endpoint', 'timeout', 'principalType', 'userId', 'clientId', 'channel', 'appScheme', 'verifyServerCert', 'ca'] as const;
/** A setting the runtime replaces with an environment variable when it creates the node (flows/util.js). */
const ENV_SETTING = /^\$\{(\S+)\}$|^\$\((\S+)\)$/;

/** A refusal to answer with: an HTTP status and the JSON body `{ error, field?, code?, codeName?, kind? }`. */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The readers of one runtime's dialogs; `t` translates an admin catalog key (seqr-config.admin.*). */
export function adminDialogs(RED: NodeAPI, t: (key: string, params?: Record<string, string | number>) => string) {
  /**
   * The credentials Node-RED stores for `id`, when they can be this type's: not those of a deployed node of
   * another type, nor a set with other keys (a node of a disabled flow), whose password must not be used here.
   */
  function storedCredentials(id: string): SeqrConfigCredentials {
    const deployed = RED.nodes.getNode(id);
    if (deployed && deployed.type !== SEQR_CONFIG_TYPE) throw new AdminError(404, t('errors.not-seqr-config'));
    const stored = (RED.nodes.getCredentials(id) ?? {}) as Record<string, unknown>;
    if (Object.keys(stored).some((key) => !CREDENTIAL_KEYS.has(key))) throw new AdminError(404, t('errors.not-seqr-config'));
    return stored as SeqrConfigCredentials;
  }

  /** `value` as the runtime creates a node from it: a whole `${NAME}` or `$(NAME)` replaced, in `deployed`'s flow. */
  function resolvedAsRuntime(value: string, deployed: unknown): string {
    const env = ENV_SETTING.exec(value);
    const resolved = env ? (RED.util.getSetting as (node: unknown, name: string) => unknown)(deployed ?? undefined, env[1] ?? env[2]) : undefined;
    return typeof resolved === 'string' ? resolved : value;
  }

  /**
   * The dialog's settings as the runtime would create the node from them: known keys only, strings (the
   * checkbox a boolean), and a whole `${NAME}` replaced as flows/util.js does, in the deployed node's flow.
   */
  function dialogSettings(id: string, body: Record<string, unknown>): Record<string, unknown> {
    const given = isRecord(body.settings) ? body.settings : {};
    const deployed = RED.nodes.getNode(id);
    const settings: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) {
      const value = given[key];
      if (key === 'verifyServerCert' && typeof value === 'boolean') settings[key] = value;
      else if (typeof value === 'number') settings[key] = String(value);
      else if (typeof value === 'string') settings[key] = resolvedAsRuntime(value, deployed);
    }
    return settings;
  }

  /**
   * What became of Register terminal's credentials, by node id: the password it stored and the settings'
   * destination it registered with, until a deploy takes them over (see storedPasswordFor).
   */
  const registered = new Map<string, { password: string; destination: string | undefined }>();

  /**
   * The stored password of `id` for a call to `destination`, or undefined when none is stored. It is the
   * password of the deployed node (as the runtime resolved it) if the stored one is still that, or the one
   * Register terminal stored; each may go only to its own destination, else 400 asks for the password.
   */
  function storedPasswordFor(id: string, destination: string | undefined): string | undefined {
    const stored = storedCredentials(id).password;
    if (stored === undefined || stored === '') return undefined;
    const holders: Array<{ password: string | undefined; destination: string | undefined }> = [];
    const deployed = RED.nodes.getNode(id) as (SeqrConfigNode & { credentials?: SeqrConfigCredentials }) | null;
    // The runtime resolves `${NAME}` in credentials too (nodes/index.js createNode).
    if (deployed && deployed.credentials?.password === resolvedAsRuntime(stored, deployed)) {
      holders.push({ password: deployed.credentials.password, destination: deployed.passwordDestination });
    }
    const registration = registered.get(id);
    if (registration?.password === stored) holders.push(registration);
    const holder = holders.find((candidate) => candidate.destination !== undefined && candidate.destination === destination);
    if (!holder) throw new AdminError(400, t('errors.stored-password-elsewhere'), { field: 'password' });
    return holder.password;
  }

  /** The client options for the dialog's settings and these credentials, or a 400 naming the setting. */
  function clientOptions(settings: Record<string, unknown>, credentials: SeqrConfigCredentials, label: string): SeqrClientOptions {
    const read = readSettings(RED, settings as unknown as SeqrConfigDef, credentials, label);
    if (read.problem) throw new AdminError(400, read.problem.message, { field: read.problem.field });
    return read.options;
  }

  /** How the settings' messages name the configuration: its name or endpoint as the dialog shows them. */
  function labelOf(body: Record<string, unknown>): string {
    const given = isRecord(body.settings) ? body.settings : {};
    return settingText(given.name) ?? settingText(given.endpoint) ?? DEFAULT_ENDPOINT;
  }

  /**
   * The dialog's client: its settings, its principal id as shown and its password as typed or, for the
   * placeholder, as stored for these settings' destination.
   */
  function dialogClientOptions(id: string, body: Record<string, unknown>, overrides: Record<string, unknown>): SeqrClientOptions {
    const settings = { ...dialogSettings(id, body), ...overrides };
    const given = isRecord(body.credentials) ? body.credentials : {};
    const principalId = settingText(given.principalId) ?? '';
    const label = labelOf(body);
    if (given.password !== STORED_PASSWORD) {
      return clientOptions(settings, { principalId, password: typeof given.password === 'string' ? given.password : undefined }, label);
    }
    // The settings' own problems first (a bad endpoint is named as such), then where the stored password may go.
    clientOptions(settings, { principalId, password: STORED_PASSWORD }, label);
    return clientOptions(settings, { principalId, password: storedPasswordFor(id, passwordDestination(settings)) }, label);
  }

  /** After Register terminal stored `password`: it may go where the dialog's `settings` send it. */
  function rememberRegistration(id: string, password: string, settings: Record<string, unknown>): void {
    registered.set(id, { password, destination: passwordDestination(settings) });
  }

  return { storedCredentials, dialogSettings, clientOptions, labelOf, dialogClientOptions, rememberRegistration };
}
