import { Tensor } from '../tensor.ts';
import type { Model, ForwardResult } from '../model/model.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';

/**
 * Maps a signal on the output of layer `from` down through layers from..to+1, returning the
 * signal on the output of layer `to` (to = -1: on the model's input). With `startOnLogits`,
 * layer `from`'s signal is taken to be on its pre-activation and its activation is skipped
 * (how class saliency starts at a softmax layer). Every layer maps the signal by its own
 * backward rule; `rule` says what a ReLU does (SEMANTICS.md).
 */
export function walkBackward(
  model: Model, forward: ForwardResult, from: number, signal: Tensor, rule: ReluRule, to = -1, startOnLogits = false,
): Tensor {
  let r = signal;
  for (let i = from; i > to; i--) {
    const layer = model.layers[i];
    const record = forward.records.get(layer.name);
    if (!record) throw new ConvscopeError('E_ARGUMENT', `layer '${layer.name}' was not run forward; give the result of model.forward(input)`);
    r = i === from && startOnLogits ? layer.backwardLinear(r, record) : layer.backward(r, record, rule);
  }
  return r;
}
