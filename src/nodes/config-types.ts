/**
 * The seqr-config node as the other SEQR nodes see it. Import these types (never the config node's module)
 * so that an adapter depends only on this contract.
 */
import type { Node, NodeDef } from 'node-red';
import type { SeqrClient, SeqrPrincipal } from '../seqr';
import type { PaymentLedger } from '../ledger';

/** The node type string of the config node. */
export const SEQR_CONFIG_TYPE = 'seqr-config';
/** The local emulator's address (`npx seqr-emulator`), so that a fresh configuration works out of the box. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8090/soap/merchant/cashregister-2';
/** SEQR's fixed user id for a reseller's API user in every example (spec §2.2). */
export const DEFAULT_RESELLER_USER_ID = '9900';
/** How long a closing configuration waits for its users to finish their calls and release the client. */
export const CLOSE_GRACE_MS = 10_000;

/** A setting of the config node that makes it unusable, found when it is deployed. */
export interface SeqrConfigProblem {
  /** The setting, as the editor labels it in the catalog (e.g. `password`, `endpoint`). */
  field: string;
  /** A sentence naming the configuration, the field and the fix (no secret in it). */
  message: string;
  /** A short status text, e.g. "missing password". */
  status: string;
}

/**
 * A deployed seqr-config node. It owns one SeqrClient (one keep-alive connection pool) shared by every node
 * that acquired it, the way `mqtt-broker` owns its connection: created on the first `acquire`, closed when
 * the last user releases it or when the config node itself closes (redeploy, shutdown).
 *
 * Typical use in an adapter's constructor:
 * ```ts
 * const config = usableConfig(RED, node, def.seqr);   // config-lookup.ts: on a problem the node fails every input
 * if (!config) return;
 * const client = config.acquire(node);                 // SeqrClient, also a PaymentStatusSource
 * serveMessages(RED, node, config, busyText, handle);  // input-lifecycle.ts: releases the client on close
 * ```
 */
export interface SeqrConfigNode extends Node {
  /** Why the configuration cannot be used, or undefined when it can. Fixed for the life of the node. */
  readonly problem: SeqrConfigProblem | undefined;
  /** The app scheme for deep links on this SEQR environment: `SEQR` in production (§10.16). */
  readonly appScheme: string;
  /**
   * Where the deployed settings send the password (passwordDestination, with `${NAME}` as the runtime resolved
   * it): the editor buttons use the stored password only with this destination.
   */
  readonly passwordDestination: string | undefined;
  /** The principal type the credentials belong to. */
  readonly principalType: SeqrPrincipal['type'];
  /**
   * Registers `user` and returns the shared client, creating it on first use. With `principal`, returns a
   * client for that principal on the same connections (e.g. a terminal registered through a reseller
   * configuration); such clients are closed when `user` releases. Throws SeqrConfigError when `problem` is set.
   */
  acquire(user: Node, principal?: SeqrPrincipal): SeqrClient;
  /** Deregisters `user`, closing its derived clients; the shared client closes after the last user. */
  release(user: Node): void;
  /**
   * The configuration's payment ledger (src/ledger): every open invoice, durably, in a journal file in Node-RED's
   * user directory. Send invoice records each invoice in it; payment status nodes keep their watches in it.
   */
  readonly ledger: PaymentLedger;
}

/** The config node's settings as the editor stores them (no secrets: those are credentials). */
export interface SeqrConfigDef extends NodeDef {
  endpoint: string;
  principalType: SeqrPrincipal['type'] | '';
  /** The reseller's user id (RESELLERUSER only), 9900 in every SEQR example. */
  userId: string;
  clientId: string;
  channel: string;
  /** Request timeout in ms. */
  timeout: number | string;
  /** Largest answer accepted, in KiB (empty: DEFAULT_MAX_ANSWER_BYTES); absent in flows made before it existed. */
  maxAnswerKiB?: number | string;
  /** Check the server's certificate (https endpoints). */
  verifyServerCert: boolean;
  /** Extra trusted CA certificate(s), PEM. */
  ca: string;
  appScheme: string;
  /** Where the payment ledger lives: the journal file (default, also when absent) or a Redis shared by instances. */
  ledgerBackend?: 'file' | 'redis';
  /** `redis://host:6379/0`, or `rediss://…` for TLS; the password goes in the credentials. */
  redisUrl?: string;
}

/** What Node-RED keeps in flows_cred.json for a config node: never exported, never sent back to the editor (password). */
export interface SeqrConfigCredentials {
  principalId?: string;
  password?: string;
  /** The Redis password of a ledger in Redis (AUTH; with an ACL user, the user name goes in the URL). */
  redisPassword?: string;
}
