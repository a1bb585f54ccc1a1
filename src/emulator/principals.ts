import { PUBLIC_TEST_RESELLER, PUBLIC_TEST_TERMINAL, type ClientContext, type PrincipalType } from '../seqr/types';
import { ResultCodeError } from './errors';
import type { IdFactory } from './ids';
import type { SeededTerminal, TerminalType } from './options';

/** A shop (RESELLERUSER principal): registers terminals and runs reconciliation reports. */
export interface Reseller {
  readonly id: string;
  readonly userId: string;
  readonly password: string;
  readonly name: string;
  /** false → refundPayment answers 97 RESELLER_NOT_ALLOWED_TO_DO_REFUND. */
  refundsAllowed: boolean;
}

/** A merchant terminal (TERMINALID principal): sends invoices and polls them. */
export interface Terminal {
  readonly id: string;
  readonly password: string;
  readonly name: string;
  readonly type: TerminalType;
  readonly reseller: Reseller;
  readonly externalTerminalId?: string;
  /** false after unregisterTerminal: every call answers 33 INVALID_INITIATOR_PRINCIPAL_STATE. */
  registered: boolean;
  seqrId?: string;
  /** false → refundPayment answers 99 RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS. */
  refundsAllowed: boolean;
}

/** SEQR's principals: the seeded public test reseller and terminal, plus terminals registered at run time. */
export class Principals {
  private readonly resellers = new Map<string, Reseller>();
  private readonly terminals = new Map<string, Terminal>();
  /** seqrId (upper case: stickers print it in QR alphanumeric mode) → terminal. */
  private readonly seqrIds = new Map<string, Terminal>();
  readonly testReseller: Reseller;

  constructor(
    private readonly ids: IdFactory,
    seeds: { terminals: SeededTerminal[]; refundsDisabled: { resellers?: string[]; terminals?: string[] } },
  ) {
    this.testReseller = { ...PUBLIC_TEST_RESELLER, name: 'Public test shop', refundsAllowed: true };
    this.resellers.set(resellerKey(this.testReseller.id, this.testReseller.userId), this.testReseller);
    this.addTerminal({
      id: PUBLIC_TEST_TERMINAL.id,
      password: PUBLIC_TEST_TERMINAL.password,
      name: 'Public test shop terminal',
      type: 'webshop',
    });
    for (const seed of seeds.terminals) this.addTerminal(seed);
    for (const id of seeds.refundsDisabled.resellers ?? []) {
      for (const reseller of this.resellers.values()) if (reseller.id === id) reseller.refundsAllowed = false;
    }
    for (const id of seeds.refundsDisabled.terminals ?? []) {
      const terminal = this.terminals.get(id);
      if (terminal) terminal.refundsAllowed = false;
    }
  }

  private addTerminal(seed: SeededTerminal & { externalTerminalId?: string }, reseller = this.testReseller): Terminal {
    const terminal: Terminal = {
      id: seed.id,
      password: seed.password,
      name: seed.name ?? seed.id,
      type: seed.type ?? 'cash-register',
      reseller,
      externalTerminalId: seed.externalTerminalId,
      registered: true,
      refundsAllowed: true,
    };
    this.terminals.set(terminal.id, terminal);
    return terminal;
  }

  /**
   * Checks a TERMINALID context: 91 for another principal type, 29 unknown id, 21 a stored password shorter
   * than 4 characters, 20 wrong password, 33 unregistered terminal.
   */
  authenticateTerminal(context: ClientContext | undefined): Terminal {
    const principal = requirePrincipalType(context, 'TERMINALID');
    const terminal = principal.id === undefined ? undefined : this.terminals.get(principal.id);
    if (!terminal) throw new ResultCodeError(29, 'unknown TERMINALID');
    if (terminal.password.length < 4) throw new ResultCodeError(21, 'terminal password shorter than 4 characters');
    if (context?.password !== terminal.password) throw new ResultCodeError(20, 'wrong terminal password');
    if (!terminal.registered) throw new ResultCodeError(33, 'terminal is unregistered');
    return terminal;
  }

  /**
   * Checks a RESELLERUSER context, given as id + userId or as id "reseller/userId" (the cash-register sample's
   * form): 91 for another principal type, 37 unknown reseller user, 20 wrong password.
   */
  authenticateReseller(context: ClientContext | undefined): Reseller {
    const principal = requirePrincipalType(context, 'RESELLERUSER');
    let id = principal.id ?? '';
    let userId = principal.userId;
    if (userId === undefined || userId === '') {
      const slash = id.lastIndexOf('/');
      if (slash > 0) {
        userId = id.slice(slash + 1);
        id = id.slice(0, slash);
      }
    }
    const reseller = this.resellers.get(resellerKey(id, userId ?? ''));
    if (!reseller) throw new ResultCodeError(37, 'unknown RESELLERUSER');
    if (context?.password !== reseller.password) throw new ResultCodeError(20, 'wrong reseller password');
    return reseller;
  }

  /** registerTerminal: a cash-register terminal (one open invoice) with a fresh 32-hex id. */
  register(reseller: Reseller, externalTerminalId: string | undefined, password: string, name: string | undefined): Terminal {
    const id = this.ids.terminalId();
    return this.addTerminal({ id, password, name: name ?? externalTerminalId ?? id, type: 'cash-register', externalTerminalId }, reseller);
  }

  /** unregisterTerminal: the terminal stays known (33 afterwards, not 29) and loses its seqrId. */
  unregister(terminal: Terminal): void {
    terminal.registered = false;
    if (terminal.seqrId !== undefined) this.seqrIds.delete(terminal.seqrId);
    terminal.seqrId = undefined;
  }

  /** assignSeqrId: 53 when not alphanumeric or already assigned to another terminal. */
  assignSeqrId(terminal: Terminal, seqrId: string | undefined): void {
    if (seqrId === undefined || !/^[A-Za-z0-9]+$/.test(seqrId)) throw new ResultCodeError(53, 'seqrId is not alphanumeric');
    const key = seqrId.toUpperCase();
    const owner = this.seqrIds.get(key);
    if (owner && owner !== terminal) throw new ResultCodeError(53, 'seqrId belongs to another terminal');
    if (terminal.seqrId !== undefined) this.seqrIds.delete(terminal.seqrId);
    terminal.seqrId = key;
    this.seqrIds.set(key, terminal);
  }

  terminal(id: string): Terminal | undefined {
    return this.terminals.get(id);
  }

  terminalBySeqrId(seqrId: string): Terminal | undefined {
    return this.seqrIds.get(seqrId.toUpperCase());
  }

  /** Turns refunds on or off for a reseller (97) or a receiving terminal (99). */
  setRefundsAllowed(target: { resellerId: string } | { terminalId: string }, allowed: boolean): void {
    if ('resellerId' in target) {
      const matches = [...this.resellers.values()].filter((reseller) => reseller.id === target.resellerId);
      if (matches.length === 0) throw new RangeError(`unknown reseller ${target.resellerId}`);
      for (const reseller of matches) reseller.refundsAllowed = allowed;
    } else {
      const terminal = this.terminals.get(target.terminalId);
      if (!terminal) throw new RangeError(`unknown terminal ${target.terminalId}`);
      terminal.refundsAllowed = allowed;
    }
  }
}

function resellerKey(id: string, userId: string): string {
  return `${id}\u0000${userId}`;
}

/** A call made with the wrong principal type answers 91 UNSUPPORTED_OPERATION (SEQR's 2014 wording). */
function requirePrincipalType(context: ClientContext | undefined, type: PrincipalType): { id?: string; userId?: string } {
  const principal = context?.initiatorPrincipalId;
  if (!principal || principal.type !== type) {
    throw new ResultCodeError(91, `operation needs a ${type} principal`);
  }
  return principal;
}
