// The app itself in Chromium, as a person draws: strokes on the pad with the mouse, and for every
// prediction the worker's forward time and the page's round trip (input sent to bars drawn).
import type { Browser } from 'playwright-core';
import { serveApp } from '../src/node/app-server.ts';

export interface StrokeTimes {
  predictions: number;
  forwardMs: number[];
  roundTripMs: number[];
}

export async function appStrokeTimes(browser: Browser, appDir: string, strokes = 20): Promise<StrokeTimes> {
  const server = await serveApp({ root: appDir, port: 0 });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(server.url);
    await page.waitForFunction(() => (globalThis as { convscopeApp?: { ready: boolean } }).convscopeApp?.ready === true, null, { timeout: 60_000 });
    await page.evaluate(() => {
      const hook = (globalThis as unknown as { convscopeApp: { forwardMs: number[]; roundTripMs: number[] } }).convscopeApp;
      hook.forwardMs.length = 0;
      hook.roundTripMs.length = 0;
    });
    const box = (await page.locator('canvas.draw-pad').boundingBox())!;
    for (let s = 0; s < strokes; s++) {
      await page.click('#clear');
      const y = box.y + box.height * (0.2 + 0.6 * ((s * 7) % 10) / 10);
      await page.mouse.move(box.x + box.width * 0.2, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.8, y + box.height * 0.1, { steps: 12 });
      await page.mouse.up();
      await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: { busy: number } }).convscopeApp.busy === 0);
    }
    const times = await page.evaluate(() => {
      const hook = (globalThis as unknown as { convscopeApp: { forwardMs: number[]; roundTripMs: number[] } }).convscopeApp;
      return { forwardMs: [...hook.forwardMs], roundTripMs: [...hook.roundTripMs] };
    });
    return { predictions: times.forwardMs.length, ...times };
  } finally {
    await page.close();
    await server.close();
  }
}
