import { Tensor } from '../tensor.ts';

/** The index of the largest value (the first on ties). */
export function predictedClass(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Each sample's class scores from a batched output (N, ...): a vector output's values; for an
 * output with spatial axes (a segmentation map (K, H, W)), the sum of each channel, so that
 * class k of such a model is its channel k as a whole.
 */
export function classScores(output: Tensor, sample: number): Float32Array {
  const per = output.size / output.shape[0];
  const values = output.data.subarray(sample * per, (sample + 1) * per);
  if (output.rank === 2) return values;
  const k = output.shape[1];
  const plane = per / k;
  const scores = new Float32Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += values[c * plane + i];
    scores[c] = s;
  }
  return scores;
}

/** The class each sample of a batched output predicts (classScores' argmax). */
export function predictedClasses(output: Tensor): number[] {
  return Array.from({ length: output.shape[0] }, (_, b) => predictedClass(classScores(output, b)));
}

/** The gradient of class k's score with respect to a batched output of this shape: one-hot, or ones on channel k. */
export function classSignal(shape: readonly number[], k: number): Tensor {
  const s = Tensor.zeros(shape);
  const per = s.size / shape[0];
  const plane = per / shape[1];
  for (let b = 0; b < shape[0]; b++) s.data.fill(1, b * per + k * plane, b * per + (k + 1) * plane);
  return s;
}
