/**
 * Mocha's root hook plugin, `require`d by .mocharc.json: runs the setups helpers register with
 * `beforeEveryTest` (each-test.ts) before every test, in every parallel worker.
 */
import { takeCoverage } from 'node:v8';
import { rootHookPluginLoaded } from './each-test';

const runSetups = rootHookPluginLoaded();

/**
 * Under c8 (NODE_V8_COVERAGE set) a parallel worker (a child process, with `process.send`) writes its coverage
 * after each test file: the pool gives a worker one second to exit when the run ends and then kills it, which
 * on a loaded machine comes before V8 has written the coverage of everything the worker ran.
 */
const WRITE_COVERAGE_PER_FILE = Boolean(process.env.NODE_V8_COVERAGE) && typeof process.send === 'function';

export const mochaHooks = {
  beforeEach(): void {
    runSetups();
  },
  afterAll(): void {
    if (WRITE_COVERAGE_PER_FILE) takeCoverage();
  },
};
