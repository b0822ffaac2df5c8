// npm run bench:models [-- --quick] [-- --json]: the models end to end, one thread. The MNIST
// CNN (weights/mnist-cnn): forward at batch 64 against PyTorch in the same run (Debian's
// python3-torch, when /usr/bin/python3 has it), one training step of its architecture (Adam,
// dropout, batch 64) against PyTorch's in alternating rounds, with where the step's time goes
// kernel by kernel, each backward net, Grad-CAM, and occlusion
// naive vs batched vs incremental with the maps compared. VGG16 at 224x224x3 with random weights,
// from a Keras .h5 the bench writes once into bench/.cache/: forward, DeconvNet from block5_conv3
// back to pixels, the other backward nets and Grad-CAM, and a 16x16 occluder at stride 8 (729
// windows) naive, batched and incremental. Runs that would take minutes (naive and batched
// VGG16 occlusion; in --quick also incremental) are timed on their first windows and
// extrapolated, and say so. In the same run, VGG16's forward on two threads (simd-2t) and through
// the peers (bench/peers/vgg16.ts: tfjs-backend-wasm one thread, onnxruntime-web one thread,
// onnxruntime-node one and two threads, same weights and image, scores checked against ours),
// ours and tfjs-wasm again in alternating rounds for the goal ratio, with the goal ratios, and
// the memory of one forward record against its tensors' bytes.
// MobileNetV2 and ResNet50 (keras.applications graphs at 224x224x3, random weights, written by
// bench/mobilenetv2-h5.ts and bench/resnet50-h5.ts) the same way, with issue 14's goals, and
// their 16x16 stride-8 occlusion naive, batched and incremental (through the graph).
// Prints a table; --json prints the same as JSON.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/node/load-model.ts';
import type { Model } from '../src/model/model.ts';
import { Tensor } from '../src/tensor.ts';
import { mnistBatch } from '../test/helpers/mnist-digits.ts';
import { toNpy } from '../src/io/npy.ts';
import { readImageTensor } from '../src/node/inputs.ts';
import { defaultKernelSetName } from '../src/runtime/backend.ts';
import { backwardNet, type BackwardMethod } from '../src/methods/backward-net.ts';
import { walkBackward } from '../src/methods/backward-walk.ts';
import { defaultGradCamLayer, gradCam } from '../src/methods/grad-cam.ts';
import { occlusion, occlusionGrid, type OcclusionOptions, type OcclusionResult, type OcclusionStrategy } from '../src/methods/occlusion.ts';
import { planPositions, planGroups, occlusionWork, type PositionPlan } from '../src/methods/occlusion-incremental.ts';
import { ensureVgg16 } from './vgg16-h5.ts';
import { ensureMobilenetV2 } from './mobilenetv2-h5.ts';
import { ensureResnet50 } from './resnet50-h5.ts';
import { readKerasGraph } from './peers/keras-h5-graph.ts';
import { ONNX_OPS, RESNET_ONNX_OPS, onnxGraph, tfjsGraph, type GraphRun } from './peers/mobilenetv2.ts';
import { ConvscopeError } from '../src/errors.ts';
import { installPeers } from './peers/load.ts';
import { onnxNetwork, ortNetwork, tfjsNetwork, type NetworkRun } from './peers/vgg16.ts';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { KERNEL_SET_NAMES } from '../src/runtime/kernel-set.ts';
import { withKernels } from '../src/runtime/backend.ts';
import { Trainer } from '../src/train/trainer.ts';
import { mnistCnn } from '../src/train/sequential.ts';
import { writeModelFolder } from '../src/node/model-folder-files.ts';
import { PytorchTrainPeer, type PytorchTrainReady } from './pytorch-train.ts';
import { profileKernels } from './kernel-profile.ts';
import { benchFlags } from './flags.ts';

const flags = benchFlags('bench:models', ['--quick', '--json']);
const quick = flags['--quick'];
const json = flags['--json'];
const log = (line: string) => console.error(line);
const root = join(import.meta.dirname, '..');
const cacheDir = join(root, 'bench', '.cache');
mkdirSync(cacheDir, { recursive: true });

interface Row {
  model: string;
  workload: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  /** Extrapolated from the first `measured` of `total` occlusion windows. */
  estimate?: { measured: number; total: number };
  result: string;
}
const rows: Row[] = [];
const ratios: Record<string, number> = {};
const notes: string[] = [];

function add(model: string, workload: string, times: number[], result = '', estimate?: Row['estimate']): Row {
  const sorted = [...times].sort((a, b) => a - b);
  const row = { model, workload, medianMs: median(sorted), minMs: sorted[0], maxMs: sorted[sorted.length - 1], runs: sorted.length, estimate, result };
  rows.push(row);
  log(`  ${model} ${workload}: ${fmtMs(row.medianMs)} ms${estimate ? ` (estimate from ${estimate.measured} of ${estimate.total} windows)` : ''} ${result}`);
  return row;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Times fn: a warm-up run unless `warmup` is false, then runs until `minRuns` are made and
 * `budgetMs` is spent, at most `maxRuns`. (bench/measure.ts does the same for the kernel bench.)
 */
function time(fn: () => void, opts: { budgetMs: number; minRuns: number; maxRuns: number; warmup?: boolean }): number[] {
  if (opts.warmup !== false) fn();
  const times: number[] = [];
  let spent = 0;
  while (times.length < opts.maxRuns && (times.length < opts.minRuns || spent < opts.budgetMs)) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
    spent += times[times.length - 1];
  }
  return times;
}

class Enough extends Error {}

/**
 * Runs occlusion, or with `limit` only its first batches covering at least `limit` windows:
 * then the time is the setup and first batch, plus the time of the later batches scaled by the
 * work left (an estimate). `work[k]` is the k-th processed window's share of the work: equal for
 * naive and batched; for incremental its MACs, since windows at the border have smaller patches
 * and are processed first. Returns the time and, for a whole run, the result.
 */
function timeOcclusion(
  model: Model, x: Tensor, opts: OcclusionOptions, limit: number | undefined, work: readonly number[],
): { ms: number; result?: OcclusionResult; measured: number; total: number } {
  const marks: [number, number][] = [];
  const start = performance.now();
  try {
    const result = occlusion(model, x, {
      ...opts,
      onProgress: (done, total) => {
        marks.push([done, performance.now() - start]);
        if (limit !== undefined && marks.length >= 2 && done >= limit && done < total) throw new Enough();
      },
    });
    return { ms: performance.now() - start, result, measured: result.grid.size, total: result.grid.size };
  } catch (err) {
    if (!(err instanceof Enough)) throw err;
  }
  const [firstDone, firstMs] = marks[0];
  const [lastDone, lastMs] = marks[marks.length - 1];
  const sum = (a: number, b: number) => work.slice(a, b).reduce((s, v) => s + v, 0);
  return { ms: firstMs + (lastMs - firstMs) * (sum(firstDone, work.length) / sum(firstDone, lastDone)), measured: lastDone, total: work.length };
}

/** Each window's MACs in the order occlusion() processes them (in groups that compute the same nodes in full). */
function incrementalWorkInOrder(plans: readonly PositionPlan[], model: Model, last: number): number[] {
  return planGroups(plans).flatMap((group) => group.map((p) => occlusionWork(model, [p], last).incremental));
}

/** How many values of a equal b to the bit, and max|a - b| against SEMANTICS.md's tolerance. */
function agreement(a: ArrayLike<number>, b: ArrayLike<number>): { identical: number; total: number; maxDiff: number; withinTolerance: boolean } {
  let identical = 0;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) {
    if (Object.is(a[i], b[i])) identical++;
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return { identical, total: b.length, maxDiff, withinTolerance: maxDiff <= 1e-4 * maxRef + 1e-6 };
}

const describeAgreement = (g: ReturnType<typeof agreement>) =>
  `${g.identical === g.total ? 'bit-identical' : `${g.identical}/${g.total} identical, max|diff| ${g.maxDiff.toExponential(2)}`}${g.withinTolerance ? '' : ' OUTSIDE tolerance'}`;

function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Naive, batched and incremental occlusion of x; `limits` (windows) turns a strategy's run into an estimate. Returns the whole runs' results. */
function occlusionRows(
  name: string, model: Model, x: Tensor, size: number, stride: number, limits: Partial<Record<OcclusionStrategy, number>>,
): Partial<Record<OcclusionStrategy, OcclusionResult>> {
  const [, h, w] = model.inputShape;
  const { ny, nx } = occlusionGrid(h, w, size, stride);
  const last = model.outputIndex;
  const plans = planPositions(model, h, w, size, stride, ny, nx, last);
  const work = occlusionWork(model, plans, last);
  const perWindow = { naive: plans.map(() => 1), batched: plans.map(() => 1), incremental: incrementalWorkInOrder(plans, model, last) };
  const strategies = ['naive', 'batched', 'incremental'] as const;
  const results: Partial<Record<OcclusionStrategy, OcclusionResult>> = {};
  const times: Partial<Record<OcclusionStrategy, number[]>> = {};
  const estimates: Partial<Record<OcclusionStrategy, Row['estimate']>> = {};
  for (const strategy of strategies) {
    const first = timeOcclusion(model, x, { size, stride, strategy }, limits[strategy], perWindow[strategy]);
    times[strategy] = [first.ms];
    if (first.result) results[strategy] = first.result;
    else estimates[strategy] = { measured: first.measured, total: first.total };
  }
  // Whole runs of a small model are repeated in rounds, one run of each strategy per round, so
  // that the other load on the machine falls on all three alike (the first runs were warm-ups).
  const repeat = strategies.filter((s) => results[s] && times[s]![0] < 2000);
  repeat.forEach((s) => (times[s] = []));
  for (let round = 0, spent = 0; repeat.length > 0 && (round < 5 || spent < small.budgetMs) && round < 200; round++) {
    for (const strategy of repeat) {
      const start = performance.now();
      occlusion(model, x, { size, stride, strategy });
      times[strategy]!.push(performance.now() - start);
      spent += performance.now() - start;
    }
  }
  for (const strategy of strategies) {
    const ms = median([...times[strategy]!].sort((a, b) => a - b));
    const naiveMs = median([...times.naive!].sort((a, b) => a - b));
    const parts: string[] = [];
    if (strategy !== 'naive') parts.push(`${(naiveMs / ms).toFixed(2)}x naive`);
    if (strategy === 'incremental') parts.push(`${(work.full / work.incremental).toFixed(2)}x fewer MACs than naive (${(work.incremental / 1e9).toFixed(2)} of ${(work.full / 1e9).toFixed(2)} G)`);
    if (strategy !== 'naive' && results[strategy] && results.naive) parts.push(`map vs naive: ${describeAgreement(agreement(results[strategy]!.grid.data, results.naive.grid.data))}`);
    add(name, `occlusion ${size}x${size} stride ${stride} (${ny * nx} windows): ${strategy}`, times[strategy]!, parts.join('; '), estimates[strategy]);
    if (strategy !== 'naive') ratios[`${name} occlusion ${size}/${stride}: ${strategy} vs naive`] = naiveMs / ms;
  }
  ratios[`${name} occlusion ${size}/${stride}: MACs naive / incremental`] = work.full / work.incremental;
  return results;
}

/** Multiply-accumulates of one forward: Conv2D, DepthwiseConv2D and Dense layers. */
function forwardMacs(model: Model): number {
  return model.layers.reduce((n, l) => {
    const k = l.weights.kernel;
    if (!k || !['Conv2D', 'DepthwiseConv2D', 'Dense'].includes(l.type)) return n;
    return n + k.size * (l.outputShape.length === 3 ? l.outputShape[1] * l.outputShape[2] : 1);
  }, 0);
}

function backwardRows(name: string, model: Model, x: Tensor, layer: string, methods: readonly BackwardMethod[], forwardMs: number, opts: { budgetMs: number; minRuns: number; maxRuns: number; warmup?: boolean }): void {
  for (const method of methods) {
    const times = time(() => backwardNet(model, x, { layer, method }), opts);
    const row = add(name, `${method} from ${layer} (whole layer) to pixels, incl. its forward`, times);
    row.result = `${(row.medianMs / forwardMs).toFixed(2)}x forward`;
  }
  const index = model.layerIndex(layer);
  const forward = model.forward(x, layer);
  const signal = forward.records.get(layer)!.output;
  const walk = add(name, `deconvnet walk back from ${layer} alone`, time(() => walkBackward(model, forward, index, signal, 'deconvnet'), opts));
  walk.result = `${(walk.medianMs / forwardMs).toFixed(2)}x forward`;
  ratios[`${name} deconvnet walk from ${layer} / forward`] = walk.medianMs / forwardMs;
}

function gradCamRow(name: string, model: Model, x: Tensor, layer: string, forwardMs: number, opts: { budgetMs: number; minRuns: number; maxRuns: number; warmup?: boolean }): void {
  const row = add(name, `grad-cam on ${layer}`, time(() => gradCam(model, x, { layer }), opts));
  row.result = `${(row.medianMs / forwardMs).toFixed(2)}x forward`;
}

/** The dropout rates of the timed step, as issue 11's benchmark names them (mnistCnn's default is the shipped file's .4 and .3; the step's time hardly depends on them); pytorch_mnist_train.py uses the same. */
const TRAIN_DROPOUT: [number, number] = [0.25, 0.5];

// ---- MNIST ----
log(`bench:models on the ${defaultKernelSetName()} kernels${quick ? ', quick' : ''}`);
const mnistDir = join(root, 'weights', 'mnist-cnn');
const mnist = await loadModel(mnistDir);
const batch = mnistBatch(64);
const digit = readImageTensor(join(root, 'examples', 'digit-7.png'), { channels: 1, height: 28, width: 28 });
const small = { budgetMs: quick ? 500 : 2000, minRuns: 5, maxRuns: 2000 };

mnistForwardAgainstPytorch();
const oneForward = add('mnist', 'forward, 1 image', time(() => mnist.predict(digit), small));
await trainStepRows();
backwardRows('mnist', mnist, digit, 'conv2', ['deconvnet', 'salinet', 'desalinet'], oneForward.medianMs, small);
gradCamRow('mnist', mnist, digit, 'conv2', oneForward.medianMs, small);
occlusionRows('mnist', mnist, digit, 7, 2, {});
occlusionRows('mnist', mnist, digit, 3, 1, {});

/** Debian's python3 when it has torch, else null (and a note saying why `what` was not run). */
function torchPython(what: string): string | null {
  const python = '/usr/bin/python3';
  const probe = existsSync(python) ? spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }) : null;
  if (probe && probe.status === 0) return python;
  notes.push(`${what} not run: ${existsSync(python) ? `${python} has no torch (apt install python3-torch)` : `no ${python}`}`);
  log(`  ${notes[notes.length - 1]}`);
  return null;
}

/**
 * The MNIST CNN's forward at batch 64, ours and PyTorch's (bench/pytorch_mnist.py, Debian's
 * torch, one thread) in alternating rounds, so that both see the same machine: each round times
 * ours for a while, then PyTorch for as long. The rows give the medians of all our runs and of
 * PyTorch's round medians; the ratio is the median of the rounds' ratios, with their range.
 */
function mnistForwardAgainstPytorch(): void {
  const rounds = quick ? 3 : 7;
  const seconds = quick ? 0.5 : 1.5;
  const python = torchPython('PyTorch baseline');
  const inputPath = join(cacheDir, 'mnist-batch64.npy');
  const oursPath = join(cacheDir, 'mnist-batch64-convscope.npy');
  const ours = mnist.predict(batch);
  writeFileSync(inputPath, toNpy(batch.shape, batch.data));
  writeFileSync(oursPath, toNpy(ours.shape, ours.data));
  const oursTimes: number[] = [];
  const torchRounds: { medianMs: number; minMs: number; maxMs: number; runs: number; torch: string; threads: number; maxAbsDiff: number }[] = [];
  const roundRatios: number[] = [];
  let failed: string | null = python ? null : 'no torch';
  for (let r = 0; r < rounds; r++) {
    const mine = time(() => mnist.predict(batch), { budgetMs: seconds * 1000, minRuns: 5, maxRuns: 5000, warmup: r === 0 });
    oursTimes.push(...mine);
    if (failed !== null) continue;
    const run = spawnSync(python!, [join(root, 'bench', 'pytorch_mnist.py'), mnistDir, inputPath, oursPath, '--threads', '1', '--seconds', String(seconds)], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) {
      failed = (run.stderr || run.error?.message || '').trim().split('\n').pop() ?? 'no output';
      notes.push(`PyTorch baseline failed: ${failed}`);
      log(`  ${notes[notes.length - 1]}`);
      continue;
    }
    const t = JSON.parse(run.stdout.trim().split('\n').pop()!);
    torchRounds.push(t);
    roundRatios.push(t.medianMs / median([...mine].sort((a, b) => a - b)));
  }
  const oursMs = median([...oursTimes].sort((a, b) => a - b));
  add('mnist', 'forward, batch 64', oursTimes, `${fmtInt(64000 / oursMs)} images/s, ${(2 * forwardMacs(mnist) * 64 / oursMs / 1e6).toFixed(1)} GFLOP/s${torchRounds.length ? `; ${rounds} rounds taking turns with PyTorch` : ''}`);
  if (torchRounds.length === 0) return;
  const t = torchRounds[0];
  const torchMedians = torchRounds.map((x) => x.medianMs).sort((a, b) => a - b);
  const row = add('mnist', `PyTorch ${t.torch} forward, batch 64, ${t.threads} thread`, torchMedians, `${fmtInt(64000 / median(torchMedians))} images/s (median of ${torchRounds.length} round medians); max|torch - ours| ${Math.max(...torchRounds.map((x) => Number(x.maxAbsDiff))).toExponential(1)}`);
  Object.assign(row, { minMs: Math.min(...torchRounds.map((x) => x.minMs)), maxMs: Math.max(...torchRounds.map((x) => x.maxMs)), runs: torchRounds.reduce((n, x) => n + x.runs, 0) });
  const sorted = [...roundRatios].sort((a, b) => a - b);
  ratios[`mnist forward batch 64 ours / PyTorch (images/s; median of ${sorted.length} alternating rounds, ${sorted[0].toFixed(2)}..${sorted[sorted.length - 1].toFixed(2)})`] = median(sorted);
}

/**
 * One training step of the MNIST CNN's architecture (mnistCnn with the brief's dropout rates .25
 * and .5, fresh weights; Adam, dropout
 * on, batch 64 of real digits scaled to 0..1) against PyTorch's (bench/pytorch_mnist_train.py,
 * one thread, same architecture and initial weights) in alternating rounds, medians of each
 * side's steps; the peer first checks it computes the same step (dropout off: loss, weights
 * after one Adam step). Then the step kernel by kernel; "other" is everything outside the
 * kernels (layers' own loops, dropout masks, the optimiser, copies into wasm memory).
 */
async function trainStepRows(): Promise<void> {
  const n = 64;
  const x = mnistBatch(n);
  for (let i = 0; i < x.size; i++) x.data[i] /= 255;
  const y = Int32Array.from({ length: n }, (_, b) => b % 10);
  const trainer = new Trainer(mnistCnn(1, { dropout: TRAIN_DROPOUT }), { optimizer: 'adam', dropout: true });
  for (let i = 0; i < 5; i++) trainer.step(x, y);
  const rounds = quick ? 4 : 15;
  const steps = quick ? 5 : 10;
  const peer = await startTrainPeer(x, y);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(...time(() => trainer.step(x, y), { budgetMs: 0, minRuns: steps, maxRuns: steps, warmup: false }));
    if (peer) theirs.push(...(await peer.process.time(steps)));
  }
  peer?.process.close();
  const row = add('mnist', `train step (Adam, dropout), batch ${n}: ours`, ours);
  const oursIps = (n * 1000) / row.medianMs;
  row.result = `${fmtInt(oursIps)} images/s`;
  if (peer) {
    const { ready } = peer;
    const torchRow = add('mnist', `train step (Adam, dropout), batch ${n}: PyTorch ${ready.torch}, ${ready.threads} thread`, theirs);
    const torchIps = (n * 1000) / torchRow.medianMs;
    const tolerance = 1e-4 * ready.weightsMaxAbs + 1e-6;
    torchRow.result = `${fmtInt(torchIps)} images/s; same step (dropout off): loss ${ready.loss.toFixed(6)} vs ours ${peer.loss.toFixed(6)}, weights after one Adam step max|torch - ours| ${ready.weightsMaxAbsDiff.toExponential(1)}${ready.weightsMaxAbsDiff <= tolerance ? '' : ' OUTSIDE tolerance'}`;
    row.result += `, ${(oursIps / torchIps).toFixed(2)}x PyTorch`;
    ratios['mnist train step batch 64 ours / PyTorch (images/s, goal >= 1x)'] = oursIps / torchIps;
  }
  const profile = profileKernels(() => trainer.step(x, y), quick ? 5 : 20);
  const kernelMs = profile.kernels.reduce((s, k) => s + k.ms, 0);
  const parts = profile.kernels.filter((k) => k.ms >= 0.05).map((k) => `${k.kernel} ${fmtMs(k.ms)}${k.calls > 1 ? ` (x${k.calls})` : ''}`);
  const breakdown: Row = { model: 'mnist', workload: 'train step, where the time goes (ms per step)', medianMs: profile.meanMs, minMs: NaN, maxMs: NaN, runs: quick ? 5 : 20, result: `${parts.join(', ')}; other ${fmtMs(profile.meanMs - kernelMs)}` };
  rows.push(breakdown);
  log(`  mnist train step by kernel: ${breakdown.result}`);
}

/** The PyTorch peer, from the same initial weights as the timed model, checked against our first step; null (with a note) without torch. */
async function startTrainPeer(x: Tensor, y: Int32Array): Promise<{ process: PytorchTrainPeer; ready: PytorchTrainReady; loss: number } | null> {
  const python = torchPython('PyTorch training step');
  if (!python) return null;
  const initial = join(cacheDir, 'mnist-train-initial');
  const after = join(cacheDir, 'mnist-train-after-one-step');
  writeModelFolder(mnistCnn(1, { dropout: TRAIN_DROPOUT }).spec, initial);
  const model = mnistCnn(1, { dropout: TRAIN_DROPOUT });
  const { loss } = new Trainer(model, { optimizer: 'adam', dropout: false }).step(x, y);
  writeModelFolder(model.spec, after);
  const xPath = join(cacheDir, 'mnist-train-x.npy');
  const yPath = join(cacheDir, 'mnist-train-y.npy');
  writeFileSync(xPath, toNpy(x.shape, x.data));
  writeFileSync(yPath, toNpy([y.length], y));
  try {
    const { peer, ready } = await PytorchTrainPeer.start(python, root, initial, after, xPath, yPath);
    return { process: peer, ready, loss };
  } catch (e) {
    notes.push(`PyTorch training step failed: ${e instanceof Error ? e.message : String(e)}`);
    log(`  ${notes[notes.length - 1]}`);
    return null;
  }
}

// ---- VGG16 ----
const vggPath = join(cacheDir, 'vgg16.h5');
const made = await ensureVgg16(vggPath);
const vggBytes = statSync(vggPath).size;
notes.push(`VGG16: ${vggPath.slice(root.length + 1)} (${(vggBytes / 1e6).toFixed(0)} MB, ${fmtInt(made.params)} parameters, random weights) ${made.created ? `written in ${made.seconds.toFixed(1)} s with h5wasm` : 'reused from an earlier run'}`);
log(`  ${notes[notes.length - 1]}`);
const loadStart = performance.now();
const model: Model = await loadModel(vggPath);
add('vgg16', 'load the .h5 (read, convert HWIO to OIHW)', [performance.now() - loadStart]);
const image = readImageTensor(join(root, 'examples', 'digit-7.png'), { channels: 3, height: 224, width: 224, mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] });
const big = quick ? { budgetMs: 0, minRuns: 1, maxRuns: 1, warmup: false } : { budgetMs: 8000, minRuns: 3, maxRuns: 5, warmup: false };
model.predict(image); // warms the arena up to VGG16's size once
const vggForward = add('vgg16', 'forward, 1 image 224x224x3', time(() => model.predict(image), { ...big, minRuns: quick ? 2 : 5, maxRuns: quick ? 2 : 7 }));
vggForward.result = `${(2 * forwardMacs(model) / vggForward.medianMs / 1e6).toFixed(1)} GFLOP/s (${(forwardMacs(model) / 1e9).toFixed(2)} GMAC)`;
await vggPeers();
vggMemory();
backwardRows('vgg16', model, image, 'block5_conv3', quick ? ['deconvnet'] : ['deconvnet', 'salinet', 'desalinet'], vggForward.medianMs, big);
if (!quick) gradCamRow('vgg16', model, image, 'block5_conv3', vggForward.medianMs, big);
const vggOcclusion = occlusionRows('vgg16', model, image, 16, 8, quick ? { naive: 3, batched: 12, incremental: 128 } : { naive: 4, batched: 18 });
if (vggOcclusion.incremental) checkOcclusionSample(model, vggOcclusion.incremental);
else notes.push('VGG16 occlusion: the incremental map is compared with the naive one in the full run (not --quick)');
// Krypton's own setting (SIGMOD 2019, section 5.1: 16x16 at stride 4, 2809 windows), timed on samples of windows
if (!quick) occlusionRows('vgg16', model, image, 16, 4, { naive: 3, batched: 12, incremental: 384 });

await graphRows({ key: 'mobilenetv2', title: 'MobileNetV2', ensure: ensureMobilenetV2, lastMap: 'out_relu', onnxOps: ONNX_OPS, tfjsGoal: 0.8, twoThreadGoal: false });
await graphRows({ key: 'resnet50', title: 'ResNet50', ensure: ensureResnet50, lastMap: 'conv5_block3_out', onnxOps: RESNET_ONNX_OPS, tfjsGoal: 0.6, twoThreadGoal: true });

/** The incremental map at a corner, the centre and the last window against that occluded image through net.predict. */
function checkOcclusionSample(net: Model, run: OcclusionResult): void {
  const row = rows[rows.length - 1];
  const { ny, nx } = occlusionGrid(224, 224, 16, 8);
  const windows = [0, Math.floor(ny / 2) * nx + Math.floor(nx / 2), ny * nx - 1];
  const cls = run.targetClass!;
  const got: number[] = [];
  const want: number[] = [];
  for (const index of windows) {
    const x = image.clone();
    const [i, j] = [Math.floor(index / nx), index % nx];
    for (let c = 0; c < 3; c++) for (let y = i * 8; y < Math.min(224, i * 8 + 16); y++) x.data.fill(0, (c * 224 + y) * 224 + j * 8, (c * 224 + y) * 224 + Math.min(224, j * 8 + 16));
    want.push(net.predict(x).data[cls]);
    got.push(run.grid.data[index]);
  }
  row.result += `; windows ${windows.join(', ')} vs model.predict of the occluded image: ${describeAgreement(agreement(got, want))}`;
  log(`  ${row.result}`);
}

/**
 * VGG16's forward on two threads (simd-2t) and through each peer in the same run, their class
 * scores against ours, and the issue's goal ratios. A peer that cannot run VGG16 is one line.
 */
async function vggPeers(): Promise<void> {
  const ours = model.predict(image).data;
  const peerOpts = quick ? { budgetMs: 0, minRuns: 2, maxRuns: 2 } : { budgetMs: 8000, minRuns: 5, maxRuns: 7 };
  let twoMs: number | undefined;
  if (KERNEL_SET_NAMES.includes('simd-2t')) {
    const two = add('vgg16', 'forward, 1 image, two threads (simd-2t)', time(() => withKernels('simd-2t', () => model.predict(image)), { ...peerOpts, warmup: true }));
    const g = agreement(withKernels('simd-2t', () => model.predict(image)).data, ours);
    two.result = `${(vggForward.medianMs / two.medianMs).toFixed(2)}x one thread; scores vs one thread: ${describeAgreement(g)}`;
    twoMs = two.medianMs;
  } else {
    notes.push('VGG16 two threads: simd-2t is not available in this runtime (no shared wasm memory)');
    log(`  ${notes[notes.length - 1]}`);
  }
  if (!installPeers(log)) {
    notes.push('VGG16 peers not run: the peers package could not be installed');
    return;
  }
  let onnx: Uint8Array | undefined;
  const onnxBytes = () => {
    if (!onnx) {
      const start = performance.now();
      onnx = onnxNetwork(model);
      log(`  vgg16: ONNX graph encoded, ${(onnx.length / 1e6).toFixed(0)} MB in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
    return onnx;
  };
  const peerMs = await peerRows('vgg16', 'VGG16', [
    ['tfjs-wasm', () => tfjsNetwork(model, image)],
    ['ort-web', () => ortNetwork('web', 1, onnxBytes(), model.inputShape, image)],
    ['ort-node', () => ortNetwork('node', 1, onnxBytes(), model.inputShape, image)],
    ['ort-node x2', () => ortNetwork('node', 2, onnxBytes(), model.inputShape, image)],
  ], { ms: vggForward.medianMs, scores: ours }, peerOpts, undefined, { peer: 'tfjs-wasm', ours: () => model.predict(image), rounds: quick ? 2 : 5, runs: 2 });
  if (peerMs['tfjs-wasm alternating'] !== undefined) ratios['vgg16 forward, one thread: ours / tfjs-wasm time, alternating rounds (goal <= 0.45x)'] = peerMs['tfjs-wasm alternating'];
  if (peerMs['ort-web'] !== undefined) ratios['vgg16 forward, one thread: ours / ort-web time'] = vggForward.medianMs / peerMs['ort-web'];
  if (peerMs['ort-node'] !== undefined) ratios['vgg16 forward, one thread: ours / ort-node time'] = vggForward.medianMs / peerMs['ort-node'];
  if (peerMs['ort-node x2'] !== undefined && twoMs !== undefined) ratios['vgg16 forward, two threads: ours (simd-2t) / ort-node x2 time (goal <= 2x)'] = twoMs / peerMs['ort-node x2'];
  twoThreadRatios('vgg16', vggForward.medianMs, twoMs, peerMs, true);
}

/**
 * Each peer set up, run once (a warm-up, and its scores checked against `ours`: convscope's, or
 * with `ours.ms` undefined another peer's), then timed; a row each. A peer that cannot run the
 * model is one note. `check` adds to a peer's result line (e.g. a node's output against ours).
 * Returns each peer's median ms.
 */
async function peerRows(
  name: string, label: string, candidates: [string, () => Promise<NetworkRun>][], ours: { ms?: number; scores: ArrayLike<number>; of?: string },
  opts: { budgetMs: number; minRuns: number; maxRuns: number }, check?: (peer: NetworkRun) => Promise<string>, alternate?: Alternate,
): Promise<Record<string, number>> {
  const peerMs: Record<string, number> = {};
  const alternated: Record<string, number> = {};
  for (const [peerName, load] of candidates) {
    let peer: NetworkRun | undefined;
    try {
      const start = performance.now();
      peer = await load();
      const loadMs = performance.now() - start;
      const scores = await peer.run(); // warm-up, and the check
      const times: number[] = [];
      for (let spent = 0; times.length < opts.maxRuns && (times.length < opts.minRuns || spent < opts.budgetMs);) {
        const t0 = performance.now();
        await peer.run();
        times.push(performance.now() - t0);
        spent += times[times.length - 1];
      }
      const rel = relativeDiff(scores, ours.scores);
      const row = add(name, `forward, 1 image: ${peerName}`, times);
      const vs = ours.of ?? 'ours';
      const extra = check ? await check(peer) : '';
      row.result = `${ours.ms === undefined ? '' : `${(row.medianMs / ours.ms).toFixed(2)}x ours; `}scores vs ${vs}: max rel diff ${rel.maxRel.toExponential(2)} (max|diff| ${rel.maxAbs.toExponential(2)}), top class ${rel.sameTop ? 'same' : 'DIFFERENT'}${extra ? `; ${extra}` : ''}; set up in ${(loadMs / 1000).toFixed(1)} s`;
      log(`    ${row.result}`);
      notes.push(`${label} ${peerName}: ${peer.description}`);
      peerMs[peerName] = row.medianMs;
      if (alternate?.peer === peerName) alternated[peerName] = await alternateRounds(name, peerName, peer, alternate);
    } catch (e) {
      const why = (typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e)).split('\n')[0];
      notes.push(`${label} ${peerName} could not run ${label} (${why})`);
      log(`  ${notes[notes.length - 1]}`);
    } finally {
      await peer?.dispose();
    }
  }
  return { ...peerMs, ...Object.fromEntries(Object.entries(alternated).map(([k, v]) => [`${k} alternating`, v])) };
}

/** Issue 14's two-thread goal, with onnxruntime-node's own two-thread speedup in the same run as what this host allows. */
function twoThreadRatios(key: string, oneMs: number, twoMs: number | undefined, peerMs: Record<string, number>, goal: boolean): void {
  if (twoMs !== undefined) ratios[`${key} forward: two threads (simd-2t) over one, speedup${goal ? ' (goal >= 1.7x)' : ''}`] = oneMs / twoMs;
  if (peerMs['ort-node'] !== undefined && peerMs['ort-node x2'] !== undefined) ratios[`${key} forward: ort-node two threads over one, speedup (the host's ceiling)`] = peerMs['ort-node'] / peerMs['ort-node x2'];
}

/** Ours and one peer timed in alternating rounds, for the goal ratio: both then see the same machine. */
interface Alternate {
  peer: string;
  ours: () => void;
  rounds: number;
  /** Runs of each side per round (their median counts). */
  runs: number;
}

/** The median over rounds of ours / the peer's time (each round: `runs` of ours, then of the peer), with a row that shows the rounds. */
async function alternateRounds(name: string, peerName: string, peer: NetworkRun, alt: Alternate): Promise<number> {
  const perRound: number[] = [];
  const oursAll: number[] = [];
  for (let round = 0; round < alt.rounds; round++) {
    const oursMs: number[] = [];
    const peerMs: number[] = [];
    for (let i = 0; i < alt.runs; i++) {
      const t0 = performance.now();
      alt.ours();
      oursMs.push(performance.now() - t0);
    }
    for (let i = 0; i < alt.runs; i++) {
      const t0 = performance.now();
      await peer.run();
      peerMs.push(performance.now() - t0);
    }
    const [o, q] = [median([...oursMs].sort((a, b) => a - b)), median([...peerMs].sort((a, b) => a - b))];
    perRound.push(o / q);
    oursAll.push(...oursMs);
  }
  const sorted = [...perRound].sort((a, b) => a - b);
  const row = add(name, `forward, 1 image: ours, alternating with ${peerName}`, oursAll);
  row.result = `ours / ${peerName} per round: median ${median(sorted).toFixed(2)}x (${sorted.map((r) => r.toFixed(2)).join(', ')}; ${alt.rounds} rounds of ${alt.runs} runs each)`;
  log(`    ${row.result}`);
  return median(sorted);
}

/** Max over classes of |peer - ours| / |ours|, max |peer - ours|, and whether the top class agrees. */
function relativeDiff(peer: ArrayLike<number>, ours: ArrayLike<number>): { maxRel: number; maxAbs: number; sameTop: boolean } {
  if (peer.length !== ours.length) throw new Error(`the peer gives ${peer.length} scores, ours ${ours.length}`);
  let maxRel = 0;
  let maxAbs = 0;
  let topPeer = 0;
  let topOurs = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(peer[i] - ours[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(ours[i]), 1e-30));
    if (peer[i] > peer[topPeer]) topPeer = i;
    if (ours[i] > ours[topOurs]) topOurs = i;
  }
  return { maxRel, maxAbs, sameTop: topPeer === topOurs };
}

/**
 * A keras.applications graph at 224x224x3 with random weights (MobileNetV2: bench/mobilenetv2-h5.ts;
 * ResNet50: bench/resnet50-h5.ts): forward on one and two threads, through the peers built from
 * the same .h5 (bench/peers/mobilenetv2.ts; tfjs-wasm's map of the last conv node checked against
 * ours too), DeconvNet from that node (as block5_conv3 for VGG16) back to pixels, and Grad-CAM on
 * the default layer. While convscope cannot load the file, the peers run alone and say so.
 */
interface GraphBench {
  /** The rows' model column and the .h5's name in the cache. */
  key: string;
  title: string;
  ensure(path: string): Promise<{ created: boolean; seconds: number; params: number }>;
  /** The last conv node's activation: the DeconvNet start and tfjs-wasm's map check. */
  lastMap: string;
  onnxOps: string;
  /** Issue 14's goal for ours / tfjs-wasm time, one thread. */
  tfjsGoal: number;
  /** Whether issue 14's two-thread goal (>= 1.7x one thread) is set for this model. */
  twoThreadGoal: boolean;
}

async function graphRows({ key, title, ensure, lastMap, onnxOps, tfjsGoal, twoThreadGoal }: GraphBench): Promise<void> {
  const path = join(cacheDir, `${key}.h5`);
  const made = await ensure(path);
  notes.push(`${title}: ${path.slice(root.length + 1)} (${(statSync(path).size / 1e6).toFixed(0)} MB, ${fmtInt(made.params)} parameters, random weights) ${made.created ? `written in ${made.seconds.toFixed(1)} s with h5wasm` : 'reused from an earlier run'}`);
  log(`  ${notes[notes.length - 1]}`);
  const opts = quick ? { budgetMs: 500, minRuns: 3, maxRuns: 5 } : { budgetMs: 5000, minRuns: 7, maxRuns: 40 };
  let net: Model | undefined;
  const loadStart = performance.now();
  try {
    net = await loadModel(path);
  } catch (e) {
    if (!(e instanceof ConvscopeError)) throw e;
    notes.push(`${title}: convscope cannot load it (${e.message.replace(`${path}: `, '')}); its peers run alone`);
    log(`  ${notes[notes.length - 1]}`);
  }
  let ours: { ms?: number; scores: Float32Array; of?: string } | undefined;
  let twoMs: number | undefined;
  let lastValues: Float32Array | undefined;
  if (net) {
    const model = net;
    add(key, 'load the .h5 (read, convert to channels-first)', [performance.now() - loadStart]);
    const forward = add(key, 'forward, 1 image 224x224x3', time(() => model.predict(image), opts));
    forward.result = `${(2 * forwardMacs(model) / forward.medianMs / 1e6).toFixed(1)} GFLOP/s (${(forwardMacs(model) / 1e9).toFixed(2)} GMAC)`;
    ours = { ms: forward.medianMs, scores: model.predict(image).data };
    lastValues = model.forward(image, lastMap).output.data;
    if (KERNEL_SET_NAMES.includes('simd-2t')) {
      const two = add(key, 'forward, 1 image, two threads (simd-2t)', time(() => withKernels('simd-2t', () => model.predict(image)), opts));
      two.result = `${(forward.medianMs / two.medianMs).toFixed(2)}x one thread; scores vs one thread: ${describeAgreement(agreement(withKernels('simd-2t', () => model.predict(image)).data, ours.scores))}`;
      twoMs = two.medianMs;
    }
    // before the peers, which leave threads and memory behind in this process
    const occluded = occlusionRows(key, model, image, 16, 8, quick ? { naive: 4, batched: 8, incremental: 128 } : { naive: 24, batched: 72 });
    if (occluded.incremental) checkOcclusionSample(model, occluded.incremental);
    else notes.push(`${title} occlusion: the incremental map is checked against model.predict in the full run (not --quick)`);
  }
  if (installPeers(log)) {
    const graph = await readKerasGraph(path);
    let onnx: Uint8Array | undefined;
    const onnxBytes = () => (onnx ??= onnxGraph(graph));
    let tfjsNodes: GraphRun | undefined;
    const candidates: [string, () => Promise<NetworkRun>][] = [
      ['tfjs-wasm', async () => (tfjsNodes = await tfjsGraph(graph, image, false))],
      ['tfjs-wasm folded', () => tfjsGraph(graph, image, true)],
      ['ort-web', () => ortNetwork('web', 1, onnxBytes(), [3, 224, 224], image, onnxOps)],
      ['ort-node', () => ortNetwork('node', 1, onnxBytes(), [3, 224, 224], image, onnxOps)],
      ['ort-node x2', () => ortNetwork('node', 2, onnxBytes(), [3, 224, 224], image, onnxOps)],
    ];
    if (!ours) {
      // without convscope's scores, the peers are checked against the first one's
      const [first, load] = candidates[0];
      const peer = await load();
      ours = { scores: await peer.run(), of: first };
      await peer.dispose();
    }
    const check = async (peer: NetworkRun) => (peer === tfjsNodes && lastValues ? `${lastMap} map vs ours: ${describeAgreement(agreement(await tfjsNodes.node(lastMap), lastValues))}` : '');
    const oursModel = net;
    const alternate = oursModel ? { peer: 'tfjs-wasm', ours: () => oursModel.predict(image), rounds: quick ? 3 : 7, runs: 3 } : undefined;
    const peerMs = await peerRows(key, title, candidates, ours, opts, check, alternate);
    const oursMs = ours.ms;
    if (oursMs !== undefined) {
      for (const peer of ['tfjs-wasm', 'tfjs-wasm folded', 'ort-web', 'ort-node']) {
        if (peerMs[peer] !== undefined) ratios[`${key} forward, one thread: ours / ${peer} time`] = oursMs / peerMs[peer];
      }
      if (peerMs['tfjs-wasm alternating'] !== undefined) ratios[`${key} forward, one thread: ours / tfjs-wasm time, alternating rounds (goal <= ${tfjsGoal}x)`] = peerMs['tfjs-wasm alternating'];
      if (peerMs['ort-node x2'] !== undefined && twoMs !== undefined) ratios[`${key} forward, two threads: ours (simd-2t) / ort-node x2 time`] = twoMs / peerMs['ort-node x2'];
      twoThreadRatios(key, oursMs, twoMs, peerMs, twoThreadGoal);
    }
  } else {
    notes.push(`${title} peers not run: the peers package could not be installed`);
  }
  if (net && ours?.ms !== undefined) {
    backwardRows(key, net, image, lastMap, quick ? ['deconvnet'] : ['deconvnet', 'salinet', 'desalinet'], ours.ms, opts);
    gradCamRow(key, net, image, defaultGradCamLayer(net), ours.ms, opts);
  }
}

/**
 * The memory goal: the bytes of the distinct tensors one forward record holds (every layer's
 * input, pre-activation and output, and the switches; the caller's image not counted, it exists
 * before) against the growth of heapUsed + arrayBuffers across that forward, after gc, with the
 * record kept alive.
 */
function vggMemory(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  model.forward(image); // anything allocated once (arena, caches) is allocated before
  const used = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const record = model.forward(image);
  const after = used();
  const ids = new Map<ArrayBufferLike, number>();
  const seen = new Set<string>();
  let tensorBytes = 0;
  let switchBytes = 0;
  const count = (data: Float32Array | Int32Array, isSwitch: boolean) => {
    if (data.buffer === image.data.buffer) return;
    if (!ids.has(data.buffer)) ids.set(data.buffer, ids.size);
    const key = `${ids.get(data.buffer)}:${data.byteOffset}:${data.byteLength}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (isSwitch) switchBytes += data.byteLength;
    else tensorBytes += data.byteLength;
  };
  for (const r of record.records.values()) {
    count(r.input.data, false);
    count(r.z.data, false);
    count(r.output.data, false);
    if (r.switches) count(r.switches, true);
  }
  const grown = after - before;
  const own = tensorBytes + switchBytes;
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const row: Row = { model: 'vgg16', workload: 'memory of one forward record (heapUsed + arrayBuffers growth, after gc)', medianMs: NaN, minMs: NaN, maxMs: NaN, runs: 1, result: '' };
  rows.push(row);
  row.result = `grew ${mb(grown)}; the record's ${seen.size} distinct tensors ${mb(tensorBytes)} + switches ${mb(switchBytes)} = ${mb(own)}; ${(grown / own).toFixed(3)}x (goal <= 1x: ${grown <= own ? 'met' : 'NOT MET'})`;
  log(`  vgg16 memory: ${row.result}`);
  ratios['vgg16 forward record: memory growth / its tensors + switches bytes (goal <= 1x)'] = grown / own;
  if (record.output.size === 0) log('unreachable'); // keeps the record alive until after the measure
}

// ---- report ----
if (json) {
  console.log(JSON.stringify({ kernels: defaultKernelSetName(), node: process.version, quick, rows, ratios, notes }, null, 2));
} else {
  const header = ['model', 'workload', 'median ms', 'min..max', 'runs', 'result'];
  const table = rows.map((r) => [
    r.model, r.workload,
    `${r.estimate ? '~' : ''}${fmtMs(r.medianMs)}`,
    r.estimate ? `est. from ${r.estimate.measured}/${r.estimate.total} windows` : r.runs > 1 ? `${fmtMs(r.minMs)}..${fmtMs(r.maxMs)}` : '',
    String(r.runs), r.result,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((t) => (c === 5 ? 0 : t[c].length))));
  const line = (cells: string[]) => cells.map((v, c) => (c === 2 || c === 4 ? v.padStart(widths[c]) : c === 5 ? v : v.padEnd(widths[c]))).join('  ');
  console.log(`bench:models: ${defaultKernelSetName()} kernels, Node ${process.version}, one thread${quick ? ', --quick' : ''}; ~ marks an estimate`);
  console.log(line(header));
  for (const t of table) console.log(line(t));
  console.log('');
  for (const [what, ratio] of Object.entries(ratios)) console.log(`${what}: ${ratio.toFixed(2)}x`);
  for (const n of notes) console.log(`note: ${n}`);
}
