import { Tensor, formatShape, sizeOf } from '../tensor.ts';
import type { Model, RunOptions } from '../model/model.ts';
import { classScores, predictedClasses } from './targets.ts';
import { checkChannel, checkClass, checkLayer, checkMethodCall } from './check-args.ts';
import { argumentError, checkChoice, checkFunction, checkInteger, checkNumber } from '../check.ts';
import { checkFiniteInput, checkFiniteResult } from '../nonfinite.ts';
import { baselineRows, type Baseline } from './attribution/baseline.ts';
import { perSample } from './attribution/target.ts';
import { planPositions, fullPlans, planGroups, occludedOutputs, occluderPatch, whyFull, type PositionPlan } from './occlusion-incremental.ts';

export const OCCLUSION_STRATEGIES = ['incremental', 'batched', 'naive'] as const;
export type OcclusionStrategy = (typeof OCCLUSION_STRATEGIES)[number];

/** With RunOptions: allowNonFinite lets NaN and Infinity through, inputName names the input in messages. */
export interface OcclusionOptions extends RunOptions {
  /** Side of the square occluder, in input pixels. */
  size: number;
  /** Step between windows, in input pixels. */
  stride: number;
  /** Value the occluded pixels get, in the model's input units (after preprocessing). Default 0. */
  fill?: number;
  /**
   * Instead of fill, Captum's baselines: one number per channel, a tensor (C, H, W) or
   * (N, C, H, W) whose pixels the window shows, or 'blur' / {blur: sigma} (docs/ATTRIBUTION.md).
   */
  baseline?: Baseline;
  /** Target class of the last layer's output, or one per sample; default the class predicted for each unoccluded input. */
  target?: number | readonly number[];
  /** Instead of a class: the sum of this layer's channel `channel` (its output, after activation), or one channel per sample. */
  layer?: string;
  channel?: number | readonly number[];
  /**
   * 'incremental' (default): recompute only what each window changes (Krypton); 'batched': every
   * occluded image through the whole network, `batchSize` at a time; 'naive': one at a time.
   * All three give the same numbers (the same dot products by the same kernels).
   */
  strategy?: OcclusionStrategy;
  /** Occluded images per batch where the network runs in full. Default 64, fewer where one image's layers are large. */
  batchSize?: number;
  /** Called with (done, total) after each batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface OcclusionResult {
  /** P[i, j]: the target with window (i, j) occluded, (ny, nx); (N, ny, nx) for a batch. */
  grid: Tensor;
  /** A[y, x]: the mean drop target(x) - P[i, j] over the windows covering (y, x), 0 where none does; (H, W), or (N, H, W). */
  attribution: Tensor;
  /** The target's value for the unoccluded input (the first sample's for a batch). */
  baseline: number;
  /** The class used, when the target is a class (the first sample's for a batch). */
  targetClass: number | null;
  /** Per sample: the target's unoccluded value and its class (null for a layer target). */
  unoccluded: number[];
  targetClasses: (number | null)[];
  /**
   * How far the occluded patches were carried incrementally, in words: the node where the last
   * window went over to full computation, and why (a graph branches, or a node mixes all
   * positions); null for the 'batched' and 'naive' strategies.
   */
  incremental: string | null;
}

/** Where the incremental computation stopped, for the caller to say. */
function incrementalReach(model: Model, strategy: OcclusionStrategy, plans: readonly PositionPlan[], last: number): string | null {
  if (strategy !== 'incremental') return null;
  const furthest = plans.reduce((m, p) => Math.max(m, p.from), 0);
  if (furthest > last) return 'incremental to the target: no node was computed in full';
  const node = model.layers[furthest];
  return `incremental through the nodes before '${node.name}' (${node.type}), in full from there, in batches: ${whyFull(model, furthest)}`;
}

/** ny = ceil((H - s) / t) + 1 windows down, likewise across; the last ones are cut off at the border. */
/** The occluder side when none is given: a quarter of the input's smaller side. */
export function defaultOcclusionSize(inputShape: readonly number[]): number {
  return inputShape.length === 3 ? Math.max(1, Math.round(Math.min(inputShape[1], inputShape[2]) / 4)) : 1;
}

/** The stride when none is given: half the occluder's side, at least 1. */
export function defaultOcclusionStride(size: number): number {
  return Math.max(1, Math.floor(size / 2));
}

export function occlusionGrid(h: number, w: number, size: number, stride: number): { ny: number; nx: number } {
  return { ny: Math.ceil((h - size) / stride) + 1, nx: Math.ceil((w - size) / stride) + 1 };
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): slides a square of `fill` over the input and
 * records the target for every position; windows at the bottom/right are cut off by the border.
 * Also the per-pixel attribution in Captum's convention.
 *
 * By default each occluded image is computed incrementally (Krypton, Nakandala et al. SIGMOD
 * 2019; see occlusion-incremental.ts): each layer recomputes only the part of its output inside
 * the occluder's receptive field, from the cached unoccluded activations, until that part covers
 * the whole map or a layer mixes all positions; from there the occluded images run in batches.
 * The numbers are the same dot products by the same kernels as running every occluded image
 * through the whole network (strategy 'naive'), or running them in batches ('batched').
 *
 * input: one sample (C, H, W).
 *
 *   const { grid, attribution } = occlusion(model, digit, { size: 8, stride: 4 });
 *   // grid: (ny, nx) probability of the predicted class with each window greyed out
 */
export function occlusion(model: Model, input: Tensor, options: OcclusionOptions): OcclusionResult {
  const opts = checkMethodCall(model, input, options, true);
  const { batch, batched } = model.toBatch(input);
  if (model.inputShape.length !== 3) throw argumentError(`occlusion needs a model that takes images (C, H, W), not vectors ${formatShape(model.inputShape)}`);
  const [c, h, w] = model.inputShape;
  const { size, stride } = opts;
  checkInteger(size, 'the occluder size', 1);
  if (size > h || size > w) throw argumentError(`the ${size}x${size} occluder is larger than the ${h}x${w} input; choose a size up to ${Math.min(h, w)}`);
  checkInteger(stride, 'the stride', 1);
  const strategy = opts.strategy ?? 'incremental';
  checkChoice(strategy, 'strategy', OCCLUSION_STRATEGIES, 'strategies');
  if (opts.batchSize !== undefined) checkInteger(opts.batchSize, 'batchSize', 1);
  if (opts.fill !== undefined) checkNumber(opts.fill, 'fill');
  if (opts.fill !== undefined && opts.baseline !== undefined) throw argumentError('give either fill or baseline, not both');
  checkFunction(opts.onProgress, 'onProgress');
  const n = batch.shape[0];
  checkFiniteInput(batch.data, batch.shape, opts.inputName ?? 'the input', opts.allowNonFinite);
  const fills = baselineRows(batch, opts.baseline ?? opts.fill ?? 0);
  const per = c * h * w;
  const targets = perSample<number | undefined>(opts.target, n, 'class');
  const channels = perSample<number | undefined>(opts.channel, n, 'channel');
  const { ny, nx } = occlusionGrid(h, w, size, stride);
  const total = n * ny * nx;
  const grid = Tensor.zeros([n, ny, nx]);
  const attribution = Tensor.zeros([n, h, w]);
  const unoccluded: number[] = [];
  const targetClasses: (number | null)[] = [];
  let incremental: string | null = null;
  opts.onProgress?.(0, total);
  for (let b = 0; b < n; b++) {
    const sample = new Tensor([c, h, w], batch.data.subarray(b * per, (b + 1) * per));
    const one = occludeSample(model, sample, fills.data.subarray(b * per, (b + 1) * per), { ...opts, target: targets[b], channel: channels[b] }, strategy, (done) => opts.onProgress?.(b * ny * nx + done, total));
    grid.data.set(one.grid.data, b * ny * nx);
    attribution.data.set(one.attribution.data, b * h * w);
    unoccluded.push(one.baseline);
    targetClasses.push(one.targetClass);
    incremental ??= one.incremental;
  }
  checkFiniteResult(grid.data, grid.shape, 'the occlusion grid', opts.allowNonFinite);
  return {
    grid: batched ? grid : grid.reshape([ny, nx]), attribution: batched ? attribution : attribution.reshape([h, w]),
    baseline: unoccluded[0], targetClass: targetClasses[0], unoccluded, targetClasses, incremental,
  };
}

interface SampleOptions extends OcclusionOptions {
  target?: number;
  channel?: number;
}

/** One sample's grid and per-pixel attribution; `fill` holds the pixels a window shows (C, H, W). */
function occludeSample(
  model: Model, input: Tensor, fill: Float32Array, opts: SampleOptions, strategy: OcclusionStrategy, onProgress: (done: number) => void,
): { grid: Tensor; attribution: Tensor; baseline: number; targetClass: number | null; incremental: string | null } {
  const { batch } = model.toBatch(input);
  const [c, h, w] = model.inputShape;
  const { size, stride } = opts;
  const target = occlusionTarget(model, opts);
  const forward = model.run(batch, target.last, false);
  target.resolve(forward.output);
  const baseline = target.measure(forward.output)[0];
  const { ny, nx } = occlusionGrid(h, w, size, stride);
  const total = ny * nx;
  const grid = Tensor.zeros([ny, nx]);
  const plans = strategy === 'incremental' ? planPositions(model, h, w, size, stride, ny, nx, target.last) : fullPlans(model, total, target.last);
  const cached: Float32Array[] = [];
  for (const n of model.ancestors(target.last)) cached[n] = forward.records.get(model.layers[n].name)!.output.data;
  const occluder = (p: PositionPlan) => {
    const i = Math.floor(p.index / nx);
    const j = p.index % nx;
    return occluderPatch(c, h, w, i * stride, Math.min(h, i * stride + size), j * stride, Math.min(w, j * stride + size), fill);
  };

  let done = 0;
  for (const group of planGroups(plans)) {
    const n = strategy === 'naive' ? 1 : (opts.batchSize ?? defaultBatchSize(model, group[0]));
    for (let start = 0; start < group.length; start += n) {
      const part = group.slice(start, start + n);
      const values = target.measure(occludedOutputs(model, target.last, batch.data, cached, part, occluder));
      part.forEach((p, b) => (grid.data[p.index] = values[b]));
      done += part.length;
      onProgress(done);
    }
  }

  const sum = new Float64Array(h * w);
  const count = new Float64Array(h * w);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const drop = baseline - grid.data[i * nx + j];
      for (let y = i * stride; y < Math.min(h, i * stride + size); y++) {
        for (let x = j * stride; x < Math.min(w, j * stride + size); x++) {
          sum[y * w + x] += drop;
          count[y * w + x] += 1;
        }
      }
    }
  }
  const attribution = Tensor.zeros([h, w]);
  for (let p = 0; p < h * w; p++) attribution.data[p] = count[p] > 0 ? sum[p] / count[p] : 0;
  return { grid, attribution, baseline, targetClass: target.targetClass, incremental: incrementalReach(model, strategy, plans, target.last) };
}

// At most about this many floats per batch in one layer's input, pre-activation and output.
const BATCH_FLOATS = 64 * 1024 * 1024;

/** 64 occluded images per batch, fewer where the nodes a window computes in full are big (VGG16 at 224x224 from its first layer: 6). */
function defaultBatchSize(model: Model, plan: PositionPlan): number {
  let perImage = 1;
  plan.states.forEach((state, n) => {
    const layer = model.layers[n];
    if (state === 'full') perImage = Math.max(perImage, layer.inputShapes.reduce((s, shape) => s + sizeOf(shape), 0) + 2 * sizeOf(layer.outputShape));
  });
  return Math.max(1, Math.min(64, Math.floor(BATCH_FLOATS / perImage)));
}

interface Target {
  targetClass: number | null;
  /** The last layer the target needs. */
  last: number;
  /** Picks the class from the unoccluded output (batch of one) when none was given. */
  resolve(output: Tensor): void;
  /** The target for each sample of a batch of layer `last`'s outputs. */
  measure(output: Tensor): Float32Array;
}

function occlusionTarget(model: Model, opts: SampleOptions): Target {
  if (opts.layer !== undefined) {
    const layer = checkLayer(model, opts.layer);
    const last = model.layers.indexOf(layer);
    const c = checkChannel(layer, opts.channel);
    const plane = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
    return {
      targetClass: null,
      last,
      resolve() {},
      measure(a) {
        const per = a.size / a.shape[0];
        return Float32Array.from({ length: a.shape[0] }, (_, b) => {
          let s = 0;
          for (let i = 0; i < plane; i++) s += a.data[b * per + c * plane + i];
          return s;
        });
      },
    };
  }
  const k = opts.target === undefined ? undefined : checkClass(model, opts.target);
  const target: Target = {
    targetClass: k ?? null,
    last: model.outputIndex,
    resolve(output) {
      target.targetClass ??= predictedClasses(output)[0];
    },
    measure(y) {
      const cls = target.targetClass!;
      return Float32Array.from({ length: y.shape[0] }, (_, b) => classScores(y, b)[cls]);
    },
  };
  return target;
}
