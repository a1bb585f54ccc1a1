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
 * adminAuth on only a user who may change flows calls them.
 *
 * What the browser sends: the settings as they stand in the open dialog (endpoint, timeout, TLS, client id,
 * channel, principal type, user id and the terminal/reseller id), because the node may not be deployed yet or
 * its fields may have been edited. The password is the one exception: the editor never has a stored password
 * (it shows the placeholder `__PWRD__`), so for the placeholder the endpoint uses the password Node-RED keeps
 * for this node id (`RED.nodes.getCredentials`), the one a deploy of the dialog would keep too. A password typed
 * into the dialog is sent and used for that one call. Anyone with the write permission can already deploy the
 * configuration to another endpoint, so using the stored password with the dialog's endpoint gives nothing away.
 *
 * No answer ever contains a password. Register terminal generates the new terminal's password here, stores it
 * with the terminal id as this node's credentials (`RED.nodes.addCredentials`, saved with the next deploy; the
 * editor then shows the password as set) and answers the terminal id only. The editor writes that id into its
 * node at once, so that a cancelled dialog cannot leave it with another id for the stored password. The
 * reseller's password is used for that one call and kept nowhere.
 */
import { randomBytes } from 'node:crypto';
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { SeqrClient, SeqrError, SeqrTransportError, resultCode, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import { readSettings } from './config-settings';
import { DEFAULT_ENDPOINT, DEFAULT_RESELLER_USER_ID, SEQR_CONFIG_TYPE, type SeqrConfigCredentials, type SeqrConfigDef } from './config-types';
import { isRecord } from './adapter-helpers';

/** What Node-RED's editor puts in a password field whose value is stored on the server. */
export const STORED_PASSWORD = '__PWRD__';

/** Node-RED's node ids (16 hex digits since 1.x; older flows have `abcd1234.5678ef`). */
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The keys of this node type's credentials: stored credentials with other keys belong to another node type. */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(['principalId', 'password']);
/** A SEQR id on a sticker: alphanumeric (spec §3.10); SEQR checks the rest (53). */
const SEQR_ID = /^[A-Za-z0-9]{1,64}$/;

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

  /** The client options for the dialog's settings and these credentials, or a 400 naming the setting. */
  function clientOptions(settings: Record<string, unknown>, credentials: SeqrConfigCredentials): SeqrClientOptions {
    const def = settings as unknown as SeqrConfigDef;
    const label = text(settings.name) || text(settings.endpoint) || DEFAULT_ENDPOINT;
    const read = readSettings(RED, def, credentials, label);
    if (read.problem) throw new AdminError(400, read.problem.message, { field: read.problem.field });
    return read.options;
  }

  /** The dialog's own principal: its id as shown, and its password as typed or, for the placeholder, as stored. */
  function dialogCredentials(id: string, body: Record<string, unknown>): SeqrConfigCredentials {
    const given = isRecord(body.credentials) ? body.credentials : {};
    const password = given.password === STORED_PASSWORD ? storedCredentials(id).password : typeof given.password === 'string' ? given.password : undefined;
    return { principalId: text(given.principalId), password };
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

  function route(path: string, handle: (id: string, body: Record<string, unknown>) => Promise<Record<string, unknown>>): void {
    RED.httpAdmin.post(`/${SEQR_CONFIG_TYPE}/:id/${path}`, RED.auth.needsPermission(`${SEQR_CONFIG_TYPE}.write`), (req: Request, res: Response) => {
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
    const settings = isRecord(body.settings) ? body.settings : {};
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

    const options = clientOptions({ ...settings, principalType: 'RESELLERUSER', userId }, { principalId: resellerId, password: resellerPassword });
    const password = generateTerminalPassword();
    const { terminalId } = await withClient(options, (client) => client.registerTerminal(externalTerminalId, password, name));
    await RED.nodes.addCredentials(id, { ...stored, principalId: terminalId, password });
    return { terminalId };
  });

  route('assign-seqr-id', async (id, body) => {
    const settings = isRecord(body.settings) ? body.settings : {};
    const seqrId = text(body.seqrId);
    if (!SEQR_ID.test(seqrId)) throw inputError('seqrId', 'bad-seqr-id');
    // A sticker belongs to a terminal, which links it with its own id and password (spec §3.10).
    if (settings.principalType === 'RESELLERUSER') throw new AdminError(400, t('errors.assign-needs-terminal'), { field: 'principalType' });
    const credentials = dialogCredentials(id, body);
    const options = clientOptions({ ...settings, principalType: 'TERMINALID' }, credentials);
    await withClient(options, (client) => client.assignSeqrId(seqrId));
    return { seqrId, terminalId: credentials.principalId };
  });

  route('test', async (id, body) => {
    const settings = isRecord(body.settings) ? body.settings : {};
    const options = clientOptions(settings, dialogCredentials(id, body));
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
