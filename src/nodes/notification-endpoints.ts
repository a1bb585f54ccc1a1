/**
 * Where SEQR reaches the deployed seqr-notification nodes, by the seqr-config node each serves, so that a
 * seqr-send-invoice node of that configuration can fill in `notificationUrl` by itself: the notification node's
 * public URL plus a fresh key per invoice. The key, not the invoice reference, identifies the invoice in the
 * callback: the reference is printed in every QR code a customer sees, the key is 128 random bits that only
 * SEQR and this process know (see the nodes' help).
 */
import { randomBytes } from 'node:crypto';
import { httpUrl } from '../values';

/** The query parameter that carries the key. */
export const NOTIFICATION_KEY_PARAM = 'key';
/** What a key looks like (base64url); anything else in the parameter is refused unread. */
export const NOTIFICATION_KEY_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** A new unguessable key: 128 random bits, base64url (22 characters). */
export function newNotificationKey(): string {
  return randomBytes(16).toString('base64url');
}

/** The endpoint URL with the key added to its query. */
export function urlWithKey(endpointUrl: string, key: string): string {
  const url = new URL(endpointUrl);
  url.searchParams.set(NOTIFICATION_KEY_PARAM, key);
  return url.toString();
}

/** The path as the core http-in node takes it: leading slash added; undefined when empty or with spaces. */
export function routePath(url: string | undefined): string | undefined {
  const trimmed = (url ?? '').trim();
  if (trimmed === '' || /\s/.test(trimmed)) return undefined;
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The public endpoint URL (base + path), undefined when no base is set; throws on a base that is no http(s) URL. */
export function publicEndpoint(base: string | undefined, path: string): string | undefined {
  const trimmed = (base ?? '').trim();
  if (trimmed === '') return undefined;
  const url = httpUrl(trimmed);
  if (!url || url.search !== '' || url.hash !== '') throw new Error('not an http(s) base URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}${path}`;
}

/** seqr-config id → (seqr-notification node id → its public endpoint URL, if it has one). */
const endpoints = new Map<string, Map<string, string | undefined>>();

export function registerNotificationEndpoint(configId: string, nodeId: string, publicUrl: string | undefined): void {
  let nodes = endpoints.get(configId);
  if (!nodes) endpoints.set(configId, (nodes = new Map()));
  nodes.set(nodeId, publicUrl);
}

export function unregisterNotificationEndpoint(configId: string, nodeId: string): void {
  const nodes = endpoints.get(configId);
  nodes?.delete(nodeId);
  if (nodes?.size === 0) endpoints.delete(configId);
}

/** Why a configuration has no endpoint to notify: no notification node, several, or one without a public URL. */
export type EndpointProblem = 'none' | 'several' | 'no-public-url';

/** The public endpoint URL of the one seqr-notification node serving `configId`, or why there is none. */
export function notificationEndpointOf(configId: string): { url: string; problem?: undefined } | { url?: undefined; problem: EndpointProblem } {
  const nodes = endpoints.get(configId);
  if (!nodes || nodes.size === 0) return { problem: 'none' };
  if (nodes.size > 1) return { problem: 'several' };
  const [url] = nodes.values();
  return url === undefined ? { problem: 'no-public-url' } : { url };
}
