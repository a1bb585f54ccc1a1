/**
 * The seqr-config settings as a client's options, or the first problem with them: used by the config node when
 * it is deployed and by its editor buttons (seqr-config-admin.ts) for the settings in the open dialog.
 */
import type { NodeAPI } from 'node-red';
import { DEFAULT_CHANNEL, DEFAULT_CLIENT_ID, DEFAULT_MAX_ANSWER_BYTES, DEFAULT_TIMEOUT_MS, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import { DEFAULT_ENDPOINT, DEFAULT_RESELLER_USER_ID, type SeqrConfigCredentials, type SeqrConfigDef, type SeqrConfigProblem } from './config-types';

const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 120_000;
/** Below 16 KiB a sendInvoice answer with a long QR text could be refused; above 256 MiB the limit guards little. */
const MIN_MAX_ANSWER_KIB = 16;
const MAX_MAX_ANSWER_KIB = 256 * 1024;
/** SEQR documents 40 characters for the channel (§2.1). */
const MAX_CHANNEL_LENGTH = 40;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Where a configuration sends its password, as one comparable text: the endpoint as a normalized URL and, for
 * https, whether the certificate is checked and the extra CA trusted (turning the check off or trusting another
 * CA lets another server receive the password). Undefined when the endpoint is not an http(s) URL. Two
 * settings with the same destination send the password to the same server; the admin endpoints use a stored
 * password only for the destination it was stored with (seqr-config-admin.ts).
 */
export function passwordDestination(def: Partial<Pick<SeqrConfigDef, 'endpoint' | 'verifyServerCert' | 'ca'>>): string | undefined {
  const endpoint = (typeof def.endpoint === 'string' ? def.endpoint.trim() : '') || DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:') return JSON.stringify([url.href]);
  if (url.protocol !== 'https:') return undefined;
  return JSON.stringify([url.href, def.verifyServerCert !== false, typeof def.ca === 'string' ? def.ca.trim() : '']);
}

/** The settings that make a client, or the first problem found (checked in the order the form shows them). */
export function readSettings(
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

  const maxAnswerText = String(def.maxAnswerKiB ?? '').trim();
  const maxAnswerKiB = maxAnswerText === '' ? DEFAULT_MAX_ANSWER_BYTES / 1024 : Number(maxAnswerText);
  if (!Number.isInteger(maxAnswerKiB) || maxAnswerKiB < MIN_MAX_ANSWER_KIB || maxAnswerKiB > MAX_MAX_ANSWER_KIB) {
    return problem('maxAnswerKiB', 'bad-max-answer', { min: MIN_MAX_ANSWER_KIB, max: MAX_MAX_ANSWER_KIB, default: DEFAULT_MAX_ANSWER_BYTES / 1024 });
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
    maxAnswerBytes: maxAnswerKiB * 1024,
  };
  // Certificate checks stay on unless explicitly turned off (an unset checkbox in an old flow means on).
  if (url.protocol === 'https:') options.tls = { rejectUnauthorized: def.verifyServerCert !== false, ...(ca ? { ca } : {}) };
  return { options };
}
