/**
 * The seqr-config editor buttons' admin endpoints: Register terminal, Assign SEQR ID and Test connection. A thin
 * adapter: it reads the dialog's settings, makes a SeqrClient for the one call, and answers JSON.
 *
 *   POST seqr-config/:id/register-terminal  { settings, reseller: { id, userId, password }, externalTerminalId, name }
 *                                            → { terminalId }
 *   POST seqr-config/:id/assign-seqr-id     { settings, credentials: { principalId, password }, seqrId } → { seqrId, terminalId }
 *   POST seqr-config/:id/test               { settings, credentials: { principalId, password } } → { ok, principalType, operation, message }
 *
 * Each needs Node-RED's `seqr-config.write` permission (as core's inject/debug/serial endpoints do), so with
 * adminAuth on only a user who may change flows calls them. Each accepts only `Content-Type: application/json`
 * (415 otherwise, before the request is looked at or the permission checked, so the same with and without
 * adminAuth): an HTML form on another site can post urlencoded, multipart or text/plain without asking, but a
 * browser sends JSON cross-site only after a CORS preflight.
 *
 * What the browser sends: the settings as they stand in the open dialog (endpoint, timeout, TLS, client id,
 * channel, principal type, user id and the terminal/reseller id), because the node may not be deployed yet or
 * its fields may have been edited. `${NAME}` in a setting is resolved as the runtime resolves it when it
 * creates the node. The password is the exception: the editor never has a stored password (it shows the
 * placeholder `__PWRD__`), so for the placeholder the endpoint uses the password Node-RED keeps for this node
 * id, but only where that password was meant to go. A stored password belongs to its destination (the endpoint
 * and, for https, the certificate settings; passwordDestination): the deployed node's, as the runtime resolved
 * it, or, for the credentials Register terminal stored and no deploy has used yet, the settings the terminal
 * was registered with. A dialog naming another destination must bring its password (400 otherwise), so no
 * request, whoever makes it, can send a stored password to a server of its choosing. A node never deployed has
 * no stored password. A password typed into the dialog is sent and used for that one call.
 *
 * No answer ever contains a password. Register terminal generates the new terminal's password here, stores it
 * with the terminal id as this node's credentials (`RED.nodes.addCredentials`, saved with the next deploy; the
 * editor then shows the password as set) and answers the terminal id only. The editor writes that id into its
 * node at once, so that a cancelled dialog cannot leave it with another id for the stored password. The
 * reseller's password is used for that one call and kept nowhere.
 */
import { randomBytes } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import type { NextFunction, Request, Response } from 'express';
import { SeqrClient, SeqrError, SeqrTransportError, resultCode, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import { passwordDestination, readSettings } from './config-settings';
import { DEFAULT_ENDPOINT, DEFAULT_RESELLER_USER_ID, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigNode } from './config-types';
import { isRecord } from './adapter-helpers';

/** What Node-RED's editor puts in a password field whose value is stored on the server. */
export const STORED_PASSWORD = '__PWRD__';

/** Node-RED's node ids (16 hex digits since 1.x; older flows have `abcd1234.5678ef`). */
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The keys of this node type's credentials: stored credentials with other keys belong to another node type. */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(['principalId', 'password']);
/** A SEQR id on a sticker: alphanumeric (spec §3.10); SEQR checks the rest (53). */
const SEQR_ID = /^[A-Za-z0-9]{1,64}$/;
/** The dialog settings the endpoints read, and the one that may be a boolean. */
const SETTING_KEYS = ['name', 'endpoint', 'timeout', 'principalType', 'userId', 'clientId', 'channel', 'appScheme', 'verifyServerCert', 'ca'] as const;
/** A setting the runtime replaces with an environment variable when it creates the node (flows/util.js). */
const ENV_SETTING = /^\$\{(\S+)\}$|^\$\((\S+)\)$/;

/**
 * A new terminal's password: 30 base-32 characters, 150 random bits, like the strongest of SEQR's samples
 * (spec §3.8: "15 alphanumerics or a 150-bit base-32 string").
 */
export function generateTerminalPassword(): string {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(30);
  return Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
}

/**
 * Test connection makes one call that changes nothing at SEQR and that SEQR answers only after accepting the
 * principal: a terminal asks getPaymentStatus for invoice "0" (no SEQR reference is that short; 54 "no such
 * invoice for this terminal" proves the terminal id and password); a reseller asks executeReport for the shop
 * summary of period "0" (reports are read-only; the emulator answers 90 for an unknown period, a real SEQR may
 * answer 0 or 2 REPORT_NOT_READY; all three come after the reseller was accepted). markTransactionPeriod would
 * prove the same but close the shop's reconciliation period, so it is not used. Codes about the principal (20,
 * 21, 29, 33, 37, 91 wrong principal type) and any other refusal fail the test with SEQR's code and name.
 */
const CONNECTION_TESTS: Record<SeqrPrincipal['type'], { operation: string; call: (client: SeqrClient) => Promise<unknown>; accepted: ReadonlySet<number> }> = {
  TERMINALID: {
    operation: 'getPaymentStatus',
    call: (client: SeqrClient) => client.getPaymentStatus('0', 0),
    accepted: new Set([0, resultCode('INVALID_INVOICE_REFERENCE')]),
  },
  RESELLERUSER: {
    operation: 'executeReport',
    call: (client: SeqrClient) => client.executeReport('Reconciliation/Shop.xml', undefined, { transactionPeriodId: '0' }),
    accepted: new Set([0, resultCode('REPORT_NOT_READY'), resultCode('SYSTEM_ERROR')]),
  },
};

/** The catalog label (seqr-config.label.*) of each input of the buttons' forms. */
const INPUT_LABELS: Record<string, string> = {
  resellerId: 'resellerId',
  resellerPassword: 'resellerPassword',
  externalTerminalId: 'externalTerminalId',
  name: 'terminalName',
  seqrId: 'seqrId',
};

/** A refusal to answer with: an HTTP status and the JSON body `{ error, field?, code?, codeName?, kind? }`. */
class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

export function registerAdminEndpoints(RED: NodeAPI): void {
  const t = (key: string, params: Record<string, string | number> = {}) => RED._(`seqr-config.admin.${key}`, params);

  /** A missing or bad input of the dialog, named as the dialog labels it. */
  function inputError(field: string, key: string): AdminError {
    return new AdminError(400, t(`errors.${key}`, { field: RED._(`seqr-config.label.${INPUT_LABELS[field] ?? field}`) }), { field });
  }

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
    return text(given.name) || text(given.endpoint) || DEFAULT_ENDPOINT;
  }

  /**
   * The dialog's client: its settings, its principal id as shown and its password as typed or, for the
   * placeholder, as stored for these settings' destination.
   */
  function dialogClientOptions(id: string, body: Record<string, unknown>, overrides: Record<string, unknown>): SeqrClientOptions {
    const settings = { ...dialogSettings(id, body), ...overrides };
    const given = isRecord(body.credentials) ? body.credentials : {};
    const principalId = text(given.principalId);
    const label = labelOf(body);
    if (given.password !== STORED_PASSWORD) {
      return clientOptions(settings, { principalId, password: typeof given.password === 'string' ? given.password : undefined }, label);
    }
    // The settings' own problems first (a bad endpoint is named as such), then where the stored password may go.
    clientOptions(settings, { principalId, password: STORED_PASSWORD }, label);
    return clientOptions(settings, { principalId, password: storedPasswordFor(id, passwordDestination(settings)) }, label);
  }

  /** One call with a client of its own, closed afterwards; SEQR's refusals and transport failures become 502s. */
  async function withClient<T>(options: SeqrClientOptions, call: (client: SeqrClient) => Promise<T>): Promise<T> {
    const client = new SeqrClient(options);
    try {
      return await call(client);
    } catch (err) {
      throw upstreamError(err);
    } finally {
      client.close();
    }
  }

  /** SEQR's answer or a failure to reach it, as a 502 with the code and name (messages carry no secrets). */
  function upstreamError(err: unknown): unknown {
    if (err instanceof SeqrError) return new AdminError(502, err.message, { code: err.code, codeName: err.codeName });
    if (err instanceof SeqrTransportError) return new AdminError(502, err.message, { kind: err.kind });
    return err;
  }

  /** Refuses a request that is not JSON (see the top of this file), before anything else looks at it. */
  function onlyJson(req: Request, res: Response, next: NextFunction): void {
    if (req.is('application/json') === 'application/json') next();
    else res.status(415).json({ error: t('errors.not-json') });
  }

  function route(path: string, handle: (id: string, body: Record<string, unknown>) => Promise<Record<string, unknown>>): void {
    RED.httpAdmin.post(`/${SEQR_CONFIG_TYPE}/:id/${path}`, onlyJson, RED.auth.needsPermission(`${SEQR_CONFIG_TYPE}.write`), (req: Request, res: Response) => {
      const id = String(req.params.id);
      const body = isRecord(req.body) ? (req.body as Record<string, unknown>) : {};
      const answer = NODE_ID.test(id) ? handle(id, body) : Promise.reject(new AdminError(404, t('errors.not-seqr-config')));
      answer.then(
        (result) => res.json(result),
        (err: unknown) => {
          if (err instanceof AdminError) {
            res.status(err.status).json({ error: err.message, ...err.details });
          } else {
            // Not expected; its message may come from anywhere, so neither the log nor the answer repeats it.
            RED.log.error(`${t('errors.unexpected', { path })} (${err instanceof Error ? err.name : typeof err})`);
            res.status(500).json({ error: t('errors.unexpected', { path }) });
          }
        },
      );
    });
  }

  route('register-terminal', async (id, body) => {
    const settings = dialogSettings(id, body);
    const reseller = isRecord(body.reseller) ? body.reseller : {};
    const resellerId = text(reseller.id);
    const userId = text(reseller.userId) || DEFAULT_RESELLER_USER_ID;
    const resellerPassword = typeof reseller.password === 'string' ? reseller.password : '';
    const externalTerminalId = text(body.externalTerminalId);
    const name = text(body.name);
    if (resellerId === '') throw inputError('resellerId', 'missing');
    if (resellerPassword === '') throw inputError('resellerPassword', 'missing');
    if (externalTerminalId === '') throw inputError('externalTerminalId', 'missing');
    if (name === '') throw inputError('name', 'missing');
    const stored = storedCredentials(id);

    const options = clientOptions({ ...settings, principalType: 'RESELLERUSER', userId }, { principalId: resellerId, password: resellerPassword }, labelOf(body));
    const password = generateTerminalPassword();
    const { terminalId } = await withClient(options, (client) => client.registerTerminal(externalTerminalId, password, name));
    await RED.nodes.addCredentials(id, { ...stored, principalId: terminalId, password });
    registered.set(id, { password, destination: passwordDestination(settings) });
    return { terminalId };
  });

  route('assign-seqr-id', async (id, body) => {
    const seqrId = text(body.seqrId);
    if (!SEQR_ID.test(seqrId)) throw inputError('seqrId', 'bad-seqr-id');
    // A sticker belongs to a terminal, which links it with its own id and password (spec §3.10).
    if (dialogSettings(id, body).principalType === 'RESELLERUSER') throw new AdminError(400, t('errors.assign-needs-terminal'), { field: 'principalType' });
    const options = dialogClientOptions(id, body, { principalType: 'TERMINALID' });
    await withClient(options, (client) => client.assignSeqrId(seqrId));
    return { seqrId, terminalId: options.principal.id };
  });

  route('test', async (id, body) => {
    const options = dialogClientOptions(id, body, {});
    const test = CONNECTION_TESTS[options.principal.type];
    try {
      await withClient(options, test.call);
    } catch (err) {
      const code = err instanceof AdminError ? err.details.code : undefined;
      if (typeof code !== 'number' || !test.accepted.has(code)) throw err;
    }
    const principalType = options.principal.type;
    return { ok: true, principalType, operation: test.operation, message: t(`test-ok.${principalType}`, { id: options.principal.id }) };
  });
}
