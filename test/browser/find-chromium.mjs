// The machine's Chromium for the browser tests and benches, or null: CONVSCOPE_CHROMIUM names one,
// else Debian's (apt-get install chromium) or Google's in their usual places. Plain JavaScript, so
// that scripts/test.mjs can ask before it starts the tests.
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export function findChromium() {
  const named = process.env.CONVSCOPE_CHROMIUM;
  if (named) return existsSync(named) ? named : null;
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}
