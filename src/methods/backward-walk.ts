import { Tensor } from '../tensor.ts';
import { add } from '../ops/eltwise.ts';
import type { Model, ForwardResult } from '../model/model.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';

/**
 * Maps a signal on the output of node `from` down the graph, returning the signal on the
 * output of node `to` (to = -1: on the model's input). The nodes are visited in reverse
 * topological order, so each is mapped once, after every consumer's signal has reached it; a
 * node that feeds several sums their signals. With `startOnLogits`, node `from`'s signal is
 * taken to be on its pre-activation and its activation is skipped (how class saliency starts at
 * a softmax layer). Every node maps the signal by its own backward rule; `rule` says what a
 * ReLU does (SEMANTICS.md). A node the signal never reaches gets zeros.
 */
export function walkBackward(
  model: Model, forward: ForwardResult, from: number, signal: Tensor, rule: ReluRule, to = -1, startOnLogits = false,
): Tensor {
  const signals = new Map<number, Tensor>([[from, signal]]);
  const nodes = model.ancestors(from);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const i = nodes[k];
    if (i === to) break;
    const r = signals.get(i);
    if (!r) continue;
    signals.delete(i);
    const layer = model.layers[i];
    const record = forward.records.get(layer.name);
    if (!record) throw new ConvscopeError('E_ARGUMENT', `layer '${layer.name}' was not run forward; give the result of model.forward(input)`);
    const back = layer.backwardAll(r, record, rule, i === from && startOnLogits);
    model.sources[i].forEach((j, k2) => {
      const s = back[k2];
      const before = signals.get(j);
      signals.set(j, before ? add(before, s) : s);
    });
  }
  const out = signals.get(to);
  if (out) return out;
  const shape = to < 0 ? forward.input.shape : forward.records.get(model.layers[to].name)!.output.shape;
  return Tensor.zeros(shape);
}
