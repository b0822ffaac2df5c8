import { Tensor, formatShape, sameShape } from '../../tensor.ts';
import { argumentError, describe } from '../../check.ts';
import { gaussianBlur } from '../blur.ts';

/**
 * Captum's `baselines` (docs/ATTRIBUTION.md "Baselines"): a number, one number per channel, a
 * tensor (C, H, W) or (N, C, H, W), or a Gaussian-blurred copy of each sample.
 */
export type Baseline = number | readonly number[] | Tensor | 'blur' | { blur: number };

/** The blur baseline's sigma when none is given: a tenth of the smaller side. */
export function defaultBlurSigma(h: number, w: number): number {
  return 0.1 * Math.min(h, w);
}

/** The baseline for each sample of x (N, C, H, W) (or (N, K) for a vector model), as a tensor of x's shape. */
export function baselineRows(x: Tensor, baseline: Baseline | undefined): Tensor {
  const [n, c] = x.shape;
  const per = x.size / n;
  const out = Tensor.zeros(x.shape);
  if (baseline === undefined) return out;
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) throw argumentError(`the baseline must be a finite number, not ${baseline}`);
    return out.data.fill(baseline), out;
  }
  if (Array.isArray(baseline)) {
    if (baseline.length !== c || !baseline.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw argumentError(`a per-channel baseline needs ${c} finite numbers (one per input channel), not ${describe(baseline)}`);
    }
    const plane = per / c;
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) out.data.fill(baseline[ch], b * per + ch * plane, b * per + (ch + 1) * plane);
    return out;
  }
  if (baseline instanceof Tensor) {
    if (sameShape(baseline.shape, x.shape)) return baseline;
    if (sameShape(baseline.shape, x.shape.slice(1))) {
      for (let b = 0; b < n; b++) out.data.set(baseline.data, b * per);
      return out;
    }
    throw argumentError(`the baseline tensor has shape ${formatShape(baseline.shape)}; give ${formatShape(x.shape.slice(1))} or ${formatShape(x.shape)}`);
  }
  const sigma = baseline === 'blur' ? defaultBlurSigma(x.shape[2], x.shape[3]) : typeof baseline === 'object' && baseline !== null && 'blur' in baseline ? baseline.blur : NaN;
  if (x.rank !== 4) throw argumentError('a blur baseline needs an image model (C, H, W)');
  if (!(Number.isFinite(sigma) && sigma > 0)) {
    throw argumentError(`the baseline must be a number, one number per channel, a tensor, 'blur' or {blur: sigma > 0}, not ${describe(baseline)}`);
  }
  out.data.set(x.data);
  gaussianBlur(out.data, n * c, x.shape[2], x.shape[3], sigma);
  return out;
}
