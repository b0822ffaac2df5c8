// The library's core in Chromium without the app: models from a URL and a File, images from an
// <img>, a <canvas>, ImageData and PNG bytes, the same numbers as Node's for the same files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { assertClose } from '../helpers/keras-reference.ts';
import { launchChromium } from './chromium.ts';
import { serveApp } from '../../src/node/app-server.ts';
import { loadModel, loadShippedModel, readImageTensor } from '../../src/node.ts';

const ROOT = join(import.meta.dirname, '..', '..');


test('models from a URL and a File, images from <img>, <canvas>, ImageData and bytes, as in Node', async () => {
  const site = mkdtempSync(join(tmpdir(), 'convscope-library-'));
  await build({
    entryPoints: { page: join(import.meta.dirname, 'library-page', 'page.ts') },
    bundle: true, format: 'esm', splitting: true, platform: 'browser', target: 'es2022', outdir: site,
    external: ['module', 'node:*'], logLevel: 'warning',
  });
  writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>library</title><script type="module" src="page.js"></script>\n');
  const server = await serveApp({
    root: site, port: 0, mounts: {
      '/model/model.json': join(ROOT, 'weights', 'mnist-cnn', 'model.json'),
      '/model/weights.bin': join(ROOT, 'weights', 'mnist-cnn', 'weights.bin'),
      '/mnist_model.h5': join(ROOT, 'test', 'fixtures', 'models', 'mnist_model.h5'),
      '/digit-7.png': join(ROOT, 'examples', 'digit-7.png'),
    },
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const handle = await page.waitForFunction(() => (window as { libraryResult?: unknown }).libraryResult, null, { timeout: 60_000 });
    const result = await handle.jsonValue() as { error?: string; inputs: Record<string, number[]>; urlPrediction: number[]; fileName: string; filePrediction: number[]; unloaded: string };
    assert.is(result.error, undefined, result.error);
    assert.equal(errors, []);
    const shape = { channels: 1 as const, height: 28, width: 28 };
    const digit = readImageTensor(join(ROOT, 'examples', 'digit-7.png'), shape);
    for (const [from, values] of Object.entries(result.inputs)) assertClose(values, digit.data, `the image read from ${from}`);
    assertClose(result.urlPrediction, (await loadShippedModel()).predict(digit).data, 'the shipped model loaded from its URL');
    assert.is(result.fileName, 'mnist_model.h5', 'a File names the model');
    assertClose(result.filePrediction, (await loadModel(join(ROOT, 'test', 'fixtures', 'models', 'mnist_model.h5'))).predict(digit).data, 'the .h5 loaded from a File');
    assert.match(result.unloaded, /no pixels yet.*decode/);
  } finally {
    await browser.close();
    await server.close();
    rmSync(site, { recursive: true, force: true });
  }
});

test.run();
