import type { Tensor } from '../../tensor.ts';
import type { Model, ForwardResult } from '../../model/model.ts';
import type { ReluRule } from '../../runtime/kernel-set.ts';
import { walkBackward } from '../backward-walk.ts';
import { channelSignal, channelSums, type ResolvedTarget } from './target.ts';
import { rows, rowsPerChunk, forEachChunk } from './chunks.ts';

export interface TargetGradient {
  /** d f / d (the output of node `to`, or the input for to = -1), under the ReLU rule. */
  grad: Tensor;
  /** f for each row (on the logits where the target is). */
  values: Float64Array;
  forward: ForwardResult;
}

/**
 * One forward pass of the rows and one backward walk from each row's target (its class score
 * on the logits, or its node channel's sum) down to node `to`; `rule` is the ReLU rule
 * (salinet: the gradient; guided; deconvnet).
 */
export function targetGradient(model: Model, x: Tensor, t: ResolvedTarget, channels: readonly number[], rule: ReluRule, to = -1, forward?: ForwardResult): TargetGradient {
  const run = forward ?? model.run(x, t.node, true);
  const record = run.records.get(model.layers[t.node].name)!;
  const v = t.onLogits ? record.z : record.output;
  const grad = walkBackward(model, run, t.node, channelSignal(v.shape, channels), rule, to, t.onLogits);
  return { grad, values: channelSums(v, channels), forward: run };
}

/** f for each row without a backward walk: on the logits (gradient methods' f) or on the output (perturbation methods'). */
export function targetValues(model: Model, x: Tensor, t: ResolvedTarget, channels: readonly number[], onLogits: boolean): Float64Array {
  const run = model.run(x, t.node, true);
  const record = run.records.get(model.layers[t.node].name)!;
  return channelSums(onLogits && t.onLogits ? record.z : record.output, channels);
}

/** targetValues over any number of rows, in chunks. */
export function targetValuesChunked(model: Model, x: Tensor, t: ResolvedTarget, channels: readonly number[], onLogits: boolean): Float64Array {
  const out = new Float64Array(x.shape[0]);
  forEachChunk(x.shape[0], rowsPerChunk(model, t.node), (start, count) => out.set(targetValues(model, rows(x, start, count), t, channels.slice(start, start + count), onLogits), start));
  return out;
}
