import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gaussianBlur } from '../src/methods/blur.ts';
import { seededRandom } from '../src/methods/random.ts';
import { expectConvscopeError } from './helpers/errors.ts';

// The blur (blur baselines, heatmaps, maximisation) against the plain definition: every tap of
// the 3-sigma kernel read with clamped edges, even where the kernel is far longer than the image.
function plainBlur(data: Float32Array, h: number, w: number, sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const tmp = new Float64Array(h * w);
  const out = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = -r; k <= r; k++) tmp[y * w + x] += (kernel[k + r] / total) * data[y * w + Math.min(w - 1, Math.max(0, x + k))];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = -r; k <= r; k++) out[y * w + x] += (kernel[k + r] / total) * tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x];
  return out;
}

test('the blur equals the clamped 3-sigma definition, for kernels shorter and far longer than the image', () => {
  const random = seededRandom(2);
  for (const [h, w, sigma] of [[7, 9, 0.8], [7, 9, 2], [5, 6, 4], [3, 2, 40], [12, 1, 7]]) {
    const data = Float32Array.from({ length: h * w }, () => random() * 10 - 5);
    const want = plainBlur(data, h, w, sigma);
    gaussianBlur(data, 1, h, w, sigma);
    for (let i = 0; i < h * w; i++) assert.ok(Math.abs(data[i] - want[i]) <= 1e-5, `${h}x${w} sigma ${sigma}: ${data[i]} vs ${want[i]} at ${i}`);
  }
});

test('a huge sigma is one clear error, not a hang or an internal one', async () => {
  await expectConvscopeError(() => gaussianBlur(new Float32Array(4), 1, 2, 2, 1e12), 'E_ARGUMENT', 'a blur sigma of 1000000000000 pixels is too large; give at most 1000000');
  const flat = Float32Array.from([1, 2, 3, 4]);
  gaussianBlur(flat, 1, 2, 2, 1e6);
  for (const v of flat) assert.ok(Math.abs(v - 2.5) < 1e-3, `sigma 1e6 flattens the image: ${flat}`);
});

test.run();
