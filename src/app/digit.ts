// A drawing made to look like an MNIST digit, as LeCun's preprocessing made them: the ink's
// bounding box scaled (area-averaged, keeping its aspect) to fit a 20x20 box, then placed in a
// 28x28 field so that its centre of mass is at the centre. Without this a digit drawn small or in
// a corner of the pad is outside what the network has seen.
import type { ImageDataLike } from '../io/image-input.ts';

const FIELD = 28;
const BOX = 20;

/** Ink (0..255, white on black) of a drawing's RGBA pixels: the brightest of its colours. */
function inkOf(image: ImageDataLike): Float32Array {
  const { data, width, height } = image;
  const ink = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) ink[i] = Math.max(data[4 * i], data[4 * i + 1], data[4 * i + 2]);
  return ink;
}

/** The drawing as a 28x28 MNIST-style digit, values 0..255; all zeros for an empty pad. */
export function mnistDigit(image: ImageDataLike): Float32Array {
  const { width, height } = image;
  const ink = inkOf(image);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  const digit = new Float32Array(FIELD * FIELD);
  if (x1 < 0) return digit;
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const scale = BOX / side;
  const bw = Math.max(1, Math.round((x1 - x0 + 1) * scale));
  const bh = Math.max(1, Math.round((y1 - y0 + 1) * scale));
  // area average: each small pixel is the mean of the drawing pixels whose centres fall in it
  const sums = new Float32Array(bw * bh);
  const counts = new Float32Array(bw * bh);
  for (let y = y0; y <= y1; y++) {
    const sy = Math.min(bh - 1, Math.floor((y - y0 + 0.5) * scale));
    for (let x = x0; x <= x1; x++) {
      const sx = Math.min(bw - 1, Math.floor((x - x0 + 0.5) * scale));
      sums[sy * bw + sx] += ink[y * width + x];
      counts[sy * bw + sx] += 1;
    }
  }
  let mass = 0;
  let my = 0;
  let mx = 0;
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const v = counts[y * bw + x] > 0 ? sums[y * bw + x] / counts[y * bw + x] : 0;
      sums[y * bw + x] = v;
      mass += v;
      my += v * (y + 0.5);
      mx += v * (x + 0.5);
    }
  }
  const oy = Math.round(FIELD / 2 - my / mass);
  const ox = Math.round(FIELD / 2 - mx / mass);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const ty = y + oy;
      const tx = x + ox;
      if (ty >= 0 && ty < FIELD && tx >= 0 && tx < FIELD) digit[ty * FIELD + tx] = Math.min(255, sums[y * bw + x]);
    }
  }
  return digit;
}
