import { Tensor } from '../tensor.ts';

export interface LossResult {
  /** The mean over the batch of -log softmax(logits)[label]. */
  loss: number;
  /** Its gradient on the logits: (softmax(logits) - onehot(label)) / N. */
  gradient: Tensor;
  /** How many rows have their label as the (first) largest logit. */
  correct: number;
}

/**
 * Softmax cross-entropy on logits (N, K), fused (Keras's sparse categorical cross-entropy with
 * from_logits, and what it computes for a softmax output layer): the log-sum-exp is taken with
 * the row's maximum subtracted, in float64.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Int32Array): LossResult {
  const [n, k] = logits.shape;
  const gradient = Tensor.zeros([n, k]);
  let total = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const row = logits.data.subarray(r * k, (r + 1) * k);
    let best = 0;
    for (let j = 1; j < k; j++) if (row[j] > row[best]) best = j;
    const max = row[best];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(row[j] - max);
    const label = labels[r];
    total += Math.log(sum) - (row[label] - max);
    if (best === label) correct++;
    for (let j = 0; j < k; j++) gradient.data[r * k + j] = (Math.exp(row[j] - max) / sum - (j === label ? 1 : 0)) / n;
  }
  return { loss: total / n, gradient, correct };
}
