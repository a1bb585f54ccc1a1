/**
 * Debian's Chromium driven by playwright-core, for the browser tests. playwright-core never downloads a
 * browser; the Chromium is the system's (`.ci/run` installs Debian's `chromium` package when it is missing).
 * SEQR_CHROMIUM names another binary.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const CHROMIUM_PATH = process.env.SEQR_CHROMIUM || '/usr/bin/chromium';

/** Generous: a loaded 2-core machine runs these beside other test runs. Every wait is on a visible state. */
export const UI_TIMEOUT_MS = 60_000;

// Quiet and offline: no GPU, no QUIC, no first-run pages, no background fetches or component updates.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Throws a sentence saying how to install Chromium when it is not there (the browser tests never pass without it). */
export function requireChromium(executable: string = CHROMIUM_PATH): void {
  if (existsSync(executable)) return;
  throw new Error(
    `The browser tests need Chromium at ${executable} and it is not there. ` +
      'Install Debian\'s package as root: `apt-get update && apt-get install -y chromium` ' +
      '(.ci/run does this in CI), or set SEQR_CHROMIUM to a Chromium or Chrome binary.',
  );
}

export async function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** A fresh context (own cookies and storage) with a page of the given size and the suite's timeouts. */
export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Where the screenshots go: the README's `docs/screenshots/` when SEQR_UPDATE_SCREENSHOTS is set
 * (`npm run screenshots`), else the git-ignored `test-output/screenshots/`. An ordinary `npm test` must not
 * change tracked files: everyone's `git rebase main` after a test run would stop on them.
 */
export const SCREENSHOT_DIR = process.env.SEQR_UPDATE_SCREENSHOTS
  ? path.join(REPO_ROOT, 'docs', 'screenshots')
  : path.join(REPO_ROOT, 'test-output', 'screenshots');

/** Writes a PNG of the page and returns it (the caller checks it is a real picture). */
export async function screenshot(page: Page, name: string): Promise<Buffer> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const png = await page.screenshot({ fullPage: false, animations: 'disabled', caret: 'hide' });
  writeFileSync(path.join(SCREENSHOT_DIR, `${name}.png`), png);
  return png;
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
