import { Tensor } from '../tensor.ts';
import type { Model } from '../model/model.ts';

export interface OcclusionOptions {
  /** Side of the square occluder, in input pixels. */
  size: number;
  /** Step between windows, in input pixels. */
  stride: number;
  /** Value the occluded pixels get, in the model's input units (after preprocessing). Default 0. */
  fill?: number;
  /** Target class of the last layer's output; default the class predicted for the unoccluded input. */
  target?: number;
  /** Instead of a class: the sum of this layer's channel `channel` (its output, after activation). */
  layer?: string;
  channel?: number;
  /** Occluded images per forward pass. Default 64. */
  batchSize?: number;
  /** Called with (done, total) after each batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface OcclusionResult {
  /** P[i, j]: the target with window (i, j) occluded, (ny, nx). */
  grid: Tensor;
  /** A[y, x]: the mean drop target(x) - P[i, j] over the windows covering (y, x), 0 where none does; (H, W). */
  attribution: Tensor;
  /** The target's value for the unoccluded input. */
  baseline: number;
  /** The class used, when the target is a class. */
  targetClass: number | null;
}

/** ny = ceil((H - s) / t) + 1 windows down, likewise across; the last ones are cut off at the border. */
export function occlusionGrid(h: number, w: number, size: number, stride: number): { ny: number; nx: number } {
  return { ny: Math.ceil((h - size) / stride) + 1, nx: Math.ceil((w - size) / stride) + 1 };
}

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): slides a square of `fill` over the input and
 * records the target for every position; windows at the bottom/right are cut off by the border.
 * Also the per-pixel attribution in Captum's convention. Occluded inputs run in batches.
 *
 * input: one sample (C, H, W).
 *
 *   const { grid, attribution } = occlusion(model, digit, { size: 8, stride: 4 });
 *   // grid: (ny, nx) probability of the predicted class with each window greyed out
 */
export function occlusion(model: Model, input: Tensor, opts: OcclusionOptions): OcclusionResult {
  const { batch, batched } = model.toBatch(input);
  if (batched && batch.shape[0] !== 1) throw new Error('occlusion: give one input (C, H, W), not a batch');
  const [c, h, w] = model.inputShape;
  const { size, stride } = opts;
  if (!Number.isInteger(size) || size < 1) throw new Error(`occlusion: size must be a positive integer, not ${size}`);
  if (!Number.isInteger(stride) || stride < 1) throw new Error(`occlusion: stride must be a positive integer, not ${stride}`);
  if (size > h || size > w) throw new Error(`occlusion: the ${size}x${size} occluder is larger than the ${h}x${w} input; choose a size up to ${Math.min(h, w)}`);
  const fill = opts.fill ?? 0;
  const batchSize = opts.batchSize ?? 64;

  const target = occlusionTarget(model, batch, opts);
  const baseline = target.measure(batch)[0];
  const { ny, nx } = occlusionGrid(h, w, size, stride);
  const total = ny * nx;
  const grid = Tensor.zeros([ny, nx]);
  const per = c * h * w;
  for (let start = 0; start < total; start += batchSize) {
    const count = Math.min(batchSize, total - start);
    const occluded = new Tensor([count, c, h, w]);
    for (let b = 0; b < count; b++) {
      const i = Math.floor((start + b) / nx);
      const j = (start + b) % nx;
      const img = occluded.data.subarray(b * per, (b + 1) * per);
      img.set(batch.data);
      const y1 = Math.min(h, i * stride + size);
      const x1 = Math.min(w, j * stride + size);
      for (let ch = 0; ch < c; ch++) for (let y = i * stride; y < y1; y++) img.fill(fill, (ch * h + y) * w + j * stride, (ch * h + y) * w + x1);
    }
    grid.data.set(target.measure(occluded), start);
    opts.onProgress?.(start + count, total);
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
  return { grid, attribution, baseline, targetClass: target.targetClass };
}

interface Target {
  targetClass: number | null;
  /** The target for each sample of a batch. */
  measure(x: Tensor): Float32Array;
}

function occlusionTarget(model: Model, x: Tensor, opts: OcclusionOptions): Target {
  if (opts.layer !== undefined) {
    const layer = model.layer(opts.layer);
    const channels = layer.outputShape[0];
    const c = opts.channel ?? -1;
    if (!(Number.isInteger(c) && c >= 0 && c < channels)) {
      throw new Error(`occlusion: with a layer, give a channel of '${layer.name}' from 0 to ${channels - 1}`);
    }
    const plane = layer.outputShape.slice(1).reduce((a, b) => a * b, 1);
    return {
      targetClass: null,
      measure(batch) {
        const a = model.predict(batch, layer.name);
        const per = a.size / batch.shape[0];
        return Float32Array.from({ length: batch.shape[0] }, (_, b) => {
          let s = 0;
          for (let i = 0; i < plane; i++) s += a.data[b * per + c * plane + i];
          return s;
        });
      },
    };
  }
  const classes = model.outputShape[0];
  let k = opts.target;
  if (k === undefined) {
    const y = model.predict(x);
    k = 0;
    for (let j = 1; j < classes; j++) if (y.data[j] > y.data[k]) k = j;
  } else if (!(Number.isInteger(k) && k >= 0 && k < classes)) {
    throw new Error(`occlusion: class ${k} is out of range; the model has ${classes} classes (0..${classes - 1})`);
  }
  const cls = k;
  return {
    targetClass: cls,
    measure(batch) {
      const y = model.predict(batch);
      return Float32Array.from({ length: batch.shape[0] }, (_, b) => y.data[b * classes + cls]);
    },
  };
}
