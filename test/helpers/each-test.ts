/**
 * Setups a helper needs before every test. In parallel mode (`npm test`) each worker process runs many test
 * files one after another, each in a fresh Mocha instance but with one module cache, so a root-level hook
 * that a helper module registers when it is loaded would reach only the first file of each worker: such
 * setups go through `beforeEveryTest`, and the root hook plugin (root-hooks.ts) runs them before every test.
 * Runs without the plugin (`mocha --no-config …` in scripts/test-node-red-*.sh, the crash and Redis suites)
 * are serial with one root suite, where a root-level `beforeEach` reaches every test, so that is used there.
 */
const setups: Array<() => void> = [];
const PLUGIN_LOADED = Symbol.for('seqr-test.root-hook-plugin');

/** Runs `setup` before every test of the run. */
export function beforeEveryTest(setup: () => void): void {
  if ((globalThis as Record<symbol, unknown>)[PLUGIN_LOADED] === true) setups.push(setup);
  else beforeEach(setup);
}

/** For root-hooks.ts only: from now on setups are run by the plugin. */
export function rootHookPluginLoaded(): () => void {
  (globalThis as Record<symbol, unknown>)[PLUGIN_LOADED] = true;
  return () => {
    for (const setup of setups) setup();
  };
}
