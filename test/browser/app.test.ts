// The browser app (dist/app) in Debian's Chromium: it loads clean, a digit drawn with the mouse is
// read, its numbers equal the CLI's for the same input, occlusion reports progress, a graph model
// and an image can be dropped in, and one or two threads give the same bits. Each state is saved
// as a screenshot in test-artifacts/browser/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { assertClose } from '../helpers/keras-reference.ts';
import { killServes, startServe } from '../helpers/serve-process.ts';
import { launchChromium, ARTIFACTS } from './chromium.ts';
import { serveApp, type AppServer } from '../../src/node/app-server.ts';
import { parseNpy, toNpy } from '../../src/io/npy.ts';
import { Canvas, encodePng } from '../../src/io/png-output.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const APP = join(ROOT, 'dist', 'app');
const CLI = join(ROOT, 'dist', 'cli.js');
const DIGIT_7 = join(ROOT, 'examples', 'digit-7.png');

let browser: Browser;
let server: AppServer;
let scratch: string;

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'convscope-browser-'));
  server = await serveApp({ root: APP, port: 0 });
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

interface Hook {
  ready: boolean;
  busy: number;
  errors: string[];
  prediction: number[] | null;
  forwardMs: number[];
  kernels: string;
  model: string;
  results: Record<string, { shape: number[]; data: Float32Array } | Record<string, { shape: number[]; data: Float32Array }> | string>;
}

/** A page of the app, ready, with every console error and page error it logs collected. */
async function openApp(query = '', viewport = { width: 1280, height: 800 }, base = server.url): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(base + query);
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp?: Hook }).convscopeApp?.ready === true, null, { timeout: 60_000 });
  return { page, problems };
}

async function idle(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.busy === 0, null, { timeout: 60_000 });
}

function hookValue<T>(page: Page, read: (hook: Hook) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(globalThis.convscopeApp)`) as Promise<T>;
}

/** A result the page exposes, as plain numbers. */
async function exposed(page: Page, name: string, key?: string): Promise<{ shape: number[]; data: number[] }> {
  return page.evaluate(([n, k]) => {
    const results = (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results;
    const value = (k ? (results[n!] as Record<string, unknown>)[k] : results[n!]) as { shape: number[]; data: Float32Array };
    return { shape: value.shape, data: Array.from(value.data) };
  }, [name, key] as const);
}

function cli(args: string[]): string {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  assert.is(run.status, 0, `convscope ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

function readNpy(path: string): { shape: number[]; data: ArrayLike<number> } {
  const npy = parseNpy(readFileSync(path), path);
  return { shape: npy.shape, data: npy.data as ArrayLike<number> };
}


async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function drawSeven(page: Page): Promise<void> {
  await page.click('#clear');
  const box = (await page.locator('canvas.draw-pad').boundingBox())!;
  const at = (x: number, y: number): [number, number] => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  const points: [number, number][] = [[70, 60], [210, 60], [130, 240]];
  await page.mouse.move(...at(...points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(...p), { steps: 10 });
  await page.mouse.up();
  await page.waitForTimeout(200);
  await idle(page);
}

test('the page loads on the shipped model with no console error, and predicts the shipped 7', async () => {
  const { page, problems } = await openApp();
  assert.equal(problems, []);
  assert.equal(await hookValue(page, (h) => h.errors), []);
  const p = (await hookValue(page, (h) => h.prediction))!;
  assert.is(p.indexOf(Math.max(...p)), 7);
  assert.ok(await page.locator('#graph .node').count() >= 5, 'the graph view lists the layers');
  assert.ok(await page.locator('.tile').count() > 0, 'the first conv layer\'s maps are shown');
  await shot(page, '01-start-1280x800');
  await page.close();
});

test('drawing a 7 with the mouse gives class 7, a prediction per stroke update', async () => {
  const { page, problems } = await openApp();
  await drawSeven(page);
  const p = (await hookValue(page, (h) => h.prediction))!;
  assert.is(p.indexOf(Math.max(...p)), 7, `predicted ${p.indexOf(Math.max(...p))}: ${p.map((v) => v.toFixed(3)).join(' ')}`);
  assert.ok((await hookValue(page, (h) => h.forwardMs.length)) >= 3, 'predictions arrive while drawing, not only at the end');
  assert.equal(problems, []);
  await shot(page, '02-drawn-seven');
  await page.close();
});

test('a conv2 channel\'s reconstructions equal the CLI\'s deconv .npy for the same input', async () => {
  const { page, problems } = await openApp();
  await page.click('#graph .node[data-layer="conv2"]');
  await page.waitForSelector('.tile[data-channel="22"]');
  await idle(page);
  await page.click('.tile[data-channel="22"]');
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results.reconstructionsOf === 'conv2:22:all');
  await idle(page);
  await shot(page, '03-conv2-channel-22');
  for (const method of ['deconvnet', 'salinet', 'desalinet']) {
    const out = join(scratch, `${method}.npy`);
    cli(['deconv', DIGIT_7, '--layer', 'conv2', '--channel', '22', '--method', method, '--out', out]);
    const ref = readNpy(out);
    const mine = await exposed(page, 'reconstructions', method);
    assert.equal(mine.shape, ref.shape, `${method}: shape`);
    assertClose(mine.data, ref.data, `${method} in the page against the CLI`);
  }
  await page.click('#unit-max');
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results.reconstructionsOf === 'conv2:22:max');
  const out = join(scratch, 'deconvnet-max.npy');
  cli(['deconv', DIGIT_7, '--layer', 'conv2', '--channel', '22', '--unit', 'max', '--method', 'deconvnet', '--out', out]);
  assertClose((await exposed(page, 'reconstructions', 'deconvnet')).data, readNpy(out).data, 'deconvnet from the strongest unit');
  assert.equal(problems, []);
  await page.close();
});

test('occlusion\'s progress bar moves, and its grid equals the CLI\'s', async () => {
  const { page, problems } = await openApp();
  await page.click('#tab-occlusion');
  await page.fill('#occ-size', '4');
  await page.fill('#occ-stride', '1');
  const seen = await page.evaluate(() => {
    const values: number[] = [];
    const bar = document.querySelector('.progress progress') as HTMLProgressElement;
    new MutationObserver(() => values.push(bar.value)).observe(bar, { attributes: true });
    (globalThis as unknown as { progressSeen: number[] }).progressSeen = values;
    return true;
  });
  assert.ok(seen);
  await page.click('#occ-run');
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results.occlusion !== undefined, null, { timeout: 60_000 });
  const progress = await page.evaluate(() => (globalThis as unknown as { progressSeen: number[] }).progressSeen);
  assert.ok(new Set(progress).size >= 2, `the bar moved: ${progress.join(', ')}`);
  await shot(page, '04-occlusion');
  const out = join(scratch, 'occlusion.npy');
  cli(['occlusion', DIGIT_7, '--size', '4', '--stride', '1', '--fill', '0', '--out', out]);
  const ref = readNpy(out);
  const mine = await exposed(page, 'occlusion');
  assert.equal(mine.shape, ref.shape);
  assertClose(mine.data, ref.data, 'the occlusion grid');
  assert.equal(problems, []);
  await page.close();
});

test('Grad-CAM and maximisation show their pictures; a long maximisation can be cancelled', async () => {
  const { page, problems } = await openApp();
  await page.click('#tab-gradcam');
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results.gradcam !== undefined);
  await shot(page, '05-gradcam');
  await page.click('#tab-maximize');
  await page.selectOption('#max-layer', 'conv2');
  await page.fill('#max-channel', '3');
  await page.fill('#max-steps', '300');
  await page.click('#max-run');
  await page.waitForSelector('text=/step \\d+ of 300/');
  await shot(page, '06-maximize-forming');
  await page.waitForSelector('text=after 300 steps', { timeout: 60_000 });
  await shot(page, '07-maximize-done');
  await page.fill('#max-steps', '5000');
  await page.click('#max-run');
  await page.waitForSelector('text=/step \\d+ of 5000/');
  await page.click('#view-maximize .progress .cancel');
  await page.waitForSelector('#view-maximize >> text=Cancelled.');
  await idle(page);
  assert.ok(await page.locator('#view-maximize .progress').isHidden(), 'the progress bar goes away');
  assert.equal(problems, []);
  assert.equal(await hookValue(page, (h) => h.errors), []);
  await page.close();
});

/** A colourful PNG of 40x30: a real image file for the graph model. */
function photoPng(): Uint8Array {
  const canvas = new Canvas(40, 30);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) canvas.fillRect(x, y, 1, 1, [x * 6, y * 8, ((x + y) * 5) % 256]);
  return encodePng(canvas);
}

/** Drops files on the page as a user's drag and drop does. */
async function drop(page: Page, files: { name: string; bytes: Uint8Array; type?: string }[]): Promise<void> {
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type ?? '' }));
    document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files.map((f) => ({ ...f, bytes: Array.from(f.bytes) })));
}

const FIXTURES = join(ROOT, 'test', 'fixtures', 'models', 'graphs');
const fixture = (...path: string[]) => ({ name: path.at(-1)!, bytes: readFileSync(join(FIXTURES, ...path)) });
const DROPPED_MODELS: { format: string; model: string; files: { name: string; bytes: Uint8Array }[] }[] = [
  { format: 'a Keras 2 .h5 (ResNet-style graph)', model: 'resnet_tiny', files: [fixture('resnet_tiny.h5')] },
  { format: 'a Keras 3 .keras archive', model: 'inception_v3_tiny', files: [fixture('keras3', 'inception_tiny.keras')] },
  { format: 'a TensorFlow.js model.json with its shard', model: 'mobilenetv2_0.35_16', files: [fixture('tfjs', 'mobilenet_v2_tiny', 'model.json'), fixture('tfjs', 'mobilenet_v2_tiny', 'group1-shard1of1.bin')] },
];

for (const { format, model, files } of DROPPED_MODELS) {
  test(`dropping ${format} and a PNG opens them`, async () => {
    const { page, problems } = await openApp();
    await drop(page, [...files, { name: 'photo.png', bytes: photoPng(), type: 'image/png' }]);
    await page.waitForFunction((name) => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.model === name, model, { timeout: 60_000 });
    await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.prediction !== null, null, { timeout: 60_000 });
    await idle(page);
    assert.ok(await page.locator('#graph path.edge').count() >= (await page.locator('#graph .node').count()), 'the graph view draws the branches\' edges too');
    assert.ok(await page.locator('.tile').count() > 0);
    assert.equal(await hookValue(page, (h) => h.errors), []);
    assert.equal(problems, []);
    await shot(page, `08-dropped-${model}`);
    await page.close();
  });
}

test('a file that is not a model gives one readable line in the page', async () => {
  const { page, problems } = await openApp();
  await drop(page, [{ name: 'broken.h5', bytes: new Uint8Array([1, 2, 3, 4]) }]);
  await page.waitForSelector('#error:not([hidden])');
  const line = await page.textContent('#error');
  assert.match(line ?? '', /^broken\.h5: /);
  assert.not.match(line ?? '', /\n|at .*\(/);
  await shot(page, '09-error-line');
  assert.equal(problems, []);
  await page.close();
});

test('one thread and two threads give the same bits', async () => {
  const { page, problems } = await openApp();
  assert.ok(await page.evaluate(() => crossOriginIsolated), 'the server sends the isolation headers');
  await page.click('#graph .node[data-layer="conv2"]');
  await page.waitForSelector('.tile[data-channel="3"]');
  await page.click('.tile[data-channel="3"]');
  await page.waitForFunction(() => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.results.reconstructionsOf === 'conv2:3:all');
  await idle(page);
  const one = { kernels: await hookValue(page, (h) => h.kernels), prediction: await hookValue(page, (h) => h.prediction), r: await exposed(page, 'reconstructions', 'desalinet') };
  await page.click('#threads-2');
  await page.waitForFunction((k) => (globalThis as unknown as { convscopeApp: Hook }).convscopeApp.kernels !== k, one.kernels, { timeout: 30_000 });
  await page.click('#digit-7');
  await page.waitForTimeout(200);
  await idle(page);
  const two = { kernels: await hookValue(page, (h) => h.kernels), prediction: await hookValue(page, (h) => h.prediction), r: await exposed(page, 'reconstructions', 'desalinet') };
  assert.match(two.kernels, /-2t$/);
  assert.equal(two.prediction, one.prediction, 'the same probabilities, bit for bit');
  assert.equal(two.r, one.r, 'the same reconstruction, bit for bit');
  assert.equal(problems, []);
  await shot(page, '10-two-threads');
  await page.close();
});

/** `convscope serve ARGS --port 0` as a user runs it: the address it prints, and Ctrl-C's signal to stop it (resolves to its exit code). */
test.after(killServes);

test('convscope serve MODEL IMAGE --scale: its address opens them, predicting what the CLI predicts', async () => {
  const photo = join(scratch, 'my photo.png');
  writeFileSync(photo, photoPng());
  const model = join(FIXTURES, 'resnet_tiny.h5');
  const scale = '0.00392156862745098';
  cli(['predict', model, photo, '--scale', scale, '--out', join(scratch, 'served.npy')]);
  const served = await startServe([CLI], [model, photo, '--scale', scale]);
  assert.match(served.url, /\?model=files\/model\/resnet_tiny\.h5&image=files\/image\/my%20photo\.png&scale=/);
  const { page, problems } = await openApp('', undefined, served.url);
  assert.is(await hookValue(page, (h) => h.model), 'resnet_tiny');
  assert.ok(await page.evaluate(() => crossOriginIsolated), 'serve sends the isolation headers');
  assertClose((await hookValue(page, (h) => h.prediction))!, readNpy(join(scratch, 'served.npy')).data, 'the served page\'s prediction against convscope predict');
  assert.equal(await hookValue(page, (h) => h.errors), []);
  assert.equal(problems, []);
  await shot(page, '12-serve-model-image');
  await page.close();
  assert.is(await served.stop(), 0, 'Ctrl-C ends serve with exit 0');
});

test('convscope app --out: the static site opens its model from a host without isolation headers, on one thread', async () => {
  const site = join(scratch, 'site');
  const printed = cli(['app', join(FIXTURES, 'tfjs', 'mobilenet_v2_tiny'), '--out', site]);
  const query = /open index\.html(\?\S*)$/m.exec(printed)?.[1];
  assert.ok(query, `app prints the address to open: ${printed}`);
  const plainHost = await serveApp({ root: site, port: 0, isolated: false });
  try {
    const { page, problems } = await openApp(query!, undefined, plainHost.url);
    assert.is(await hookValue(page, (h) => h.model), 'mobilenetv2_0.35_16');
    assert.not.ok(await page.evaluate(() => crossOriginIsolated));
    assert.not.match(await hookValue(page, (h) => h.kernels), /-2t$/);
    assert.ok(await page.locator('#threads-2').isDisabled(), 'two threads are offered only where the page is isolated');
    assert.equal(await hookValue(page, (h) => h.errors), []);
    assert.equal(problems, []);
    await shot(page, '13-static-site-one-thread');
    await page.close();
  } finally {
    await plainHost.close();
  }
});

test('a .npy that holds a batch gives one readable line in the page', async () => {
  const { page, problems } = await openApp();
  await drop(page, [{ name: 'batch.npy', bytes: toNpy([2, 1, 28, 28], new Float32Array(2 * 28 * 28)) }]);
  await page.waitForSelector('#error:not([hidden])');
  assert.is(await page.textContent('#error'), 'batch.npy holds a batch of 2 inputs; the app takes one');
  assert.equal(problems, []);
  await page.close();
});

test('at phone width the page stacks into one column without overflowing', async () => {
  const { page, problems } = await openApp('', { width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await shot(page, '11-phone-390');
  assert.equal(problems, []);
  await page.close();
});

test.run();
