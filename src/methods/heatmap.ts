import { gaussianBlur } from './blur.ts';
import { normalizeMinMax } from '../io/colormap.ts';
import { resizeBilinear } from '../io/resize.ts';
import { ConvscopeError } from '../errors.ts';

export interface HeatmapOptions {
  /** Values below this percentile (0..100) are raised to it, so weak noise drops out. */
  percentile?: number;
  /** Gaussian blur sigma, in pixels of the map. */
  blur?: number;
}

/** Brings a raw (h, w) map to 0..1 for display: optional percentile clip and blur, then min-max. */
export function regularizeHeatmap(values: Float32Array, h: number, w: number, opts: HeatmapOptions = {}): Float32Array {
  const out = Float32Array.from(values);
  if (opts.percentile !== undefined) {
    if (!(opts.percentile >= 0 && opts.percentile <= 100)) throw new ConvscopeError('E_ARGUMENT', `percentile must be from 0 to 100, not ${opts.percentile}`);
    const sorted = Float32Array.from(values).sort();
    const floor = sorted[Math.min(sorted.length - 1, Math.floor((opts.percentile / 100) * sorted.length))];
    for (let i = 0; i < out.length; i++) out[i] = Math.max(out[i], floor);
  }
  if (opts.blur) gaussianBlur(out, 1, h, w, opts.blur);
  return normalizeMinMax(out);
}

/** A (h, w) map brought to (outH, outW) by bilinear interpolation (half-pixel centres). */
export function upsample(values: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  return h === outH && w === outW ? values : resizeBilinear(values, 1, h, w, outH, outW);
}
