import { Tensor } from '../tensor.ts';

/** The sum over the batch and positions of each channel of a batched (N, C, ...) tensor: a per-channel bias's gradient. */
export function channelSums(t: Tensor): Tensor {
  const [n, c] = t.shape;
  const inner = t.size / (n * c);
  const sums = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = (b * c + ch) * inner, end = i + inner; i < end; i++) s += t.data[i];
      sums[ch] += s;
    }
  }
  return new Tensor([c], Float32Array.from(sums));
}
