import { Tensor } from '../tensor.ts';
import { add } from '../ops/eltwise.ts';
import type { Model, ForwardResult } from '../model/model.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';
import { BufferPool, withBufferPool } from '../buffer-pool.ts';
import { passArena } from '../runtime/backend.ts';

/** Each model's walks run in pass memory (buffer-pool.ts): only the signal they return leaves a walk. */
const walkPools = new WeakMap<Model, BufferPool>();

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
  let pool = walkPools.get(model);
  if (!pool) walkPools.set(model, (pool = new BufferPool()));
  let out: Tensor | null = null;
  withBufferPool(pool, () => {
    const reached = walk(model, forward, from, signal, rule, to, startOnLogits);
    // copied out of the pass's memory before it ends
    out = reached && new Tensor(reached.shape, reached.data.slice());
  }, passArena());
  if (out) return out;
  const shape = to < 0 ? forward.input.shape : forward.records.get(model.layers[to].name)!.output.shape;
  return Tensor.zeros(shape);
}

/** walkBackward's walk: the signal that reaches node `to`, or null if none does. */
function walk(model: Model, forward: ForwardResult, from: number, signal: Tensor, rule: ReluRule, to: number, startOnLogits: boolean): Tensor | null {
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
  return signals.get(to) ?? null;
}
