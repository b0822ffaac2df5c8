import { Tensor, formatShape } from '../tensor.ts';
import type { Model, ForwardResult } from '../model/model.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { walkBackward } from './backward-walk.ts';
import { predictedClass } from './targets.ts';

function predictedClasses(output: Tensor): number[] {
  const per = output.size / output.shape[0];
  return Array.from({ length: output.shape[0] }, (_, b) => predictedClass(output.data.subarray(b * per, (b + 1) * per)));
}

export const BACKWARD_METHODS = ['deconvnet', 'salinet', 'desalinet', 'guided'] as const;
export type BackwardMethod = (typeof BACKWARD_METHODS)[number];

const RULES: Record<BackwardMethod, ReluRule> = { deconvnet: 'deconvnet', salinet: 'salinet', desalinet: 'guided', guided: 'guided' };

export interface BackwardNetOptions {
  /** The layer to start from (its output, after its activation). */
  layer: string;
  /**
   * A channel of a conv layer or a unit of a Dense layer; omitted: the whole layer, except at the
   * model's last layer, where it is the predicted class of each input (a class saliency map).
   */
  channel?: number;
  /** 'all' (default): the whole channel as the start signal; 'max': only its strongest activation. */
  unit?: 'all' | 'max';
  /** Default 'deconvnet'. 'guided' is DeSaliNet's rule under its other name (guided backprop). */
  method?: BackwardMethod;
}

export function parseBackwardMethod(name: string): BackwardMethod {
  if ((BACKWARD_METHODS as readonly string[]).includes(name)) return name as BackwardMethod;
  throw new Error(`unknown method '${name}'; valid methods: ${BACKWARD_METHODS.join(', ')}`);
}

/**
 * The start signal on layer L (SEMANTICS.md): its output (its logits if its activation is
 * softmax), with every channel but `channel` zeroed, or only that channel's largest value kept
 * (first in row-major order on ties), or all of it when no channel is given. Batched (N, ...).
 */
export function startSignal(a: Tensor, channel: number | readonly number[] | undefined, unit: 'all' | 'max'): Tensor {
  const n = a.shape[0];
  const channels = a.shape[1];
  const per = a.size / n;
  const plane = per / channels;
  if (channel === undefined) return a.clone();
  const s = Tensor.zeros(a.shape);
  for (let b = 0; b < n; b++) {
    const start = b * per + (typeof channel === 'number' ? channel : channel[b]) * plane;
    if (unit === 'all') {
      s.data.set(a.data.subarray(start, start + plane), start);
    } else {
      let best = start;
      for (let i = start + 1; i < start + plane; i++) if (a.data[i] > a.data[best]) best = i;
      s.data[best] = a.data[best];
    }
  }
  return s;
}

/**
 * Projects an activation back to input space through a backward net: DeconvNet (Zeiler &
 * Fergus 2014), SaliNet (gradients; Simonyan et al. 2014) or DeSaliNet (Mahendran & Vedaldi
 * 2016; the same rule as guided backprop, Springenberg et al. 2015). One walk, three ReLU rules;
 * pooling always unpools through the forward switches. SaliNet equals the gradient of
 * sum(S * a_L) (of the logits for a softmax layer) with respect to the input.
 *
 * input: (C, H, W) or a batch (N, C, H, W). Returns the same shape, raw (not normalised).
 *
 *   const model = loadModel('mnist_model.h5');
 *   const r = backwardNet(model, digit, { layer: 'conv2', channel: 5, unit: 'max', method: 'desalinet' });
 *   // r: (1, 28, 28), what in the digit drives conv2's channel 5 at its strongest position
 */
export function backwardNet(model: Model, input: Tensor, opts: BackwardNetOptions): Tensor {
  model.layer(opts.layer);
  return backwardNetFrom(model, model.forward(input, opts.layer), opts);
}

/** backwardNet on a forward pass already made (up to at least opts.layer), so that several walks share one. */
export function backwardNetFrom(model: Model, forward: ForwardResult, opts: BackwardNetOptions): Tensor {
  const method = opts.method ?? 'deconvnet';
  const unit = opts.unit ?? 'all';
  if (unit !== 'all' && unit !== 'max') throw new Error(`unknown unit '${unit as string}'; valid units: all, max`);
  const index = model.layerIndex(opts.layer);
  const layer = model.layers[index];
  const channels = layer.outputShape[0];
  if (opts.channel !== undefined && !(Number.isInteger(opts.channel) && opts.channel >= 0 && opts.channel < channels)) {
    throw new Error(`channel ${opts.channel} is out of range: layer '${layer.name}' has ${channels} ${layer.outputShape.length === 1 ? 'units' : 'channels'} (0..${channels - 1})`);
  }
  const record = forward.records.get(layer.name);
  if (!record) throw new Error(`backwardNet: layer '${layer.name}' was not run forward`);
  const onLogits = layer.activation === 'softmax';
  const isLast = index === model.layers.length - 1;
  const channel = opts.channel ?? (isLast ? predictedClasses(record.output) : undefined);
  const s = startSignal(onLogits ? record.z : record.output, channel, unit);
  const r = walkBackward(model, forward, index, s, RULES[method], -1, onLogits);
  if (r.shape.length !== forward.input.shape.length) throw new Error(`backwardNet: ended with shape ${formatShape(r.shape)}`);
  return forward.batched ? r : r.reshape(r.shape.slice(1));
}
