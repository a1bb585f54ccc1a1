/**
 * The SeqrClients of one configuration: the shared one (one keep-alive connection pool for every user, made on
 * first use), and the clients a user asked for with another principal on the same connections, closed when that
 * user releases.
 */
import { SeqrClient, type SeqrClientOptions, type SeqrPrincipal } from '../seqr';
import { SeqrConfigError } from './node-errors';
import type { SeqrConfigProblem } from './config-types';

export class ConfigClients {
  private client: SeqrClient | undefined;
  /** Clients for other principals, per user id. */
  private readonly derived = new Map<string, SeqrClient[]>();

  /** `options` undefined: the configuration is unusable for `problem`, and asking for a client throws it. */
  constructor(
    private readonly options: SeqrClientOptions | undefined,
    private readonly problem: SeqrConfigProblem | undefined,
  ) {}

  shared(): SeqrClient {
    if (!this.options) throw new SeqrConfigError(this.problem!);
    this.client ??= new SeqrClient(this.options);
    return this.client;
  }

  /** The shared client, or one for `principal` that closes when `userId` releases. */
  forUser(userId: string, principal?: SeqrPrincipal): SeqrClient {
    if (!principal) return this.shared();
    const other = this.shared().withPrincipal(principal);
    this.derived.set(userId, [...(this.derived.get(userId) ?? []), other]);
    return other;
  }

  release(userId: string): void {
    for (const other of this.derived.get(userId) ?? []) other.close();
    this.derived.delete(userId);
  }

  close(): void {
    for (const others of this.derived.values()) for (const other of others) other.close();
    this.derived.clear();
    this.client?.close();
    this.client = undefined;
  }
}
