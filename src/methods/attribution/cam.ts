import { Tensor } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import { resizeBilinear } from '../../io/resize.ts';
import { rows, rowsPerChunk, forEachChunk } from './chunks.ts';
import { targetGradient } from './gradient.ts';
import { channelSums, softmaxScores, type ResolvedTarget } from './target.ts';

export const CAM_METHODS = ['gradcam', 'gradcam++', 'layercam', 'scorecam'] as const;
export type CamMethod = (typeof CAM_METHODS)[number];

export interface CamRows {
  /** (N, h, w) at the layer's resolution. */
  cam: Tensor;
  /** (N, K) channel weights (Grad-CAM, Grad-CAM++, Score-CAM); null for LayerCAM, whose weights are per position. */
  weights: Tensor | null;
}

/**
 * A CAM (docs/ATTRIBUTION.md "The CAM family") of node `layer`'s output (K, h, w) for every
 * row of x, rows run as batches.
 */
export function camRows(model: Model, method: CamMethod, x: Tensor, t: ResolvedTarget, layer: number, onProgress?: (done: number, total: number) => void): CamRows {
  if (method === 'scorecam') return scoreCamRows(model, x, t, layer, onProgress);
  const [k, h, w] = model.layers[layer].outputShape;
  const n = x.shape[0];
  const cam = Tensor.zeros([n, h, w]);
  const weights = method === 'layercam' ? null : Tensor.zeros([n, k]);
  forEachChunk(n, rowsPerChunk(model, t.node), (start, count) => {
    const { grad, forward } = targetGradient(model, rows(x, start, count), t, t.channels.slice(start, start + count), 'salinet', layer);
    const part = camFromGradient(method, grad, forward.records.get(model.layers[layer].name)!.output);
    cam.data.set(part.cam.data, start * h * w);
    if (weights) weights.data.set(part.weights!.data, start * k);
  });
  onProgress?.(n, n);
  return { cam, weights };
}

/** Grad-CAM, Grad-CAM++ or LayerCAM of activations a (M, K, h, w) from the target's gradient g on them. */
export function camFromGradient(method: Exclude<CamMethod, 'scorecam'>, grad: Tensor, a: Tensor): CamRows {
  const [m, k, h, w] = a.shape;
  const plane = h * w;
  const cam = Tensor.zeros([m, h, w]);
  const weights = method === 'layercam' ? null : Tensor.zeros([m, k]);
  for (let r = 0; r < m; r++) {
    const g = grad.data.subarray(r * k * plane, (r + 1) * k * plane);
    const act = a.data.subarray(r * k * plane, (r + 1) * k * plane);
    const map = cam.data.subarray(r * plane, (r + 1) * plane);
    if (method === 'layercam') {
      const sum = new Float64Array(plane);
      for (let c = 0; c < k; c++) for (let i = 0; i < plane; i++) sum[i] += Math.max(g[c * plane + i], 0) * act[c * plane + i];
      for (let i = 0; i < plane; i++) map[i] = Math.max(sum[i], 0);
      continue;
    }
    const alpha = method === 'gradcam' ? gradCamWeights(g, k, plane) : gradCamPlusPlusWeights(g, act, k, plane);
    weights!.data.set(alpha, r * k);
    weightedSum(alpha, act, k, plane, map);
  }
  return { cam, weights };
}

/** Grad-CAM's w_k: the mean of the gradient over the map. */
function gradCamWeights(g: Float32Array, k: number, plane: number): Float64Array {
  return Float64Array.from({ length: k }, (_, c) => {
    let s = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) s += g[i];
    return s / plane;
  });
}

/** Grad-CAM++'s w_k = sum alpha * relu(g), alpha = g^2 / (2 g^2 + (sum A_k) g^3), 0 where that denominator is 0. */
function gradCamPlusPlusWeights(g: Float32Array, a: Float32Array, k: number, plane: number): Float64Array {
  return Float64Array.from({ length: k }, (_, c) => {
    let total = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) total += a[i];
    let s = 0;
    for (let i = c * plane; i < (c + 1) * plane; i++) {
      const g2 = g[i] * g[i];
      const denominator = 2 * g2 + total * g2 * g[i];
      if (denominator !== 0 && g[i] > 0) s += (g2 / denominator) * g[i];
    }
    return s;
  });
}

/** map = relu(sum_k w_k A_k). */
function weightedSum(weights: ArrayLike<number>, a: Float32Array, k: number, plane: number, map: Float32Array): void {
  const sum = new Float64Array(plane);
  for (let c = 0; c < k; c++) {
    const wc = weights[c];
    if (wc !== 0) for (let i = 0; i < plane; i++) sum[i] += wc * a[c * plane + i];
  }
  for (let i = 0; i < plane; i++) map[i] = Math.max(sum[i], 0);
}

/**
 * Score-CAM: each channel's map, upsampled to the input and min-max normalised, masks the input
 * (every channel); its weight is the target's score for that masked input (softmax of the
 * logits for a class). All rows' masked inputs run as batches.
 */
function scoreCamRows(model: Model, x: Tensor, t: ResolvedTarget, layer: number, onProgress?: (done: number, total: number) => void): CamRows {
  const [k, h, w] = model.layers[layer].outputShape;
  const [n, c, H, W] = x.shape;
  const per = c * H * W;
  const acts = Tensor.zeros([n, k, h, w]);
  forEachChunk(n, rowsPerChunk(model, layer), (start, count) => {
    acts.data.set(model.run(rows(x, start, count), layer, true).output.data, start * k * h * w);
  });
  // every (row, channel) whose map is not constant; its mask is made again when its chunk runs (all at once they can fill gigabytes)
  const upsampled = (b: number, ch: number) => resizeBilinear(acts.data.subarray((b * k + ch) * h * w, (b * k + ch + 1) * h * w), 1, h, w, H, W);
  const jobs: { b: number; ch: number; lo: number; hi: number }[] = [];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < k; ch++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of upsampled(b, ch)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (hi !== lo) jobs.push({ b, ch, lo, hi });
    }
  }
  const weights = Tensor.zeros([n, k]);
  const chunk = rowsPerChunk(model, t.node);
  onProgress?.(0, jobs.length);
  forEachChunk(jobs.length, chunk, (start, count) => {
    const part = Tensor.zeros([count, c, H, W]);
    const channels: number[] = [];
    for (let r = 0; r < count; r++) {
      const { b, ch: map, lo, hi } = jobs[start + r];
      const mask = upsampled(b, map);
      for (let i = 0; i < mask.length; i++) mask[i] = (mask[i] - lo) / (hi - lo);
      for (let ch = 0; ch < c; ch++) {
        for (let i = 0; i < H * W; i++) part.data[r * per + ch * H * W + i] = x.data[b * per + ch * H * W + i] * mask[i];
      }
      channels.push(t.channels[b]);
    }
    const run = model.run(part, t.node, true);
    const record = run.records.get(model.layers[t.node].name)!;
    const scores = t.isClass ? softmaxScores(t.onLogits ? record.z : record.output, channels) : channelSums(record.output, channels);
    for (let r = 0; r < count; r++) weights.data[jobs[start + r].b * k + jobs[start + r].ch] = scores[r];
    onProgress?.(start + count, jobs.length);
  });
  const cam = Tensor.zeros([n, h, w]);
  for (let b = 0; b < n; b++) {
    weightedSum(weights.data.subarray(b * k, (b + 1) * k), acts.data.subarray(b * k * h * w, (b + 1) * k * h * w), k, h * w, cam.data.subarray(b * h * w, (b + 1) * h * w));
  }
  return { cam, weights };
}

/** Maps (N, h, w) brought to (N, H, W): bilinear with half-pixel centres, or PyTorch's nearest. */
export function upsampleMaps(maps: Tensor, H: number, W: number, mode: 'bilinear' | 'nearest' = 'bilinear'): Tensor {
  const [n, h, w] = maps.shape;
  if (mode === 'bilinear') return new Tensor([n, H, W], resizeBilinear(maps.data, n, h, w, H, W));
  const ys = nearestSources(h, H);
  const xs = nearestSources(w, W);
  const out = Tensor.zeros([n, H, W]);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) out.data[(b * H + y) * W + xx] = maps.data[(b * h + ys[y]) * w + xs[xx]];
  }
  return out;
}

/** PyTorch's nearest source index: min(floor(dst * (in / out)), in - 1), in float32. */
function nearestSources(inLen: number, outLen: number): Int32Array {
  const scale = Math.fround(inLen / outLen);
  return Int32Array.from({ length: outLen }, (_, d) => (inLen === outLen ? d : Math.min(Math.floor(Math.fround(d * scale)), inLen - 1)));
}
