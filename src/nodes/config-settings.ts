/**
 * The seqr-config settings as a client's options, or the first problem with them: used by the config node when
 * it is deployed and by its editor buttons (seqr-config-admin.ts) for the settings in the open dialog.
 */
import type { NodeAPI } from 'node-red';
import { DEFAULT_CHANNEL, DEFAULT_CLIENT_ID, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import { httpUrl } from '../values';
import type { SeqrConfigCredentials, SeqrConfigDef, SeqrConfigProblem } from './config-types';
import { CONFIG_LIMITS, type SettingRange } from './shared-limits';

const APP_SCHEME = new RegExp(CONFIG_LIMITS.appSchemePattern);
const { defaultEndpoint: DEFAULT_ENDPOINT, defaultResellerUserId: DEFAULT_RESELLER_USER_ID, timeoutMs: TIMEOUT_MS, maxAnswerKiB: MAX_ANSWER_KIB } = CONFIG_LIMITS;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Where a configuration sends its password, as one comparable text: the endpoint as a normalized URL and, for
 * https, whether the certificate is checked and the extra CA trusted (turning the check off or trusting another
 * CA lets another server receive the password). Undefined when the endpoint is not an http(s) URL. Two
 * settings with the same destination send the password to the same server; the admin endpoints use a stored
 * password only for the destination it was stored with (seqr-config-admin.ts).
 */
export function passwordDestination(def: Partial<Pick<SeqrConfigDef, 'endpoint' | 'verifyServerCert' | 'ca'>>): string | undefined {
  const url = httpUrl((typeof def.endpoint === 'string' ? def.endpoint.trim() : '') || DEFAULT_ENDPOINT);
  if (!url) return undefined;
  if (url.protocol === 'http:') return JSON.stringify([url.href]);
  return JSON.stringify([url.href, def.verifyServerCert !== false, typeof def.ca === 'string' ? def.ca.trim() : '']);
}

/** The principal type of the settings: a terminal unless they name a reseller user. */
export function principalTypeOf(def: Pick<SeqrConfigDef, 'principalType'>): SeqrPrincipal['type'] {
  return def.principalType === 'RESELLERUSER' ? 'RESELLERUSER' : 'TERMINALID';
}

/** The app scheme of the settings, the production app's when empty. */
export function appSchemeOf(def: Pick<SeqrConfigDef, 'appScheme'>): string {
  return (def.appScheme ?? '').trim() || CONFIG_LIMITS.defaultAppScheme;
}

/** An integer setting within `range` (empty: its default), or undefined when it is anything else. */
function integerIn(value: number | string | undefined, range: SettingRange): number | undefined {
  const text = String(value ?? '').trim();
  const number = text === '' ? range.default : Number(text);
  return Number.isInteger(number) && number >= range.min && number <= range.max ? number : undefined;
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
  const url = httpUrl(endpoint);
  if (!url) return problem('endpoint', 'bad-endpoint');
  if (url.search.toLowerCase() === '?wsdl') return problem('endpoint', 'wsdl-endpoint');

  const principalType = principalTypeOf(def);
  const id = (credentials.principalId ?? '').trim();
  if (id === '') return problem('principalId', principalType === 'RESELLERUSER' ? 'missing-reseller-id' : 'missing-terminal-id');
  const userId = String(def.userId ?? '').trim() || DEFAULT_RESELLER_USER_ID;
  const password = credentials.password ?? '';
  if (password === '') return problem('password', 'missing-password');

  const channel = (def.channel ?? '').trim() || DEFAULT_CHANNEL;
  if (channel.length > CONFIG_LIMITS.maxChannelLength) return problem('channel', 'long-channel', { max: CONFIG_LIMITS.maxChannelLength });

  const timeoutMs = integerIn(def.timeout, TIMEOUT_MS);
  if (timeoutMs === undefined) return problem('timeout', 'bad-timeout', { min: TIMEOUT_MS.min, max: TIMEOUT_MS.max });

  const maxAnswerKiB = integerIn(def.maxAnswerKiB, MAX_ANSWER_KIB);
  if (maxAnswerKiB === undefined) {
    return problem('maxAnswerKiB', 'bad-max-answer', { min: MAX_ANSWER_KIB.min, max: MAX_ANSWER_KIB.max, default: MAX_ANSWER_KIB.default });
  }

  const ca = (def.ca ?? '').trim();
  if (ca !== '' && !PEM_CERTIFICATE.test(ca)) return problem('ca', 'bad-ca');

  if (!APP_SCHEME.test(appSchemeOf(def))) return problem('appScheme', 'bad-app-scheme');

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
