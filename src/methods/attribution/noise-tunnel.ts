import { Tensor } from '../../tensor.ts';
import type { Model } from '../../model/model.ts';
import { checkChoice, checkInteger, checkNumber } from '../../check.ts';
import { seededRandom } from '../random.ts';
import { inputMethodRows, INPUT_METHODS, type InputMethod, type InputMethodOptions } from './input-methods.ts';
import { rowChannels, type ResolvedTarget } from './target.ts';
import { repeatRows } from './chunks.ts';

export const NOISE_TUNNEL_TYPES = ['smoothgrad', 'smoothgrad-sq', 'vargrad'] as const;
export type NoiseTunnelType = (typeof NOISE_TUNNEL_TYPES)[number];

export interface NoiseTunnelOptions extends InputMethodOptions {
  /** The method run on the noisy copies; default 'saliency'. */
  of?: InputMethod;
  /** Noisy copies per sample (Captum's nt_samples); default 5. */
  samples?: number;
  /** The noise's standard deviation, absolute (Captum's stdevs); default 0.15 * (max - min) of each sample. */
  stdevs?: number;
  /** Seeds the noise; default 0. */
  seed?: number;
}

/**
 * Captum's NoiseTunnel (docs/ATTRIBUTION.md): the inner method on `samples` noisy copies of
 * each sample, all copies of all samples run as one batch; their mean (smoothgrad), mean of
 * squares (smoothgrad-sq) or variance (vargrad).
 */
export function noiseTunnel(model: Model, type: NoiseTunnelType, x: Tensor, t: ResolvedTarget, baselines: Tensor, opts: NoiseTunnelOptions): Tensor {
  checkChoice(type, 'noise tunnel type', NOISE_TUNNEL_TYPES);
  const of = opts.of ?? 'saliency';
  checkChoice(of, 'method under the noise (of)', INPUT_METHODS, 'methods');
  const samples = opts.samples ?? 5;
  checkInteger(samples, 'samples', 1);
  if (opts.stdevs !== undefined) checkNumber(opts.stdevs, 'stdevs', { min: 0 });
  const seed = opts.seed ?? 0;
  checkInteger(seed, 'seed', 0, 2 ** 32 - 1);
  const n = x.shape[0];
  const per = x.size / n;
  // every sample gets the same draws, so that its map does not depend on its place in the batch
  const normal = gaussian(seededRandom(seed));
  const noise = Float64Array.from({ length: samples * per }, normal);
  const noisy = repeatRows(x, samples);
  for (let b = 0; b < n; b++) {
    const sigma = opts.stdevs ?? 0.15 * range(x.data.subarray(b * per, (b + 1) * per));
    for (let j = 0; j < samples; j++) {
      const row = noisy.data.subarray((b * samples + j) * per, (b * samples + j + 1) * per);
      for (let i = 0; i < per; i++) row[i] += sigma * noise[j * per + i];
    }
  }
  const a = inputMethodRows(model, of, noisy, t, rowChannels(t, samples), repeatRows(baselines, samples), opts).attribution.data;
  const out = Tensor.zeros(x.shape);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < per; i++) {
      let sum = 0;
      let squares = 0;
      for (let j = 0; j < samples; j++) {
        const v = a[(b * samples + j) * per + i];
        sum += v;
        squares += v * v;
      }
      const mean = sum / samples;
      out.data[b * per + i] = type === 'smoothgrad' ? mean : type === 'smoothgrad-sq' ? squares / samples : squares / samples - mean * mean;
    }
  }
  return out;
}

/** Standard normals by Box-Muller, one per two uniforms: sqrt(-2 ln(1 - u1)) cos(2 pi u2). */
export function gaussian(uniform: () => number): () => number {
  return () => {
    const u1 = uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  };
}

function range(values: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi - lo;
}
