/** In-place separable Gaussian blur of each (h, w) plane of data, edges clamped. */
export function gaussianBlur(data: Float32Array, planes: number, h: number, w: number, sigma: number): void {
  if (sigma <= 0) return;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const tmp = new Float32Array(h * w);
  for (let p = 0; p < planes; p++) {
    const plane = data.subarray(p * h * w, (p + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * plane[y * w + Math.min(w - 1, Math.max(0, x + k))];
        tmp[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
        plane[y * w + x] = s;
      }
    }
  }
}
