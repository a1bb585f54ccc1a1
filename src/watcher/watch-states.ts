/**
 * The states of one watch and the events that move it, declared in one table (after the model of
 * node-red-contrib-modbus's modbus-fsm). The table is the whole truth about what a watch may do next: an
 * event a state does not list is refused (`nextState` answers undefined and the watcher does nothing), so
 * that, for example, a second SEQR call can never start while one is in flight for the same invoice.
 *
 * What is *not* a state: why a cancel was wanted and whether one was sent (data the outcome needs), and the
 * `pollNow` bookkeeping (poll-plan.ts), which runs alongside the states rather than instead of them.
 */

export type WatchState =
  /** Not watched: new, or its outcome was reported, or it was stopped with nothing in flight. */
  | 'ended'
  /** Watched; waiting in the schedule for its next poll. */
  | 'idle'
  /** A getPaymentStatus call is in flight. */
  | 'polling'
  /** A cancelInvoice call is in flight. */
  | 'cancelling'
  /** SEQR accepted the cancel; the status read that decides "PAID after all" or "cancelled" is in flight. */
  | 'confirming'
  /** Stopped while a call was in flight: its answer will be ignored once it comes. */
  | 'draining'
  /** Watched again while draining: the answer of the call from before counts (a second call must not start). */
  | 'revived';

export type WatchEvent =
  /** `watch()` of a reference nobody watches. */
  | 'start'
  /** `watch()` of a reference stopped while its call was in flight. */
  | 'revive'
  /** A status read starts. */
  | 'poll'
  /** A cancelInvoice call starts. */
  | 'cancel'
  /** The read after an accepted cancel starts. */
  | 'confirm'
  /** The call in flight answered (or failed). */
  | 'settle'
  /** The outcome was reported, or the watch was stopped. */
  | 'end';

export const WATCH_TRANSITIONS: Readonly<Record<WatchState, Readonly<Partial<Record<WatchEvent, WatchState>>>>> = {
  ended: { start: 'idle' },
  idle: { poll: 'polling', cancel: 'cancelling', confirm: 'confirming', end: 'ended' },
  polling: { settle: 'idle', end: 'draining' },
  cancelling: { settle: 'idle', end: 'draining' },
  confirming: { settle: 'idle', end: 'draining' },
  draining: { settle: 'ended', revive: 'revived' },
  revived: { settle: 'idle', end: 'draining' },
};

/** The state `event` leads to from `state`, or undefined when the table does not allow it. */
export function nextState(state: WatchState, event: WatchEvent): WatchState | undefined {
  return WATCH_TRANSITIONS[state][event];
}

/** A SEQR call is in flight (there is never more than one per watch). */
export function isCalling(state: WatchState): boolean {
  return state !== 'idle' && state !== 'ended';
}

/** The watch is being watched (not ended, not draining). */
export function isWatched(state: WatchState): boolean {
  return state !== 'ended' && state !== 'draining';
}
