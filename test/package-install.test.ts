/**
 * Issue 5, "does it install": the package as npm packs it, installed into a fresh Node-RED user directory and
 * loaded by a real Node-RED the way it loads any palette module, and its `seqr-emulator` command run from the
 * installed copy. Needs the build (`npm test` builds first): the tarball ships dist/.
 *
 * Offline on purpose: `npm install <tgz>` would fetch the dependencies from the registry. Instead the test
 * does what that install leaves behind: the tarball unpacked at `<userDir>/node_modules/@seqr-flows/node-red-seqr`,
 * the user dir's package.json naming it (Node-RED marks such a module as user-installed), and beside it ONLY the
 * runtime `dependencies` of package.json, each a symlink to the copy this checkout's `npm ci` installed.
 * So a require of anything not declared there (a devDependency, a file left out of `files`) fails here as it
 * would for a user. The dependencies' own dependencies resolve from the checkout's node_modules (symlinks
 * resolve to their real path): those are their packages' business, installed from the same lockfile.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NodeRedProcess } from './helpers/node-red-process';
import { eventually } from './helpers/time';

const REPO_ROOT = path.resolve(__dirname, '..');
const MANIFEST = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  engines?: { node?: string };
  dependencies: Record<string, string>;
  'node-red': { version?: string; nodes: Record<string, string> };
};
const NODE_TYPES = Object.keys(MANIFEST['node-red'].nodes);

/**
 * The npm that runs this test (`npm test` sets npm_execpath), not the first `npm` on PATH: under npm, PATH
 * starts with node_modules/.bin, where Node-RED's registry brings its own npm 10, whose `pack` runs `prepare`
 * despite --ignore-scripts.
 */
function npm(...args: string[]): [string, string[]] {
  const execPath = process.env.npm_execpath;
  return execPath && /npm-cli\.js$/.test(execPath) ? [process.execPath, [execPath, ...args]] : ['npm', args];
}

/** Every file under `dir`, as paths relative to it with forward slashes. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('the package as a user installs it from npm (issue 5)', function () {
  this.timeout(30_000);
  let nodeRed: NodeRedProcess;
  /** The unpacked tarball, where `npm install` would put it. */
  let installed: string;
  /** What the tarball holds, from `tar -t` (npm packs everything under `package/`). */
  let packed: string[];

  before(function () {
    this.timeout(20_000);
    nodeRed = new NodeRedProcess({
      flows: [],
      // No nodesDir: the package is to be found in <userDir>/node_modules only, not in this checkout.
      settings: { nodesDir: [] },
    });
    // --ignore-scripts: `npm test` has just built dist/; `prepare` would run tsc a second time for nothing.
    const report = JSON.parse(execFileSync(...npm('pack', '--json', '--ignore-scripts', '--pack-destination', nodeRed.userDir), { cwd: REPO_ROOT, encoding: 'utf8' })) as Array<{
      filename: string;
    }>;
    const tarball = path.join(nodeRed.userDir, report[0].filename);
    packed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, ''));

    const modules = path.join(nodeRed.userDir, 'node_modules');
    installed = path.join(modules, ...MANIFEST.name.split('/'));
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dependency of Object.keys(MANIFEST.dependencies)) {
      const link = path.join(modules, ...dependency.split('/'));
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(REPO_ROOT, 'node_modules', dependency), link, 'dir');
    }
    writeFileSync(
      path.join(nodeRed.userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', private: true, dependencies: { [MANIFEST.name]: `file:${report[0].filename}` } }, null, 2),
    );
  });

  after(async () => {
    await nodeRed?.dispose();
  });

  it('declares the Node-RED and Node.js versions it needs', () => {
    assert.equal(MANIFEST['node-red'].version, '>=3.1.0');
    assert.match(MANIFEST.engines?.node ?? '', /^>=\d+/);
  });

  it('packs what Node-RED and users need, and none of the workshop', () => {
    const needed = [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      MANIFEST.main,
      MANIFEST.types,
      ...Object.values(MANIFEST.bin).map((file) => path.posix.normalize(file)),
      'wsdl/seqr-cashregister.wsdl',
      'wsdl/ERSWSExternalClientService.wsdl',
      ...filesUnder(path.join(REPO_ROOT, 'nodes', 'icons')).map((file) => `nodes/icons/${file}`),
      // README points here for every emulator option; the command ships, so does its manual.
      'docs/emulator.md',
      ...Object.entries(MANIFEST['node-red'].nodes).flatMap(([type, file]) => [
        file,
        file.replace(/\.js$/, '.html'),
        `nodes/locales/en-US/${type}.json`,
        `nodes/locales/en-US/${type}.html`,
        `dist/nodes/${type}.js`,
      ]),
      ...filesUnder(path.join(REPO_ROOT, 'examples')).map((file) => `examples/${file}`),
      ...filesUnder(path.join(REPO_ROOT, 'payer-app')).map((file) => `payer-app/${file}`),
    ];
    assert.deepEqual(needed.filter((file) => !packed.includes(file)), [], 'missing from the tarball');

    // Sources and tests, the demo (its runner and user dir), CI and tool configuration stay in the repository.
    // The README's screenshots too: pictures for the repository page, 200 KB that no install needs.
    const workshop = /^(src|test|bench|scripts|demo|dist\/demo|\.ci|coverage|test-output|node_modules|docs\/screenshots)\/|^(tsconfig.*|eslint\.config\.mjs|\.c8rc\.json|\.mocharc\.json|\.gitignore)$|\.tgz$/;
    assert.deepEqual(packed.filter((file) => workshop.test(file)), [], 'in the tarball but not for users');
  });

  it('loads in Node-RED from <userDir>/node_modules like any installed palette module: every SEQR node type and the examples', async () => {
    await nodeRed.start(60_000);
    assert.doesNotMatch(nodeRed.output, /\[error\]|\[warn\].*seqr/i, 'Node-RED complained while loading');

    // The module as the palette manager shows it.
    const response = await fetch(`${nodeRed.url}/nodes/${MANIFEST.name}`, { headers: { accept: 'application/json' } });
    assert.equal(response.status, 200);
    const module = (await response.json()) as {
      version: string;
      local: boolean;
      user: boolean;
      path: string;
      nodes: Array<{ types: string[]; enabled: boolean; err?: string }>;
    };
    // Node-RED also scans the node_modules it is itself installed in (this checkout's): the path shows which copy loaded.
    assert.equal(module.path, realpathSync(installed), 'loaded from the installed copy');
    assert.equal(module.version, MANIFEST.version);
    // local: found in <userDir>/node_modules; user: listed in the user dir's package.json, as npm install leaves it.
    assert.equal(module.local, true);
    assert.equal(module.user, true);
    assert.deepEqual(module.nodes.filter((set) => set.err !== undefined || !set.enabled), [], 'node sets that failed to load');
    assert.deepEqual(module.nodes.flatMap((set) => set.types).sort(), [...NODE_TYPES].sort());

    // What the editor's Import > Examples menu lists for the module.
    const examples = await fetch(`${nodeRed.url}/library/examples/flows/${MANIFEST.name}`);
    assert.equal(examples.status, 200);
    const listed = ((await examples.json()) as Array<{ fn?: string }>).map((entry) => entry.fn).sort();
    const shipped = filesUnder(path.join(REPO_ROOT, 'examples')).map((file) => file.replace(/\.json$/, '')).sort();
    assert.deepEqual(listed, shipped);
    const first = await fetch(`${nodeRed.url}/library/examples/flows/${MANIFEST.name}/${encodeURIComponent(shipped[0])}`);
    assert.ok(Array.isArray(await first.json()), 'an example reads back as a flow');
  });

  it('runs the installed seqr-emulator command: ready with --port 0, serves its WSDL and payer app, stops on SIGINT', async () => {
    const [command] = Object.values(MANIFEST.bin);
    // From a directory of its own: nothing may resolve against this checkout.
    const child = spawn(process.execPath, [path.join(installed, command), '--port', '0', '--quiet'], { cwd: nodeRed.userDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually(() => /ready\. WSDL: \S+/.test(output) || child.exitCode !== null, 10_000);
      const wsdlUrl = /ready\. WSDL: (\S+)/.exec(output)?.[1];
      assert.ok(wsdlUrl, `no ready line:\n${output}`);
      assert.match(await (await fetch(wsdlUrl)).text(), /<(wsdl:)?definitions[\s\S]*sendInvoice/);
      const app = await fetch(`${new URL(wsdlUrl).origin}/app`);
      assert.equal(app.status, 200);
      assert.match(await app.text(), /<html/i);

      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
