import { argumentError } from '../check.ts';

/** Past this sigma the kernel's weights alone would take seconds to add up; such a blur is a flat image anyway. */
const MAX_SIGMA = 1e6;

/**
 * In-place separable Gaussian blur of each (h, w) plane of data, edges clamped: weights
 * exp(-k^2 / (2 sigma^2)) for |k| <= ceil(3 sigma), normalised to sum 1. Taps further than the
 * plane is long all land on its edge pixel, so the kernel is cut at the plane's length with the
 * cut-off weights added to its end taps: the same sums at O(plane) cost, whatever sigma.
 */
export function gaussianBlur(data: Float32Array, planes: number, h: number, w: number, sigma: number): void {
  if (sigma <= 0) return;
  if (!(sigma <= MAX_SIGMA)) throw argumentError(`a blur sigma of ${sigma} pixels is too large; give at most ${MAX_SIGMA} (past the image's size the picture is flat anyway)`);
  const rows = kernelFor(sigma, h);
  const cols = kernelFor(sigma, w);
  const tmp = new Float32Array(h * w);
  for (let p = 0; p < planes; p++) {
    const plane = data.subarray(p * h * w, (p + 1) * h * w);
    const r = (cols.length - 1) / 2;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += cols[k + r] * plane[y * w + Math.min(w - 1, Math.max(0, x + k))];
        tmp[y * w + x] = s;
      }
    }
    const q = (rows.length - 1) / 2;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -q; k <= q; k++) s += rows[k + q] * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
        plane[y * w + x] = s;
      }
    }
  }
}

/** The normalised kernel for one axis of `length` pixels, cut at radius length - 1 with the tails folded onto its ends. */
function kernelFor(sigma: number, length: number): number[] {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const cut = Math.min(radius, Math.max(1, length - 1));
  const weight = (k: number) => Math.exp(-(k * k) / (2 * sigma * sigma));
  const kernel = Array.from({ length: 2 * cut + 1 }, (_, i) => weight(i - cut));
  let tail = 0;
  for (let k = cut + 1; k <= radius; k++) tail += weight(k);
  kernel[0] += tail;
  kernel[2 * cut] += tail;
  const total = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((v) => v / total);
}
