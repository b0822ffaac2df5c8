import type { Tensor } from '../tensor.ts';
import { Canvas } from '../io/png-output.ts';
import { ConvscopeError } from '../errors.ts';
import { colormap, normalizeAbs, normalizeMinMax, normalizeSymmetric, type ColormapName, type RGB } from '../io/colormap.ts';

/** Small images are shown at least this many pixels on their longer side (nearest neighbour). */
export const READABLE_SIZE = 224;

export function readableScale(h: number, w: number, target = READABLE_SIZE): number {
  return Math.max(1, Math.ceil(target / Math.max(h, w)));
}

/** An input (C, H, W) as a picture: grey for one channel, RGB for three, min-max normalised. */
export function inputCanvas(x: Tensor, scale = readableScale(x.shape[1], x.shape[2])): Canvas {
  const [c, h, w] = x.shape;
  const n = normalizeMinMax(x.data);
  const canvas = new Canvas(w * scale, h * scale);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const v = (ch: number) => Math.round(255 * n[(ch * h + y) * w + xx]);
      const rgb: RGB = c === 3 ? [v(0), v(1), v(2)] : [v(0), v(0), v(0)];
      canvas.fillRect(xx * scale, y * scale, scale, scale, rgb);
    }
  }
  return canvas;
}

/**
 * A signed result in input space (C, H, W), as backward nets return it. Default: normalised
 * symmetrically around 0 (0 is white in the blue-white-red map for one channel, mid-grey per
 * colour for three). abs: |x| (the largest over the channels), viridis.
 */
export function signedCanvas(r: Tensor, abs = false, scale = readableScale(r.shape[1], r.shape[2])): Canvas {
  const [c, h, w] = r.shape;
  const canvas = new Canvas(w * scale, h * scale);
  if (abs || c !== 3) {
    const plane = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) {
      let v = abs ? 0 : r.data[i];
      if (abs) for (let ch = 0; ch < c; ch++) v = Math.max(v, Math.abs(r.data[ch * h * w + i]));
      else for (let ch = 1; ch < c; ch++) v += r.data[ch * h * w + i];
      plane[i] = v;
    }
    canvas.drawMap(abs ? normalizeAbs(plane) : normalizeSymmetric(plane), h, w, 0, 0, abs ? 'viridis' : 'diverging', scale);
    return canvas;
  }
  const n = normalizeSymmetric(r.data);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = (ch: number) => Math.round(255 * n[(ch * h + y) * w + x]);
      canvas.fillRect(x * scale, y * scale, scale, scale, [v(0), v(1), v(2)]);
    }
  }
  return canvas;
}

/** A heatmap (values already 0..1, h*w) over the input picture, at the input's size: (1 - alpha) * grey input + alpha * colour. */
export function overlayCanvas(input: Tensor, heat: Float32Array, alpha = 0.5, cmap: ColormapName = 'viridis', scale = readableScale(input.shape[1], input.shape[2])): Canvas {
  const [c, h, w] = input.shape;
  if (heat.length !== h * w) throw new ConvscopeError('E_SHAPE', `a heatmap of ${heat.length} values cannot lie over a ${h}x${w} input`);
  const n = normalizeMinMax(input.data);
  const map = colormap(cmap);
  const canvas = new Canvas(w * scale, h * scale);
  for (let i = 0; i < h * w; i++) {
    let g = 0;
    for (let ch = 0; ch < c; ch++) g += n[ch * h * w + i] / c;
    const [r, gg, b] = map(heat[i]);
    const mix = (v: number) => Math.round((1 - alpha) * 255 * g + alpha * v);
    canvas.fillRect((i % w) * scale, Math.floor(i / w) * scale, scale, scale, [mix(r), mix(gg), mix(b)]);
  }
  return canvas;
}

/** Places canvases side by side (or below each other) with a gap, on white. */
export function besides(parts: Canvas[], gap = 4, vertical = false): Canvas {
  const width = vertical ? Math.max(...parts.map((p) => p.width)) : parts.reduce((s, p) => s + p.width, 0) + gap * (parts.length - 1);
  const height = vertical ? parts.reduce((s, p) => s + p.height, 0) + gap * (parts.length - 1) : Math.max(...parts.map((p) => p.height));
  const out = new Canvas(width, height, [255, 255, 255]);
  let at = 0;
  for (const p of parts) {
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        const i = (y * p.width + x) * 4;
        out.setPixel(vertical ? x : at + x, vertical ? at + y : y, [p.pixels[i], p.pixels[i + 1], p.pixels[i + 2]]);
      }
    }
    at += (vertical ? p.height : p.width) + gap;
  }
  return out;
}
