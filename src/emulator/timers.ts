/**
 * The emulator's timers (acknowledgement window, reservation commit, expiry, payer processing, auto-pay), all
 * in one place so that stop() clears every one. They are unref'd: an embedded emulator never keeps a process alive.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly waits = new Set<(error: Error) => void>();

  after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.pending.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pending.delete(timer);
  }

  /** Resolves after `ms`; rejects if the timers are cleared first (the emulator stopped). */
  delay(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.after(ms, () => {
        this.waits.delete(reject);
        resolve();
      });
      this.waits.add(reject);
    });
  }

  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const reject of this.waits) reject(new Error('the SEQR emulator stopped'));
    this.waits.clear();
  }
}
