import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { translate } from './helpers/node-red';
import { NODE_RED_VERSION, resolveFromNodeRed } from './helpers/node-red-runtime';

/**
 * What Node-RED's loader and editor need from every node this package registers, checked without a browser:
 * the file pair, the catalog named after the .js, the palette category and icon, help in the core style, and
 * every i18n key the editor asks for present in the catalog.
 */
const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };

/** The editor code of the Node-RED under test (SEQR_NODE_RED_PATH may name an older one than the checkout's). */
const EDITOR_JS = readFileSync(path.join(path.dirname(resolveFromNodeRed('@node-red/editor-client/package.json')), 'public', 'red', 'red.js'), 'utf8');

/** The member names of the object literal that starts at `opening` in the editor code, `indent` deep. */
function editorMembers(opening: string, indent: number): Set<string> {
  const start = EDITOR_JS.indexOf(opening);
  assert.ok(start >= 0, `the editor code of Node-RED ${NODE_RED_VERSION} has no "${opening}"`);
  const end = EDITOR_JS.indexOf(`\n${' '.repeat(indent - 4)}}`, start);
  const members = EDITOR_JS.slice(start, end).matchAll(new RegExp(`^ {${indent}}([A-Za-z_]+):`, 'gm'));
  return new Set([...members].map((match) => match[1]));
}

describe('node editor files', function () {
  for (const [type, jsFile] of Object.entries(pkg['node-red'].nodes)) {
    describe(type, function () {
      const base = path.join(ROOT, path.dirname(jsFile), path.basename(jsFile, '.js'));
      const html = existsSync(`${base}.html`) ? readFileSync(`${base}.html`, 'utf8') : '';

      it('has the .js/.html pair and a catalog named after the .js', function () {
        assert.equal(path.basename(jsFile, '.js'), type);
        assert.match(readFileSync(path.join(ROOT, jsFile), 'utf8'), new RegExp(`require\\('\\.\\./dist/nodes/${type}'\\)`));
        assert.ok(html, `${base}.html is missing`);
        assert.ok(existsSync(path.join(ROOT, 'nodes', 'locales', 'en-US', `${type}.json`)));
      });

      it('registers the type with a template and help of the same name', function () {
        assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}'`));
        assert.match(html, new RegExp(`data-template-name="${type}"`));
        assert.match(html, new RegExp(`data-help-name="${type}"`));
      });

      it('sits in the SEQR palette category with the SEQR icon, or is a config node', function () {
        const category = /category:\s*'([^']+)'/.exec(html)?.[1];
        if (category === 'config') return;
        assert.equal(category, 'SEQR');
        assert.match(html, /icon:\s*'seqr\.svg'/);
        assert.ok(existsSync(path.join(ROOT, 'nodes', 'icons', 'seqr.svg')));
        assert.match(html, /outputLabels/);
      });

      it('has help in the core style: a summary first, then the sections', function () {
        const help = html.slice(html.indexOf(`data-help-name="${type}"`));
        assert.match(help, /^data-help-name="[^"]+">\s*<p>/);
        assert.match(help, /<h3>Details<\/h3>/);
        if (!/category:\s*'config'/.test(html)) {
          assert.match(help, /<h3>Inputs<\/h3>/);
          assert.match(help, /<h3>Outputs<\/h3>/);
          assert.match(help, /<dl class="message-properties">/);
        }
      });

      it('finds every editor i18n key in the catalog', function () {
        const keys = new Set<string>();
        for (const match of html.matchAll(/data-i18n="([^"]+)"/g)) {
          for (const key of match[1].split(';')) keys.add(key.replace(/^\[[^\]]+\]/, ''));
        }
        for (const match of html.matchAll(/\b_\('([^']+)'/g)) keys.add(match[1]);
        // Keys built at run time ('….outputs.' + name) are checked by the node's own tests.
        for (const key of keys) {
          if (key.endsWith('.')) continue;
          assert.doesNotThrow(() => translate(key), `${type}: ${key}`);
          if (!key.includes(':')) assert.ok(key.startsWith(`${type}.`), `${type}: key ${key} should start with the node type`);
        }
      });
    });
  }

  it(`uses only typedInput types and validators the editor of Node-RED ${NODE_RED_VERSION} has`, function () {
    const typedInputTypes = editorMembers('var allOptions = {', 8);
    const validators = editorMembers('RED.validators = {', 4);
    assert.ok(typedInputTypes.has('msg') && validators.has('regex'), 'the editor code was read');
    for (const [type, jsFile] of Object.entries(pkg['node-red'].nodes)) {
      const html = readFileSync(path.join(ROOT, path.dirname(jsFile), `${type}.html`), 'utf8');
      for (const list of html.matchAll(/\btypes:\s*\[([^\]]*)\]/g)) {
        for (const used of list[1].matchAll(/'([^']+)'/g)) assert.ok(typedInputTypes.has(used[1]), `${type}: typedInput type ${used[1]}`);
      }
      for (const used of html.matchAll(/RED\.validators\.(\w+)/g)) assert.ok(validators.has(used[1]), `${type}: RED.validators.${used[1]}`);
    }
  });

  it('has a white icon on a transparent ground in the 2:3 shape of the core icons', function () {
    const svg = readFileSync(path.join(ROOT, 'nodes', 'icons', 'seqr.svg'), 'utf8');
    assert.match(svg, /viewBox="0 0 40 60"/);
    assert.doesNotMatch(svg, /fill="#(?!fff)/i);
  });
});
