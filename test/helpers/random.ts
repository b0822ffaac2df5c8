import { Tensor, sizeOf } from '../../src/tensor.ts';

/** mulberry32: a tiny seeded PRNG giving uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A tensor of the given shape, uniform in [-1, 1]. */
export function randomTensor(rng: () => number, shape: readonly number[]): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng() * 2 - 1;
  return new Tensor(shape, data);
}
