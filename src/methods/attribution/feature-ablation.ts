import { Tensor, formatShape, sameShape } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import { argumentError, checkInteger } from '../../check.ts';
import { rowsPerChunk, forEachChunk } from './chunks.ts';
import { targetValues, targetValuesChunked } from './gradient.ts';
import type { ResolvedTarget } from './target.ts';

/**
 * Labels for every element of one sample (C, H, W) from a mask (H, W) (every channel alike, as
 * Captum broadcasts a (1, 1, H, W) mask) or (C, H, W) of non-negative whole numbers, or square
 * cells of side `grid`: floor(y / s) * ceil(W / s) + floor(x / s).
 */
export function featureLabels(inputShape: readonly number[], mask: Tensor | undefined, grid: number): Int32Array {
  const [c, h, w] = inputShape;
  const labels = new Int32Array(c * h * w);
  if (mask === undefined) {
    checkInteger(grid, 'grid', 1);
    const across = Math.ceil(w / grid);
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels[(ch * h + y) * w + x] = Math.floor(y / grid) * across + Math.floor(x / grid);
    return labels;
  }
  const perChannel = sameShape(mask.shape, [h, w]);
  if (!perChannel && !sameShape(mask.shape, [c, h, w])) throw argumentError(`the feature mask has shape ${formatShape(mask.shape)}; give (${h}, ${w}) or (${c}, ${h}, ${w}) labels`);
  for (let i = 0; i < labels.length; i++) {
    const v = mask.data[perChannel ? i % (h * w) : i];
    if (!(Number.isInteger(v) && v >= 0)) throw argumentError(`the feature mask must hold whole numbers from 0 (labels), not ${v}`);
    labels[i] = v;
  }
  return labels;
}

/**
 * Feature ablation (Captum's FeatureAblation with a feature_mask): each group of elements with
 * one label set to the baseline in turn; every element of the group gets f(x) - f(ablated), f
 * on the model's output. All groups of all rows run as batches.
 */
export function featureAblationRows(model: Model, x: Tensor, t: ResolvedTarget, baselines: Tensor, labels: Int32Array, onProgress?: (done: number, total: number) => void): Tensor {
  const n = x.shape[0];
  const per = x.size / n;
  // each label's element indices, so that a group costs its own size, not the whole input's
  const members = new Map<number, number[]>();
  labels.forEach((label, i) => (members.get(label) ?? members.set(label, []).get(label)!).push(i));
  const groups = [...members.keys()].sort((a, b) => a - b).map((label) => Int32Array.from(members.get(label)!));
  const chunk = rowsPerChunk(model, t.node);
  const unablated = targetValuesChunked(model, x, t, t.channels, false);
  const out = Tensor.zeros(x.shape);
  const total = n * groups.length;
  onProgress?.(0, total);
  forEachChunk(total, chunk, (start, count) => {
    const part = Tensor.zeros([count, ...x.shape.slice(1)]);
    const channels: number[] = [];
    for (let r = 0; r < count; r++) {
      const b = Math.floor((start + r) / groups.length);
      const row = part.data.subarray(r * per, (r + 1) * per);
      row.set(x.data.subarray(b * per, (b + 1) * per));
      for (const i of groups[(start + r) % groups.length]) row[i] = baselines.data[b * per + i];
      channels.push(t.channels[b]);
    }
    const values = targetValues(model, part, t, channels, false);
    for (let r = 0; r < count; r++) {
      const b = Math.floor((start + r) / groups.length);
      const drop = unablated[b] - values[r];
      for (const i of groups[(start + r) % groups.length]) out.data[b * per + i] = drop;
    }
    onProgress?.(start + count, total);
  });
  return out;
}
