/**
 * What the editor should show of each node type of package.json, read from the package's files: its template
 * in nodes/<type>.html, its help and catalog in nodes/locales/en-US/. For the browser tests that open the
 * dialogs and the help.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };

export interface EditorFile {
  type: string;
  category: string;
  /** The ids of the inputs in its edit template (node-input-… or node-config-input-…). */
  fieldIds: string[];
  /** The first words of its help's summary paragraph. */
  helpStart: string;
  /** Its name in the palette and the help sidebar (the catalog's paletteLabel). */
  paletteLabel: string;
}

function editorFile(type: string): EditorFile {
  const nodesDir = path.join(ROOT, path.dirname(pkg['node-red'].nodes[type]));
  const html = readFileSync(path.join(nodesDir, `${type}.html`), 'utf8');
  const help = readFileSync(path.join(nodesDir, 'locales', 'en-US', `${type}.html`), 'utf8');
  const start = html.indexOf(`data-template-name="${type}"`);
  const template = html.slice(start, html.indexOf('</script>', start));
  const fieldIds = [...template.matchAll(/<(?:input|select|textarea)[^>]*\bid="(node-(?:config-)?input-[\w-]+)"/g)].map((m) => m[1]);
  const summary = /<p>([\s\S]*?)<\/p>/.exec(help)?.[1] ?? '';
  const words = summary.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim().split(' ').slice(0, 5).join(' ');
  const catalog = JSON.parse(readFileSync(path.join(nodesDir, 'locales', 'en-US', `${type}.json`), 'utf8')) as Record<string, { paletteLabel?: string }>;
  return { type, category: /category:\s*'([^']+)'/.exec(html)?.[1] ?? '', fieldIds, helpStart: words, paletteLabel: catalog[type]?.paletteLabel ?? type };
}

export const EDITOR_FILES = Object.keys(pkg['node-red'].nodes).map(editorFile);
export const PALETTE_TYPES = EDITOR_FILES.filter((file) => file.category !== 'config');
export const CONFIG_FILE = EDITOR_FILES.find((file) => file.category === 'config');

/** Editor text that is an i18n key nobody translated, such as `seqr-refund.label.amount`. */
export const RAW_I18N_KEY = /\bseqr-[a-z-]+\.[a-zA-Z]+\.[\w.]+/;
