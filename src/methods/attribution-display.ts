import { Tensor } from '../tensor.ts';
import { Canvas, textWidth } from '../io/png-output.ts';
import { colormap, type Colormap } from '../io/colormap.ts';
import { checkChoice, checkNumber, checkOptions, checkTensor, argumentError } from '../check.ts';
import { inputCanvas, overlayCanvas, readableScale, besides } from './render.ts';
import { upsample } from './heatmap.ts';

/** Captum's visualize_image_attr signs; 'absolute' is accepted for 'absolute_value'. */
export const ATTRIBUTION_SIGNS = ['all', 'positive', 'negative', 'absolute_value'] as const;
export type AttributionSign = (typeof ATTRIBUTION_SIGNS)[number];

export interface DisplayOptions {
  /** Which values to show (default 'all'). */
  sign?: AttributionSign | 'absolute';
  /** The percentage of the mass left out above the scale (Captum's outlier_perc, default 2). */
  outlierPerc?: number;
}

/**
 * Captum's _normalize_attr: one sample's attribution (C, H, W) summed over channels (a map (H, W)
 * as it is), the values `sign` picks, divided by the cumulative-sum threshold at
 * (100 - outlierPerc)% and clipped to [-1, 1] ('negative' comes out in [0, 1], as in Captum).
 * Returns H * W values; all 0 where the scale is 0.
 */
export function normalizeAttribution(attribution: Tensor, options: DisplayOptions = {}): Float32Array {
  checkTensor(attribution, 'the attribution');
  const opts = checkOptions(options);
  const sign = parseSign(opts.sign ?? 'all');
  const outlierPerc = opts.outlierPerc ?? 2;
  checkNumber(outlierPerc, 'outlierPerc', { min: 0, max: 100 });
  if (attribution.rank !== 2 && attribution.rank !== 3) throw argumentError(`normalizeAttribution takes one sample's map (H, W) or attribution (C, H, W), not shape [${attribution.shape.join(', ')}]`);
  const [h, w] = attribution.shape.slice(-2);
  const channels = attribution.rank === 3 ? attribution.shape[0] : 1;
  const combined = new Float32Array(h * w);
  for (let c = 0; c < channels; c++) for (let i = 0; i < h * w; i++) combined[i] += attribution.data[c * h * w + i];
  const picked = combined.map((v) => (sign === 'positive' ? Math.max(v, 0) : sign === 'negative' ? Math.min(v, 0) : sign === 'absolute_value' ? Math.abs(v) : v));
  const magnitude = sign === 'positive' || sign === 'absolute_value' ? picked : picked.map(Math.abs);
  const threshold = cumulativeSumThreshold(magnitude, 100 - outlierPerc) * (sign === 'negative' ? -1 : 1);
  if (threshold === 0) return new Float32Array(h * w);
  return picked.map((v) => Math.min(1, Math.max(-1, v / threshold)));
}

/** The first sorted value whose cumulative sum reaches percentile% of the total (Captum's _cumulative_sum_threshold). */
export function cumulativeSumThreshold(values: Float32Array, percentile: number): number {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const v of sorted) total += v;
  let sum = 0;
  for (const v of sorted) {
    sum += v;
    if (sum >= total * 0.01 * percentile) return v;
  }
  return sorted[sorted.length - 1] ?? 0;
}

function parseSign(sign: unknown): AttributionSign {
  const s = sign === 'absolute' ? 'absolute_value' : sign;
  checkChoice(s, 'sign', ATTRIBUTION_SIGNS);
  return s;
}

/** The colours of a normalised map: 'all' blue (-1) - white (0) - red (1); the others viridis from 0 to 1. */
export function attributionColormap(sign: AttributionSign | 'absolute' = 'all'): Colormap {
  if (parseSign(sign) !== 'all') return colormap('viridis');
  const bwr = colormap('diverging');
  return (v) => bwr((v + 1) / 2);
}

/**
 * A picture of one sample's attribution beside its input: the input (unless withInput is false),
 * the normalised map, the map over the input, and a legend; a map smaller than the input (a CAM)
 * is upsampled bilinearly.
 */
export function attributionFigure(input: Tensor, attribution: Tensor, options: DisplayOptions & { caption?: string; withInput?: boolean } = {}): Canvas {
  const [, h, w] = input.shape;
  const sign = parseSign(options.sign ?? 'all');
  const [mh, mw] = attribution.shape.slice(-2);
  const normalized = normalizeAttribution(attribution, options);
  const map = upsample(normalized, mh, mw, h, w);
  const cmap = attributionColormap(sign);
  const scale = readableScale(h, w);
  const picture = new Canvas(w * scale, h * scale);
  picture.drawMap(map, h, w, 0, 0, cmap, scale);
  const heat = sign === 'all' ? map.map((v) => (v + 1) / 2) : map;
  const overlay = overlayCanvas(input, heat, 0.5, sign === 'all' ? 'diverging' : 'viridis', scale);
  const row = besides(options.withInput === false ? [picture, overlay] : [inputCanvas(input, scale), picture, overlay]);
  const parts = [row, legendCanvas(sign, row.width)];
  if (options.caption) parts.unshift(captionCanvas(options.caption, row.width));
  return besides(parts, 2, true);
}

/** A colour bar with its ends labelled, as wide as the figure. */
export function legendCanvas(sign: AttributionSign, width: number): Canvas {
  const canvas = new Canvas(width, 22, [255, 255, 255]);
  const cmap = attributionColormap(sign);
  const lo = sign === 'all' ? -1 : 0;
  const bar = Math.max(1, width - 2);
  for (let x = 0; x < bar; x++) canvas.fillRect(1 + x, 0, 1, 10, cmap(lo + ((1 - lo) * x) / Math.max(1, bar - 1)));
  const left = sign === 'all' ? 'negative' : '0';
  const right = sign === 'all' ? 'positive' : sign === 'negative' ? 'most negative' : 'high';
  canvas.drawText(left, 1, 13, [0, 0, 0]);
  canvas.drawText(right, width - 1 - textWidth(right), 13, [0, 0, 0]);
  if (sign === 'all') canvas.drawText('0', Math.floor(width / 2 - 2), 13, [0, 0, 0]);
  return canvas;
}

function captionCanvas(text: string, width: number): Canvas {
  const canvas = new Canvas(Math.max(width, textWidth(text) + 2), 10, [255, 255, 255]);
  canvas.drawText(text, 1, 1, [0, 0, 0]);
  return canvas;
}
