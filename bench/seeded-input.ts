import { Tensor } from '../src/tensor.ts';

/** A benchmark input in [0, 1) from xorshift32, the same bits in Node and in a browser. */
export function seededInput(shape: readonly number[], seed = 2024): Tensor {
  const t = Tensor.zeros(shape);
  let s = seed;
  for (let i = 0; i < t.size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    t.data[i] = (s >>> 0) / 4294967296;
  }
  return t;
}
