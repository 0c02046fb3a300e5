import { mkdir } from 'node:fs/promises';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { hasPeer } from './peers.ts';

/** Where the browser tests leave their screenshots. */
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

const CHROMIUM = '/usr/bin/chromium';
// Headless, and nothing in the background that reaches out or updates itself mid-test.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium is there (skip the browser tests otherwise; an error in CI, see `hasPeer`). */
export const hasChromium = () => hasPeer(CHROMIUM, 'chromium');

/** Debian's chromium, with the screenshot folder made. */
export async function launchChromium(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page in a fresh browser context (its own cookies and credentials), closed whatever `fn` does. */
export async function withPage<T>(
  browser: Browser,
  options: BrowserContextOptions,
  fn: (page: Page) => Promise<T>,
): Promise<T> {
  const context = await browser.newContext(options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}
