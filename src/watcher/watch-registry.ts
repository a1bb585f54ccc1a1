/**
 * WatchRegistry: which watchers watch which invoice, process-wide, so that a notification that arrives
 * somewhere else (an HTTP endpoint) can make them poll at once. It also maps the opaque notification keys that
 * went into invoices' notificationUrl back to their invoice references, for as long as a watch holds them.
 *
 * A notification only ever leads to a poll: what the poll answers decides (protocol §6.3). The registry holds
 * no payment state, so a forged notification can at most cost one extra getPaymentStatus call per watcher.
 */

/** What the registry asks of a watcher (PaymentWatcher implements it). */
export interface PollNowTarget {
  /** Polls the invoice as soon as allowed; false when this target no longer watches it. */
  pollNow(invoiceReference: string): boolean;
}

export class WatchRegistry {
  /** Invoice reference → the watchers watching it, each with the notification key its watch carries. */
  private readonly byReference = new Map<string, Map<PollNowTarget, string | undefined>>();
  /** Notification key → invoice reference (first holder wins: a key never moves to another invoice). */
  private readonly byKey = new Map<string, string>();

  /** Records that `watcher` watches `invoiceReference`, with the notification key of its invoice if any. */
  add(watcher: PollNowTarget, invoiceReference: string, notificationKey?: string): void {
    let watchers = this.byReference.get(invoiceReference);
    if (!watchers) this.byReference.set(invoiceReference, (watchers = new Map()));
    const owner = notificationKey ? this.byKey.get(notificationKey) : undefined;
    const key = notificationKey && (owner === undefined || owner === invoiceReference) ? notificationKey : undefined;
    watchers.set(watcher, key);
    if (key !== undefined) this.byKey.set(key, invoiceReference);
  }

  /** Forgets that `watcher` watches `invoiceReference`; a key goes when no watch of that invoice holds it. */
  remove(watcher: PollNowTarget, invoiceReference: string): void {
    const watchers = this.byReference.get(invoiceReference);
    if (!watchers) return;
    const key = watchers.get(watcher);
    watchers.delete(watcher);
    if (watchers.size === 0) this.byReference.delete(invoiceReference);
    if (key !== undefined && ![...watchers.values()].includes(key)) this.byKey.delete(key);
  }

  /** The invoice a notification key belongs to, while some watch holds it. */
  referenceOf(notificationKey: string): string | undefined {
    return this.byKey.get(notificationKey);
  }

  /** Whether any watcher watches the invoice. */
  isWatched(invoiceReference: string): boolean {
    return this.byReference.has(invoiceReference);
  }

  /** Asks every watcher of the invoice to poll it now; returns how many did. */
  pollNow(invoiceReference: string): number {
    const watchers = this.byReference.get(invoiceReference);
    if (!watchers) return 0;
    let asked = 0;
    for (const watcher of [...watchers.keys()]) if (watcher.pollNow(invoiceReference)) asked++;
    return asked;
  }
}

/** The registry of this process: the Node-RED nodes register their watchers here. */
export const watchRegistry = new WatchRegistry();
