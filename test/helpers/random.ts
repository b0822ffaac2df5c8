import { Tensor, sizeOf } from '../../src/tensor.ts';

export { seededRandom } from '../../src/methods/random.ts';

/** A tensor of the given shape, uniform in [-1, 1]. */
export function randomTensor(rng: () => number, shape: readonly number[]): Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng() * 2 - 1;
  return new Tensor(shape, data);
}
