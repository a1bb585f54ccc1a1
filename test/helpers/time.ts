/**
 * Waiting in tests: `pause` for "nothing else happens meanwhile" checks and for pacing, `eventually` for
 * "this happens soon". Bounds are generous on purpose: the tests run in parallel workers on a shared machine,
 * and what they check is behaviour, not speed.
 */

/** Resolves after `ms`. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `check` passes: returns without throwing and other than `false` (polled every 10 ms), failing
 * with its last error after `timeoutMs`. Give every assert.ok in a check a message: without one, Node's assert
 * parses the caller's source to describe the failure, which takes seconds per call on transpiled test files
 * and starves the event loop.
 */
export async function eventually(check: () => unknown, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      if ((await check()) !== false) return;
      failure = new Error(`condition not met within ${timeoutMs} ms`);
    } catch (error) {
      failure = error;
    }
    if (Date.now() > deadline) throw failure;
    await pause(10);
  }
}

/**
 * Runs `fn` with the monotonic clock (performance.now(), which the watcher and its schedule plan by) standing
 * still: a fake clock for tests about what is planned for things done "at the same moment", which on a loaded
 * machine the real clock spreads over many milliseconds. Timers are left real.
 */
export function withClockStopped<T>(fn: () => T): T {
  const stoppedAt = performance.now();
  const clock = performance as { now: () => number };
  clock.now = () => stoppedAt;
  try {
    return fn();
  } finally {
    delete (clock as { now?: () => number }).now;
  }
}
