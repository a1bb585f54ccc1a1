/**
 * Which Node-RED the node tests run on: the checkout's own (the `node-red` devDependency), or another install
 * named by SEQR_NODE_RED_PATH (its package directory, `red.js` or `package.json`), so that the package's
 * promise of Node-RED 3.1+ can be checked (scripts/test-node-red-3.sh). Every test that starts a runtime or
 * loads a core node resolves it through here.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

function packageDir(): string {
  const chosen = process.env.SEQR_NODE_RED_PATH;
  if (!chosen) return path.dirname(require.resolve('node-red/package.json'));
  const dir = path.resolve(statSync(chosen).isDirectory() ? chosen : path.dirname(chosen));
  const manifest = path.join(dir, 'package.json');
  if (!existsSync(manifest) || (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name !== 'node-red') {
    throw new Error(`SEQR_NODE_RED_PATH=${chosen} is not a node-red install (the node-red package directory or its red.js)`);
  }
  return dir;
}

/** The node-red package directory the tests use. */
export const NODE_RED_DIR = packageDir();
/** Its version, e.g. "4.1.15". */
export const NODE_RED_VERSION = (JSON.parse(readFileSync(path.join(NODE_RED_DIR, 'package.json'), 'utf8')) as { version: string }).version;
/** True when the tests run on another Node-RED than the checkout's (SEQR_NODE_RED_PATH is set). */
export const OTHER_NODE_RED = Boolean(process.env.SEQR_NODE_RED_PATH);

const fromNodeRed = createRequire(path.join(NODE_RED_DIR, 'package.json'));

/** Resolves `request` (e.g. `node-red/red.js`, `@node-red/nodes/package.json`) as that Node-RED finds it. */
export function resolveFromNodeRed(request: string): string {
  return fromNodeRed.resolve(request);
}

/** Loads a module as that Node-RED would (its own copy of `@node-red/runtime`, …). */
export function requireFromNodeRed(request: string): unknown {
  return fromNodeRed(request);
}
