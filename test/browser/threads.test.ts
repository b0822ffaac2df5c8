// The two-thread kernels in Chromium (src/runtime/wasm-threads.ts with Web Workers): a page served
// cross-origin isolated runs a conv-heavy forward in a module Worker on the default one-thread set
// and on its two-thread set, which must give the same bits; served without the isolation headers
// (as a plain static host would), prepareKernels refuses with one clear error and one thread still
// gives those bits. The page's own main thread is refused either way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { serveApp, type AppServer } from '../../src/node/app-server.ts';

interface Bits { features: number[]; scores: number[] }
interface PageResult {
  mainThreadError: string | null;
  isolated: boolean;
  one: string;
  threads: string | null;
  ran: string | null;
  oneThread: Bits;
  twoThreads: Bits | null;
  error: string | null;
}

const site = mkdtempSync(join(tmpdir(), 'convscope-threads-'));
let browser: Browser;
const servers: AppServer[] = [];
const results: Record<'isolated' | 'plain', PageResult | null> = { isolated: null, plain: null };

async function open(isolated: boolean): Promise<PageResult> {
  const server = await serveApp({ root: site, port: 0, isolated });
  servers.push(server);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  const handle = await page.waitForFunction(() => (window as { threadsResult?: unknown }).threadsResult, null, { timeout: 120_000 });
  const result = await handle.jsonValue() as PageResult;
  await page.close();
  assert.equal(errors, [], 'page errors');
  return result;
}

function sameBits(what: string, got: number[], want: number[]): void {
  assert.is(got.length, want.length, `${what}: length`);
  const first = got.findIndex((v, i) => v !== want[i]);
  assert.is(first, -1, `${what}: element ${first} differs`);
}

test.before(async () => {
  const here = join(import.meta.dirname, 'threads-page');
  await build({
    entryPoints: { page: join(here, 'page.ts'), worker: join(here, 'worker.ts') },
    bundle: true, format: 'esm', splitting: true, platform: 'browser', target: 'es2022', outdir: site,
    external: ['module', 'node:*'], logLevel: 'warning',
  });
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>threads</title><script type="module" src="page.js"></script>\n');
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
  rmSync(site, { recursive: true, force: true });
});

test('cross-origin isolated: the two-thread set of the default set runs in a Worker and gives its bits', async () => {
  const r = await open(true);
  results.isolated = r;
  assert.is(r.error, null);
  assert.ok(r.isolated, 'crossOriginIsolated');
  assert.is(r.threads, `${r.one}-2t`);
  assert.is(r.ran, r.threads);
  assert.ok(r.twoThreads);
  sameBits('last conv features', r.twoThreads.features, r.oneThread.features);
  sameBits('dense scores', r.twoThreads.scores, r.oneThread.scores);
});

test("the page's main thread may not block: prepareKernels says so", async () => {
  const r = results.isolated ?? await open(true);
  assert.match(r.mainThreadError ?? '', /must run in a Worker; this is the main thread of a page, where Atomics.wait is not allowed; use (simd|relaxed)$/);
});

test('not isolated: prepareKernels gives the clear error, and one thread gives the same bits', async () => {
  const r = await open(false);
  results.plain = r;
  assert.not.ok(r.isolated, 'crossOriginIsolated');
  assert.is(r.threads, null);
  assert.is(r.twoThreads, null);
  assert.match(r.error ?? '', /needs shared memory and a thread that may block: threads need a cross-origin isolated page \(served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\) and must run in a Worker; this page is not cross-origin isolated; use (simd|relaxed)$/);
  assert.match(r.mainThreadError ?? '', /this page is not cross-origin isolated/);
  const isolated = results.isolated ?? await open(true);
  assert.is(r.one, isolated.one);
  sameBits('last conv features', r.oneThread.features, isolated.oneThread.features);
  sameBits('dense scores', r.oneThread.scores, isolated.oneThread.scores);
});

test.run();
