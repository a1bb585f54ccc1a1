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
import type { NodeAPI } from 'node-red';
import type { NextFunction, Request, Response } from 'express';
import { SeqrClient, SeqrError, SeqrTransportError, generateTerminalPassword, testConnection, type SeqrClientOptions } from '../seqr';
import { isRecord, settingText } from '../values';
import { AdminError, adminDialogs } from './config-admin-dialogs';
import { DEFAULT_RESELLER_USER_ID, SEQR_CONFIG_TYPE } from './config-types';

/** Node-RED's node ids (16 hex digits since 1.x; older flows have `abcd1234.5678ef`). */
const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A SEQR id on a sticker: alphanumeric (spec §3.10); SEQR checks the rest (53). */
const SEQR_ID = /^[A-Za-z0-9]{1,64}$/;
/** The catalog label (seqr-config.label.*) of each input of the buttons' forms. */
const INPUT_LABELS: Record<string, string> = {
  resellerId: 'resellerId',
  resellerPassword: 'resellerPassword',
  externalTerminalId: 'externalTerminalId',
  name: 'terminalName',
  seqrId: 'seqrId',
};

export function registerAdminEndpoints(RED: NodeAPI): void {
  const t = (key: string, params: Record<string, string | number> = {}) => RED._(`seqr-config.admin.${key}`, params);
  const { storedCredentials, dialogSettings, clientOptions, labelOf, dialogClientOptions, rememberRegistration } = adminDialogs(RED, t);

  /** A missing or bad input of the dialog, named as the dialog labels it. */
  function inputError(field: string, key: string): AdminError {
    return new AdminError(400, t(`errors.${key}`, { field: RED._(`seqr-config.label.${INPUT_LABELS[field] ?? field}`) }), { field });
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
    const resellerId = settingText(reseller.id) ?? '';
    const userId = settingText(reseller.userId) ?? DEFAULT_RESELLER_USER_ID;
    const resellerPassword = typeof reseller.password === 'string' ? reseller.password : '';
    const externalTerminalId = settingText(body.externalTerminalId) ?? '';
    const name = settingText(body.name) ?? '';
    if (resellerId === '') throw inputError('resellerId', 'missing');
    if (resellerPassword === '') throw inputError('resellerPassword', 'missing');
    if (externalTerminalId === '') throw inputError('externalTerminalId', 'missing');
    if (name === '') throw inputError('name', 'missing');
    const stored = storedCredentials(id);

    const options = clientOptions({ ...settings, principalType: 'RESELLERUSER', userId }, { principalId: resellerId, password: resellerPassword }, labelOf(body));
    const password = generateTerminalPassword();
    const { terminalId } = await withClient(options, (client) => client.registerTerminal(externalTerminalId, password, name));
    await RED.nodes.addCredentials(id, { ...stored, principalId: terminalId, password });
    rememberRegistration(id, password, settings);
    return { terminalId };
  });

  route('assign-seqr-id', async (id, body) => {
    const seqrId = settingText(body.seqrId) ?? '';
    if (!SEQR_ID.test(seqrId)) throw inputError('seqrId', 'bad-seqr-id');
    // A sticker belongs to a terminal, which links it with its own id and password (spec §3.10).
    if (dialogSettings(id, body).principalType === 'RESELLERUSER') throw new AdminError(400, t('errors.assign-needs-terminal'), { field: 'principalType' });
    const options = dialogClientOptions(id, body, { principalType: 'TERMINALID' });
    await withClient(options, (client) => client.assignSeqrId(seqrId));
    return { seqrId, terminalId: options.principal.id };
  });

  route('test', async (id, body) => {
    const options = dialogClientOptions(id, body, {});
    const principalType = options.principal.type;
    const { operation } = await withClient(options, (client) => testConnection(client, principalType));
    return { ok: true, principalType, operation, message: t(`test-ok.${principalType}`, { id: options.principal.id }) };
  });
}
