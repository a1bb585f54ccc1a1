import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { translate } from './helpers/node-red';

/**
 * What Node-RED's loader and editor need from every node this package registers, checked without a browser:
 * the file pair, the catalog named after the .js, the palette category, an icon and a label of its own, help in
 * the core style and where core nodes keep it (`nodes/locales/<lang>/<type>.html`, one per language present),
 * and every i18n key the editor and the runtime ask for present in the catalog.
 */
const ROOT = path.join(__dirname, '..');
const LOCALES = path.join(ROOT, 'nodes', 'locales');
const LANGUAGES = readdirSync(LOCALES, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };

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

      it('registers the type with a template of the same name', function () {
        assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}'`));
        assert.match(html, new RegExp(`data-template-name="${type}"`));
      });

      it('sits in the SEQR palette category with an icon of its own, or is a config node', function () {
        const category = /category:\s*'([^']+)'/.exec(html)?.[1];
        if (category === 'config') return;
        assert.equal(category, 'SEQR');
        const icon = /icon:\s*'([^']+)'/.exec(html)?.[1] ?? '';
        assert.ok(existsSync(path.join(ROOT, 'nodes', 'icons', icon)), `${type}: icon ${icon}`);
        assert.match(html, /outputLabels/);
      });

      for (const language of LANGUAGES) {
        it(`has help in the core style in locales/${language}/${type}.html: a summary first, then the sections`, function () {
          const file = path.join(LOCALES, language, `${type}.html`);
          assert.ok(existsSync(file), `${file} is missing`);
          const help = readFileSync(file, 'utf8');
          assert.match(help, new RegExp(`^<script type="text/html" data-help-name="${type}">\\s*<p>`));
          assert.match(help, /<h3>Details<\/h3>/);
          if (!/category:\s*'config'/.test(html)) {
            assert.match(help, /<h3>Inputs<\/h3>/);
            assert.match(help, /<h3>Outputs<\/h3>/);
            assert.match(help, /<dl class="message-properties">/);
          }
          // Node-RED takes the help from the catalog directory; a copy left in the node's .html would be the one shown.
          assert.doesNotMatch(html, /data-help-name=/);
        });

        it(`has its message catalog in locales/${language}/${type}.json`, function () {
          assert.ok(existsSync(path.join(LOCALES, language, `${type}.json`)));
        });
      }

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

  it('finds every runtime i18n key of src/nodes/*.ts in the catalogs (RED._ of a literal key or a sharedKey)', function () {
    const sources = readdirSync(path.join(ROOT, 'src', 'nodes')).filter((file) => file.endsWith('.ts'));
    let checked = 0;
    for (const file of sources) {
      const source = readFileSync(path.join(ROOT, 'src', 'nodes', file), 'utf8');
      // Keys built at run time (template strings) are left to the nodes' own tests, which translate them.
      for (const match of source.matchAll(/RED\._\('([^']+)'/g)) {
        assert.doesNotThrow(() => translate(match[1]), `${file}: ${match[1]}`);
        checked += 1;
      }
      for (const match of source.matchAll(/sharedKey\('([^']+)'\)/g)) {
        assert.doesNotThrow(() => translate(`seqr-config:${match[1]}`), `${file}: ${match[1]}`);
        checked += 1;
      }
    }
    assert.ok(checked > 40, `${checked} keys found`);
  });

  /** The palette nodes' registrations: type, icon, colour and palette label (from the catalog). */
  const PALETTE = Object.keys(pkg['node-red'].nodes).flatMap((type) => {
    const html = readFileSync(path.join(ROOT, 'nodes', `${type}.html`), 'utf8');
    if (/category:\s*'config'/.test(html)) return [];
    const catalog = JSON.parse(readFileSync(path.join(LOCALES, 'en-US', `${type}.json`), 'utf8')) as Record<string, { paletteLabel: string; label: { default: string } }>;
    return [{
      type,
      icon: /icon:\s*'([^']+)'/.exec(html)?.[1] ?? '',
      color: /color:\s*'(#[0-9A-Fa-f]{6})'/.exec(html)?.[1] ?? '',
      paletteLabel: catalog[type].paletteLabel,
      defaultLabel: catalog[type].label.default,
    }];
  });

  it('gives every palette node an icon of its own: white on a transparent ground in the 2:3 shape of the core icons', function () {
    assert.equal(new Set(PALETTE.map((node) => node.icon)).size, PALETTE.length, PALETTE.map((node) => node.icon).join(', '));
    for (const { icon } of PALETTE) {
      const svg = readFileSync(path.join(ROOT, 'nodes', 'icons', icon), 'utf8');
      assert.match(svg, /^<svg [^>]*viewBox="0 0 40 60"/, icon);
      for (const paint of svg.matchAll(/\b(?:fill|stroke)="([^"]+)"/g)) assert.match(paint[1], /^(#fff|none)$/i, `${icon}: ${paint[0]}`);
      assert.doesNotMatch(svg, /<(?:rect|image|script)\b|style=/, `${icon}: a glyph only, no ground, picture or script`);
    }
  });

  it('colours the palette nodes in one family: shades of one hue, each node its own shade', function () {
    const hsl = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255);
      const max = Math.max(r, g, b);
      const min = Math.min(r, g, b);
      const hue = max === min ? 0 : max === r ? ((g - b) / (max - min)) % 6 : max === g ? (b - r) / (max - min) + 2 : (r - g) / (max - min) + 4;
      return { hue: (hue * 60 + 360) % 360, lightness: (max + min) / 2 };
    };
    const hues = PALETTE.map((node) => hsl(node.color).hue);
    assert.ok(Math.max(...hues) - Math.min(...hues) <= 12, `hues ${hues.map(Math.round).join(', ')}`);
    assert.equal(new Set(PALETTE.map((node) => node.color.toLowerCase())).size, PALETTE.length);
  });

  it('labels the palette nodes on one line, by the package\'s name, unlike Dashboard 2.0\'s nodes', function () {
    // Node-RED 3-5 wraps a palette label longer than about 14 characters of its font onto a second line.
    const dashboard = path.dirname(require.resolve('@flowfuse/node-red-dashboard/package.json'));
    const dashboardLabels = new Set<string>();
    for (const file of readdirSync(path.join(dashboard, 'nodes'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.json') || !file.includes('en-US')) continue;
      const catalog = JSON.parse(readFileSync(path.join(dashboard, 'nodes', file), 'utf8')) as Record<string, { label?: Record<string, unknown> | string }>;
      for (const [type, entry] of Object.entries(catalog)) {
        dashboardLabels.add(type.replace(/^ui-/, ''));
        if (entry && typeof entry === 'object' && typeof entry.label === 'object') {
          for (const value of Object.values(entry.label ?? {})) if (typeof value === 'string') dashboardLabels.add(value.toLowerCase());
        }
      }
    }
    assert.ok(dashboardLabels.has('notification'), 'Dashboard 2.0\'s catalogs were read');
    for (const { type, paletteLabel, defaultLabel } of PALETTE) {
      assert.ok(paletteLabel.length <= 14, `${type}: "${paletteLabel}" is ${paletteLabel.length} characters`);
      assert.match(paletteLabel, /^seqr /, type);
      for (const label of [paletteLabel, defaultLabel]) assert.ok(!dashboardLabels.has(label.toLowerCase()), `${type}: "${label}" is a Dashboard 2.0 label`);
    }
    const notification = PALETTE.find((node) => node.type === 'seqr-notification');
    assert.ok(notification && !/notification/i.test(notification.paletteLabel + notification.defaultLabel), 'the notification node is named for what it is to SEQR: a callback');
  });
});
