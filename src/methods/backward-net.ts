import { Tensor } from '../tensor.ts';
import type { Model, ForwardResult, RunOptions } from '../model/model.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { walkBackward } from './backward-walk.ts';
import { predictedClasses } from './targets.ts';
import { checkChannel, checkLayer, checkMethodCall, checkModel } from './check-args.ts';
import { argumentError, checkChoice, checkOptions } from '../check.ts';
import { checkFiniteResult } from '../nonfinite.ts';
import { ConvscopeError } from '../errors.ts';

export const BACKWARD_METHODS = ['deconvnet', 'salinet', 'desalinet', 'guided'] as const;
export type BackwardMethod = (typeof BACKWARD_METHODS)[number];

const RULES: Record<BackwardMethod, ReluRule> = { deconvnet: 'deconvnet', salinet: 'salinet', desalinet: 'guided', guided: 'guided' };

/** With RunOptions: allowNonFinite lets NaN and Infinity through, inputName names the input in messages. */
export interface BackwardNetOptions extends RunOptions {
  /** The layer to start from (its output, after its activation). */
  layer: string;
  /**
   * A channel of a conv layer or a unit of a Dense layer, or one per sample of a batch; omitted:
   * the whole layer, except at the model's last layer, where it is the predicted class of each
   * input (a class saliency map).
   */
  channel?: number | readonly number[];
  /** 'all' (default): the whole channel as the start signal; 'max': only its strongest activation. */
  unit?: 'all' | 'max';
  /** Default 'deconvnet'. 'guided' is DeSaliNet's rule under its other name (guided backprop). */
  method?: BackwardMethod;
}

export function parseBackwardMethod(name: string): BackwardMethod {
  checkChoice(name, 'method', BACKWARD_METHODS);
  return name;
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
  const options = checkMethodCall(model, input, opts, true);
  checkBackwardOptions(model, options);
  return backwardNetFrom(model, model.forward(input, options.layer, options), options);
}

function checkBackwardOptions(model: Model, opts: BackwardNetOptions): void {
  const layer = checkLayer(model, opts.layer);
  if (opts.method !== undefined) checkChoice(opts.method, 'method', BACKWARD_METHODS);
  if (opts.unit !== undefined) checkChoice(opts.unit, 'unit', ['all', 'max']);
  if (Array.isArray(opts.channel)) opts.channel.forEach((c) => checkChannel(layer, c));
  else if (opts.channel !== undefined) checkChannel(layer, opts.channel);
}

/** backwardNet on a forward pass already made (up to at least opts.layer), so that several walks share one. */
export function backwardNetFrom(model: Model, forward: ForwardResult, options: BackwardNetOptions): Tensor {
  checkModel(model);
  const opts = checkOptions(options);
  checkBackwardOptions(model, opts);
  const method = opts.method ?? 'deconvnet';
  const unit = opts.unit ?? 'all';
  const index = model.layerIndex(opts.layer);
  const layer = model.layers[index];
  const record = forward?.records?.get(layer.name);
  if (!record) throw new ConvscopeError('E_ARGUMENT', `layer '${layer.name}' was not run forward; give the result of model.forward(input) up to at least '${layer.name}'`);
  const onLogits = layer.activation === 'softmax';
  const isLast = index === model.outputIndex;
  const channel = opts.channel ?? (isLast ? predictedClasses(record.output) : undefined);
  if (Array.isArray(channel) && channel.length !== record.output.shape[0]) {
    throw argumentError(`give one channel for all samples or one per sample: ${channel.length} for a batch of ${record.output.shape[0]}`);
  }
  const s = startSignal(onLogits ? record.z : record.output, channel, unit);
  const r = walkBackward(model, forward, index, s, RULES[method], -1, onLogits);
  checkFiniteResult(r.data, r.shape, `the ${method} projection of layer '${layer.name}'`, opts.allowNonFinite);
  return forward.batched ? r : r.reshape(r.shape.slice(1));
}
