import type { Tensor } from '../tensor.ts';
import { add } from '../ops/eltwise.ts';
import type { Model, ForwardResult } from '../model/model.ts';

/**
 * The gradient of a loss with respect to every trainable weight, by reverse-mode
 * differentiation of a forward pass: `signal` is the loss's gradient on the output of the
 * model's output node (on its pre-activation with `onLogits`: the fused softmax cross-entropy).
 * The nodes are visited in reverse topological order; a node that feeds several sums their
 * signals, and a weight that several nodes share (a shared layer's calls) sums its gradients.
 * Keyed by the weight tensor itself. `frozen` weights get none; nodes that no weight to train
 * lies behind are skipped.
 */
export function backpropagate(
  model: Model, forward: ForwardResult, signal: Tensor, options: { onLogits?: boolean; frozen?: ReadonlySet<Tensor> } = {},
): Map<Tensor, Tensor> {
  const from = model.outputIndex;
  const frozen = options.frozen ?? new Set<Tensor>();
  const reaches = weightsBehind(model, frozen);
  const gradients = new Map<Tensor, Tensor>();
  const signals = new Map<number, Tensor>([[from, signal]]);
  const nodes = model.ancestors(from);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const i = nodes[k];
    const dy = signals.get(i);
    if (!dy || !reaches[i]) continue;
    signals.delete(i);
    const layer = model.layers[i];
    const sources = model.sources[i];
    const record = forward.records.get(layer.name)!;
    const result = layer.gradients(dy, record, { inputs: sources.some((j) => j >= 0 && reaches[j]), onLogits: i === from && options.onLogits === true });
    const trainable = layer.trainableWeights;
    for (const [name, g] of Object.entries(result.weights)) {
      const weight = trainable[name];
      if (frozen.has(weight)) continue;
      const before = gradients.get(weight);
      gradients.set(weight, before ? add(before, g) : g);
    }
    result.inputs.forEach((s, n) => {
      const j = sources[n];
      if (j < 0 || !reaches[j]) return;
      const before = signals.get(j);
      signals.set(j, before ? add(before, s) : s);
    });
  }
  return gradients;
}

/** For each node, whether it or a node it depends on has weights to train (so a signal on it matters). */
function weightsBehind(model: Model, frozen: ReadonlySet<Tensor>): boolean[] {
  const reaches: boolean[] = [];
  model.layers.forEach((layer, i) => {
    reaches[i] = Object.values(layer.trainableWeights).some((w) => !frozen.has(w)) || model.sources[i].some((j) => j >= 0 && reaches[j]);
  });
  return reaches;
}
