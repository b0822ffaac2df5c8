import { Tensor } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import type { ReluRule } from '../../runtime/kernel-set.ts';
import { rows, rowsPerChunk, forEachChunk, concatRows } from './chunks.ts';
import { targetGradient, targetValuesChunked } from './gradient.ts';
import type { ResolvedTarget } from './target.ts';
import { integrationPoints, type IntegrationRule } from './integration.ts';

/** The methods whose attribution lives in input space, each a rule applied to rows of inputs. */
export const INPUT_METHODS = ['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'deconvnet'] as const;
export type InputMethod = (typeof INPUT_METHODS)[number];

export interface InputMethodOptions {
  /** Saliency: |gradient| (Captum's default) or the signed gradient. Default true. */
  abs?: boolean;
  /** Integrated gradients: points on the path (default 50) and Captum's rule (default gausslegendre). */
  steps?: number;
  integration?: IntegrationRule;
  /** Called with (rows done, rows in all) after each chunk of forward and backward passes. */
  onProgress?: (done: number, total: number) => void;
}

export interface RowsResult {
  attribution: Tensor;
  /** Integrated gradients: sum(IG) - (f(x) - f(x')) per row. */
  delta?: Float32Array;
}

/**
 * An input-space method on rows x (M, ...), row r explaining `channels[r]` of the target:
 * baselines (M, ...) for integrated gradients. Chunked so one chunk's records are alive at a time.
 */
export function inputMethodRows(
  model: Model, method: InputMethod, x: Tensor, t: ResolvedTarget, channels: readonly number[], baselines: Tensor, opts: InputMethodOptions,
): RowsResult {
  if (method === 'integrated-gradients') return integratedGradientRows(model, x, t, channels, baselines, opts);
  const rule: ReluRule = method === 'guided-backprop' ? 'guided' : method === 'deconvnet' ? 'deconvnet' : 'salinet';
  const out = Tensor.zeros(x.shape);
  forEachChunk(x.shape[0], rowsPerChunk(model, t.node), (start, count) => {
    const part = rows(x, start, count);
    const g = targetGradient(model, part, t, channels.slice(start, start + count), rule).grad.data;
    const to = out.data.subarray(start * (x.size / x.shape[0]));
    if (method === 'input-x-gradient') for (let i = 0; i < g.length; i++) to[i] = part.data[i] * g[i];
    else if (method === 'saliency' && opts.abs !== false) for (let i = 0; i < g.length; i++) to[i] = Math.abs(g[i]);
    else to.set(g);
    opts.onProgress?.(start + count, x.shape[0]);
  });
  return { attribution: out };
}

/**
 * Integrated gradients (Captum's IntegratedGradients): (x - x') * sum_i w_i grad f(x' + alpha_i (x - x')),
 * every row's path points run as one batch (in chunks), and Captum's completeness delta.
 */
function integratedGradientRows(model: Model, x: Tensor, t: ResolvedTarget, channels: readonly number[], baselines: Tensor, opts: InputMethodOptions): RowsResult {
  const { alphas, weights } = integrationPoints(opts.integration ?? 'gausslegendre', opts.steps ?? 50);
  const n = x.shape[0];
  const per = x.size / n;
  const steps = alphas.length;
  const total = new Float64Array(x.size);
  const chunk = rowsPerChunk(model, t.node);
  // path point (r, i) is row r * steps + i of one long virtual batch, built chunk by chunk
  forEachChunk(n * steps, chunk, (start, count) => {
    const part = Tensor.zeros([count, ...x.shape.slice(1)]);
    for (let k = 0; k < count; k++) {
      const r = Math.floor((start + k) / steps);
      const a = alphas[(start + k) % steps];
      for (let i = 0; i < per; i++) {
        const b = baselines.data[r * per + i];
        part.data[k * per + i] = b + a * (x.data[r * per + i] - b);
      }
    }
    const pointChannels = Array.from({ length: count }, (_, k) => channels[Math.floor((start + k) / steps)]);
    const g = targetGradient(model, part, t, pointChannels, 'salinet').grad.data;
    for (let k = 0; k < count; k++) {
      const r = Math.floor((start + k) / steps);
      const w = weights[(start + k) % steps];
      for (let i = 0; i < per; i++) total[r * per + i] += w * g[k * per + i];
    }
    opts.onProgress?.(start + count, n * steps);
  });
  const attribution = Tensor.zeros(x.shape);
  for (let i = 0; i < x.size; i++) attribution.data[i] = (x.data[i] - baselines.data[i]) * total[i];
  // f at both ends, as Captum's compute_convergence_delta evaluates them
  const ends = targetValuesChunked(model, concatRows(x, baselines), t, [...channels, ...channels], true);
  const delta = Float32Array.from({ length: n }, (_, r) => {
    let s = 0;
    for (let i = r * per; i < (r + 1) * per; i++) s += attribution.data[i];
    return s - (ends[r] - ends[n + r]);
  });
  return { attribution, delta };
}
