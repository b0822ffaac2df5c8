// npm run bench:browser [-- --rounds N]: the library's forward in Chromium against Node's in one
// run. VGG16 (224x224x3, batch 1, random weights: bench/vgg16-h5.ts's .h5 in bench/.cache/,
// converted once to a model folder there that both sides load) and the shipped MNIST CNN on one
// 28x28 image keeping every layer's record (the app's cost per drawn stroke). Chromium runs in a module Worker of a
// cross-origin isolated page (as the app does), on its default one-thread set and that set's
// two-thread twin, and on simd and simd-2t; Node runs its own default set and twin, and simd
// and simd-2t, in this process. Every configuration is warmed up, then the rounds take turns
// (one VGG16 forward, or a burst of MNIST forwards, per configuration per round) so that a slow
// spell of the machine hits all alike; the table gives medians with min..max and the
// Chromium/Node ratios (issue 12's goal: Chromium within 1.2x of Node).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { launchChromium } from '../test/browser/chromium.ts';
import { serveApp } from '../src/node/app-server.ts';
import { loadModel, loadModelSpec } from '../src/node/load-model.ts';
import { writeModelFolder } from '../src/node/model-folder-files.ts';
import { defaultKernelSetName, threadedKernelSetName, withKernels } from '../src/runtime/backend.ts';
import type { KernelSetName } from '../src/runtime/kernel-set.ts';
import type { Model } from '../src/model/model.ts';
import type { Tensor } from '../src/tensor.ts';
import { ensureVgg16 } from './vgg16-h5.ts';
import { seededInput } from './seeded-input.ts';
import { appStrokeTimes } from './app-stroke.ts';
import { appSizeReport } from './app-size.ts';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 7;
if (args.some((a, i) => a !== '--rounds' && args[i - 1] !== '--rounds') || !Number.isInteger(rounds) || rounds < 1) {
  console.error('bench:browser: valid arguments: --rounds N (a positive integer, default 7)');
  process.exit(2);
}
const MNIST_BURST = 20;
const log = (line: string) => console.error(line);
const root = join(import.meta.dirname, '..');
const cacheDir = join(root, 'bench', '.cache');
mkdirSync(cacheDir, { recursive: true });

// ---- the models, one copy of the weights for both sides ----
const vggH5 = join(cacheDir, 'vgg16.h5');
const made = await ensureVgg16(vggH5);
if (made.created) log(`VGG16: wrote ${vggH5} in ${made.seconds.toFixed(1)} s`);
const vggFolder = join(cacheDir, 'vgg16-folder');
if (!existsSync(join(vggFolder, 'model.json'))) {
  log('VGG16: converting the .h5 to a model folder (once)');
  writeModelFolder(await loadModelSpec(vggH5), vggFolder);
}
const mnistFolder = join(root, 'weights', 'mnist-cnn');
const MODELS = { vgg16: { folder: vggFolder, shape: [1, 3, 224, 224] }, mnist: { folder: mnistFolder, shape: [1, 1, 28, 28] } };
type ModelKey = keyof typeof MODELS;

// ---- Chromium: the page, its worker, the models mounted beside it ----
const site = mkdtempSync(join(tmpdir(), 'convscope-bench-'));
await build({
  entryPoints: { page: join(import.meta.dirname, 'browser-page', 'page.ts'), worker: join(import.meta.dirname, 'browser-page', 'worker.ts') },
  bundle: true, format: 'esm', splitting: true, platform: 'browser', target: 'es2022', minify: true, outdir: site,
  external: ['module', 'node:*'], logLevel: 'warning',
});
writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module" src="page.js"></script>\n');
const mounts: Record<string, string> = {};
for (const [key, { folder }] of Object.entries(MODELS)) {
  for (const file of readdirSync(folder)) mounts[`/${key}/${file}`] = join(folder, file);
}
const server = await serveApp({ root: site, port: 0, mounts });
const browser = await launchChromium();
const page = await browser.newPage();
page.on('pageerror', (e) => log(`page error: ${e.message}`));
await page.goto(server.url);
await page.waitForFunction(() => 'bench' in window);

interface Answer { result?: unknown; error?: string }
async function inChromium<T>(message: object): Promise<T> {
  const answer = await page.evaluate((m) => (window as unknown as { bench: (m: object) => Promise<Answer> }).bench(m), message) as Answer;
  if (answer.error !== undefined) throw new Error(`Chromium: ${answer.error}`);
  return answer.result as T;
}

// ---- the configurations ----
/** records: forward keeping every layer's record (the app's feature maps), else predict. */
interface Config { side: 'chromium' | 'node'; model: ModelKey; set: KernelSetName; runs: number; records: boolean; times: number[]; output?: Float32Array }
const configs: Config[] = [];
const nodeModels = new Map<ModelKey, { model: Model; input: Tensor }>();
let chromiumSets: { one: KernelSetName; threads: KernelSetName | null } = { one: 'simd', threads: null };

for (const key of Object.keys(MODELS) as ModelKey[]) {
  const { folder, shape } = MODELS[key];
  log(`${key}: loading in Chromium and in Node`);
  const info = await inChromium<{ isolated: boolean; one: KernelSetName; threads: KernelSetName | null }>({ load: { key, url: `/${key}/model.json`, shape } });
  if (!info.isolated) throw new Error('the bench page is not cross-origin isolated');
  chromiumSets = info;
  nodeModels.set(key, { model: await loadModel(folder), input: seededInput(shape) });
}
const nodeSets = { one: defaultKernelSetName(), threads: threadedKernelSetName() };
const unique = (sets: (KernelSetName | null)[]) => [...new Set(sets.filter((s): s is KernelSetName => s !== null))];
for (const model of Object.keys(MODELS) as ModelKey[]) {
  const runs = model === 'mnist' ? MNIST_BURST : 1;
  const records = model === 'mnist';
  // MNIST is too small to take the two-thread path: one thread only.
  const threaded = model === 'mnist' ? [] : [chromiumSets.threads, 'simd-2t' as const];
  for (const set of unique([chromiumSets.one, 'simd', ...threaded])) configs.push({ side: 'chromium', model, set, runs, records, times: [] });
  const nodeThreaded = model === 'mnist' ? [] : [nodeSets.threads, 'simd-2t' as const];
  for (const set of unique([nodeSets.one, 'simd', ...nodeThreaded])) configs.push({ side: 'node', model, set, runs, records, times: [] });
}

async function runOnce(c: Config): Promise<number[]> {
  if (c.side === 'chromium') {
    const r = await inChromium<{ times: number[]; output: number[] }>({ time: { key: c.model, set: c.set, runs: c.runs, records: c.records } });
    c.output = Float32Array.from(r.output);
    return r.times;
  }
  const { model, input } = nodeModels.get(c.model)!;
  const times: number[] = [];
  withKernels(c.set, () => {
    for (let i = 0; i < c.runs; i++) {
      const start = performance.now();
      c.output = (c.records ? model.forward(input).output : model.predict(input)).data;
      times.push(performance.now() - start);
    }
  });
  return times;
}

log(`warming up ${configs.length} configurations`);
for (const c of configs) await runOnce(c);
for (let r = 0; r < rounds; r++) {
  log(`round ${r + 1} of ${rounds}`);
  // Alternate the order each round, so that neither side always runs right after the other.
  for (const c of r % 2 ? [...configs].reverse() : configs) c.times.push(...await runOnce(c));
}
const chromiumVersion = browser.version();
const appDir = join(root, 'dist', 'app');
const strokes = existsSync(join(appDir, 'index.html')) ? await appStrokeTimes(browser, appDir) : null;
await browser.close();
await server.close();
rmSync(site, { recursive: true, force: true });

// ---- the table ----
function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const cell = (c: Config | undefined) => c ? `${fmt(median(c.times))} (${fmt(Math.min(...c.times))}..${fmt(Math.max(...c.times))}) ${c.set}` : '-';
/** How far two outputs are apart: 'bit-identical' or the largest absolute difference. */
function agreement(a: Float32Array | undefined, b: Float32Array | undefined): string {
  if (!a || !b || a.length !== b.length) return '-';
  let max = 0;
  let same = true;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    same = false;
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return same ? 'bit-identical' : `max |diff| ${max.toExponential(1)}`;
}
const find = (side: Config['side'], model: ModelKey, set: KernelSetName | null) => configs.find((c) => c.side === side && c.model === model && c.set === set);

interface Line { workload: string; chromium: Config | undefined; node: Config | undefined }
const lines: Line[] = [
  { workload: 'VGG16 forward, one thread (each side\'s default set)', chromium: find('chromium', 'vgg16', chromiumSets.one), node: find('node', 'vgg16', nodeSets.one) },
  { workload: 'VGG16 forward, one thread, simd both', chromium: find('chromium', 'vgg16', 'simd'), node: find('node', 'vgg16', 'simd') },
  { workload: 'VGG16 forward, two threads (default set\'s twin)', chromium: find('chromium', 'vgg16', chromiumSets.threads), node: find('node', 'vgg16', nodeSets.threads) },
  { workload: 'VGG16 forward, two threads, simd-2t both', chromium: find('chromium', 'vgg16', 'simd-2t'), node: find('node', 'vgg16', 'simd-2t') },
  { workload: 'MNIST CNN forward with records, one 28x28 image (default set)', chromium: find('chromium', 'mnist', chromiumSets.one), node: find('node', 'mnist', nodeSets.one) },
  { workload: 'MNIST CNN forward with records, one 28x28 image, simd both', chromium: find('chromium', 'mnist', 'simd'), node: find('node', 'mnist', 'simd') },
];
const header = ['workload', 'Chromium ms (min..max) set', 'Node ms (min..max) set', 'Chromium/Node', 'outputs'];
const rows = lines.map((l) => [
  l.workload, cell(l.chromium), cell(l.node),
  l.chromium && l.node ? `${(median(l.chromium.times) / median(l.node.times)).toFixed(2)}x` : '-',
  agreement(l.chromium?.output, l.node?.output),
]);
const speedups = (side: Config['side'], sets: { one: KernelSetName; threads: KernelSetName | null }) => {
  const one = find(side, 'vgg16', sets.one);
  const two = find(side, 'vgg16', sets.threads);
  return one && two ? `${(median(one.times) / median(two.times)).toFixed(2)}x (${sets.threads} vs ${sets.one}; outputs ${agreement(one.output, two.output)})` : 'no two-thread set';
};
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`Chromium ${chromiumVersion} (in a module Worker, cross-origin isolated) vs Node ${process.version}, ${rounds} rounds taking turns after a warm-up; MNIST: ${MNIST_BURST} forwards per round`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`Two threads vs one, VGG16: Chromium ${speedups('chromium', chromiumSets)}; Node ${speedups('node', nodeSets)}`);
if (strokes) {
  console.log(`The app (dist/app) in Chromium, 20 mouse strokes on the pad: ${strokes.predictions} predictions while drawing; the worker's forward (MNIST CNN, every layer kept) median ${median(strokes.forwardMs).toFixed(2)} ms (${Math.min(...strokes.forwardMs).toFixed(2)}..${Math.max(...strokes.forwardMs).toFixed(2)}); input sent to bars drawn median ${median(strokes.roundTripMs).toFixed(1)} ms`);
  console.log(appSizeReport(appDir));
} else {
  console.log('The app: dist/app is missing (npm run build); its stroke times and bundle size are not measured');
}
