import { Tensor, formatShape } from '../tensor.ts';
import type { Model, RunOptions } from '../model/model.ts';
import { walkBackward } from './backward-walk.ts';
import { classSignal, predictedClasses } from './targets.ts';
import { checkClass, checkLayer, checkMethodCall } from './check-args.ts';
import { argumentError } from '../check.ts';
import { fail } from '../errors.ts';
import { checkFiniteResult } from '../nonfinite.ts';

/** With RunOptions: allowNonFinite lets NaN and Infinity through, inputName names the input in messages. */
export interface GradCamOptions extends RunOptions {
  /** A layer with a (C, H, W) output (a conv or pooling layer); default: defaultGradCamLayer(model). */
  layer?: string;
  /** Default: the predicted class. */
  target?: number;
}

export interface GradCamResult {
  /** relu(sum_c alpha_c a_L[c]) at the layer's resolution, (H', W'). */
  cam: Tensor;
  /** alpha_c: the mean over (h, w) of d logit_k / d a_L[c], (C). */
  weights: Tensor;
  targetClass: number;
}

/**
 * Grad-CAM (Selvaraju et al. 2017): weights each channel of a conv layer's output by the mean
 * gradient of the class logit (the pre-softmax score) with respect to it, sums, and keeps the
 * positive part.
 *
 * input: one sample (C, H, W).
 *
 *   const { cam } = gradCam(model, digit, { layer: 'conv2' });   // (8, 8) for the MNIST model
 */
export function gradCam(model: Model, input: Tensor, options: GradCamOptions = {}): GradCamResult {
  const opts = checkMethodCall(model, input, options, false);
  const layer = checkLayer(model, opts.layer ?? defaultGradCamLayer(model));
  const index = model.layers.indexOf(layer);
  if (layer.outputShape.length !== 3) {
    throw argumentError(`layer '${layer.name}' has output ${formatShape(layer.outputShape)}; choose a layer with a (C, H, W) output: ${model.layers.filter((l) => l.outputShape.length === 3).map((l) => l.name).join(', ')}`);
  }
  if (opts.target !== undefined) checkClass(model, opts.target);
  const forward = model.forward(input, undefined, opts);
  const last = model.outputIndex;
  const record = forward.records.get(model.layers[last].name)!;
  const k = opts.target ?? predictedClasses(record.output)[0];
  const onehot = classSignal(record.z.shape, k);
  // the gradient of the logit: start on the last layer's pre-activation, skip its activation
  const grad = walkBackward(model, forward, last, onehot, 'salinet', index, true);
  const a = forward.records.get(layer.name)!.output;
  const [c, h, w] = layer.outputShape;
  const weights = Tensor.zeros([c]);
  const cam = Tensor.zeros([h, w]);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < h * w; i++) s += grad.data[ch * h * w + i];
    weights.data[ch] = s / (h * w);
  }
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += weights.data[ch] * a.data[ch * h * w + i];
    cam.data[i] = Math.max(s, 0);
  }
  checkFiniteResult(cam.data, cam.shape, `the Grad-CAM map of layer '${layer.name}'`, opts.allowNonFinite);
  return { cam, weights, targetClass: k };
}

/**
 * SEMANTICS.md's default Grad-CAM layer: the last node with a (C, H, W) output before the
 * spatial axes end on the way to the output. In a graph: of the nodes the output depends on,
 * the last (C, H, W) one before the first vector node every path to the output goes through (a
 * squeeze-excite branch's pooling does not end the spatial axes); not the model's input, not a
 * 1x1 map where a larger one exists, and not the output node itself where another exists.
 */
export function defaultGradCamLayer(model: Model): string {
  const needed = model.ancestors(model.outputIndex);
  const flat = needed.filter((i) => model.layers[i].outputShape.length !== 3);
  // The first vector node every path to the output goes through: its dominating vector ancestor.
  const end = flat.find((i) => dominates(model, i, model.outputIndex));
  const spatial = needed.filter((i) => (end === undefined || i < end) && model.layers[i].outputShape.length === 3 && model.layers[i].type !== 'InputLayer');
  // Not a 1x1 map (a head of 1x1 convs after pooling) when a larger one exists, and not the output itself
  // (a U-Net's map output would weigh every channel alike).
  const wide = spatial.filter((i) => model.layers[i].outputShape[1] * model.layers[i].outputShape[2] > 1);
  const sized = wide.length > 0 ? wide : spatial;
  const unlike = sized.filter((i) => i !== model.outputIndex);
  const candidates = unlike.length > 0 ? unlike : sized;
  const last = candidates[candidates.length - 1];
  return last !== undefined ? model.layers[last].name : fail('E_SHAPE', `the model has no layer with a (C, H, W) output, which Grad-CAM needs; its layers: ${model.layers.map((l) => l.name).join(', ')}`);
}

/** Whether every path from the model's input to node `target` passes through node `via`. */
function dominates(model: Model, via: number, target: number): boolean {
  const reach = new Uint8Array(model.layers.length);
  for (const i of model.ancestors(target)) {
    if (i === via) continue;
    reach[i] = model.sources[i].some((j) => j < 0 || reach[j]) ? 1 : 0;
  }
  return via === target || !reach[target];
}
