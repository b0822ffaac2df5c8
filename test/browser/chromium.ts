// Finds and starts the machine's own Chromium for the browser tests and benches (playwright-core
// drives it; it never downloads a browser). CONVSCOPE_CHROMIUM names another executable.
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { findChromium } from './find-chromium.mjs';

export { findChromium };

// Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
// this machine's closed network refuses.
const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Starts headless Chromium (playwright gives it a fresh temporary profile). */
export function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === null) throw new Error('no Chromium on this machine (apt-get install chromium, or set CONVSCOPE_CHROMIUM)');
  return chromium.launch({ executablePath, headless: true, args: FLAGS });
}

/** Where the browser tests leave their screenshots (test-artifacts/browser, ignored by git). */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'browser');
