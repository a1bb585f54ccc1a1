/**
 * A configuration's use of its payment ledger (src/ledger): opened with its logs, and the configuration's own
 * watches as a stand-in. When the flows have started it watches the open invoices no running payment status node
 * owns (and, every minute, those send invoice recorded that no status node claimed within STAND_IN_AFTER_MS),
 * logging their outcomes. A ledger in Redis is scanned every TAKE_OVER_SCAN_MS for invoices whose instance
 * stopped renewing its leases; they go to this instance's payment status node of the same id (or the stand-in),
 * which polls them at once.
 */
import type { Node, NodeAPI } from 'node-red';
import type { SeqrClient } from '../seqr';
import { LedgerWatches, acquireLedger, releaseLedger, type LedgerOwner, type PaymentLedger } from '../ledger';
import { watchRegistry } from '../watcher';
import type { LedgerBackend } from './ledger-backend';
import { orphanOutlet } from './orphan-outlet';

/** Watch-as-stand-in settings: SEQR's polling guidance and the shop plugins' 120 s give-up (protocol §5.5, §9). */
const STAND_IN = { intervalMs: 1000, giveUpAfterMs: 120_000, onDeadline: 'cancel' as const };
/** An invoice send invoice recorded that no payment status node claimed for this long is watched by the configuration. */
const STAND_IN_AFTER_MS = 10 * 60_000;
const STAND_IN_SWEEP_MS = 60_000;
/** A ledger in Redis: how often to look for invoices of instances that stopped renewing their leases. */
const TAKE_OVER_SCAN_MS = 500;

export interface ConfigLedger {
  readonly ledger: PaymentLedger;
  /** Whether the stand-in watches (on the shared client, which must then stay open until the configuration closes). */
  hasStandIn(): boolean;
  /** Stops the scans and the stand-in; resolves when the stand-in's watches are written. */
  stop(): Promise<void> | undefined;
  /** Gives the ledger back to the open ledgers (closed when no configuration of the process uses it). */
  release(): Promise<void>;
}

/**
 * Opens the ledger of `backend` for `node`. `client` is the shared client the stand-in polls on; nothing is
 * adopted or taken over when the configuration is not `usable` (it has no client).
 */
export function openConfigLedger(RED: NodeAPI, node: Node, backend: LedgerBackend, client: () => SeqrClient, usable: boolean): ConfigLedger {
  const onLedgerError = (err: Error) => node.error(RED._('seqr-config.ledger.failed', { error: err.message }));
  let stopped = false;
  /** Said once per outage: what is not replicated is polled here and written when Redis is back. */
  let unreplicated = false;
  const ledger = acquireLedger(backend.file, node, onLedgerError, {
    store: backend.store,
    onReplicated: (replicated, err) => {
      if (replicated === !unreplicated) return;
      unreplicated = !replicated;
      if (replicated) node.log(RED._('seqr-config.ledger.replicated', { location: ledger.location }));
      else node.warn(RED._('seqr-config.ledger.not-replicated', { error: err?.message ?? ledger.location }));
    },
    onLeaseLost: (references) => node.log(RED._('seqr-config.ledger.lease-lost', { count: references.length, references: references.join(', ') })),
  });
  ledger.ready.then(
    () => {
      node.log(RED._('seqr-config.ledger.opened', { file: ledger.location, count: ledger.size }));
      if (ledger.unreadable > 0) node.warn(RED._('seqr-config.ledger.unreadable', { file: ledger.location, count: ledger.unreadable }));
    },
    (err: Error) => node.error(RED._('seqr-config.ledger.unusable', { file: ledger.location, error: err.message })),
  );

  let standIn: LedgerWatches<object> | undefined;
  function standInOwner(): LedgerOwner {
    standIn ??= new LedgerWatches<object>(ledger, client(), { owner: node.id, ...STAND_IN, registry: watchRegistry, standIn: true }, orphanOutlet(RED, node));
    return standIn;
  }
  function adoptOrphans(unclaimedForMs?: number): void {
    ledger.ready.then(() => {
      if (stopped || !usable) return;
      const adopted = ledger.adoptOrphans(standInOwner, unclaimedForMs);
      if (adopted.length > 0) node.warn(RED._('seqr-config.ledger.adopted', { count: adopted.length, references: adopted.join(', ') }));
    }, () => undefined);
  }
  /** Shared ledger: invoices of instances that stopped renewing, taken over and polled at once. */
  let scan: ReturnType<typeof setInterval> | undefined;
  let scanning = false;
  function takeOver(): void {
    if (stopped || !usable || scanning) return;
    scanning = true;
    ledger
      .takeOver(standInOwner)
      .then(
        (taken) => {
          if (taken.length > 0) node.warn(RED._('seqr-config.ledger.taken-over', { count: taken.length, references: taken.join(', ') }));
        },
        (err: Error) => onLedgerError(err),
      )
      .finally(() => (scanning = false));
  }
  // Once every node of the deploy runs, so that no entry a starting status node will resume is taken.
  const onFlowsStarted = () => {
    adoptOrphans();
    if (ledger.isShared && !scan) {
      scan = setInterval(takeOver, TAKE_OVER_SCAN_MS);
      scan.unref();
      takeOver();
    }
  };
  RED.events.on('flows:started', onFlowsStarted);
  const sweep = setInterval(() => adoptOrphans(STAND_IN_AFTER_MS), STAND_IN_SWEEP_MS);
  sweep.unref();

  return {
    ledger,
    hasStandIn: () => standIn !== undefined,
    stop() {
      stopped = true;
      RED.events.removeListener('flows:started', onFlowsStarted);
      clearInterval(sweep);
      clearInterval(scan);
      // The stand-in's invoices stay the configuration's: its next instance, or the next start, watches them.
      return standIn?.close(false).written;
    },
    release: () => releaseLedger(ledger, node, onLedgerError),
  };
}
