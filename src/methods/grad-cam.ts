import { Tensor, formatShape } from '../tensor.ts';
import type { Model, RunOptions } from '../model/model.ts';
import type { Layer } from '../layers/layer.ts';
import { checkLayer, checkMethodCall } from './check-args.ts';
import { argumentError } from '../check.ts';
import { fail } from '../errors.ts';
import { checkFiniteInput, checkFiniteResult } from '../nonfinite.ts';
import { resolveTarget, type AttributionTarget } from './attribution/target.ts';
import { camRows } from './attribution/cam.ts';

/** With RunOptions: allowNonFinite lets NaN and Infinity through, inputName names the input in messages. */
export interface GradCamOptions extends RunOptions {
  /** A layer with a (C, H, W) output (a conv or pooling layer); default: defaultGradCamLayer(model). */
  layer?: string;
  /** A class, one per sample, or {layer, channel}; default: each sample's predicted class. */
  target?: AttributionTarget;
}

export interface GradCamResult {
  /** relu(sum_c alpha_c a_L[c]) at the layer's resolution, (H', W'), or (N, H', W') for a batch. */
  cam: Tensor;
  /** alpha_c: the mean over (h, w) of d logit_k / d a_L[c], (C), or (N, C). */
  weights: Tensor;
  /** The class (the first sample's for a batch; -1 for a node target). */
  targetClass: number;
  /** Each sample's class (null for a node target). */
  targetClasses: (number | null)[];
}

/**
 * Grad-CAM (Selvaraju et al. 2017): weights each channel of a conv layer's output by the mean
 * gradient of the class logit (the pre-softmax score) with respect to it, sums, and keeps the
 * positive part. One sample (C, H, W) or a batch (N, C, H, W), a target per sample.
 *
 *   const { cam } = gradCam(model, digit, { layer: 'conv2' });   // (8, 8) for the MNIST model
 */
export function gradCam(model: Model, input: Tensor, options: GradCamOptions = {}): GradCamResult {
  const opts = checkMethodCall(model, input, options, true);
  const index = model.layers.indexOf(checkCamLayer(model, opts.layer ?? defaultGradCamLayer(model)));
  const { batch, batched } = model.toBatch(input);
  checkFiniteInput(batch.data, batch.shape, opts.inputName ?? 'the input', opts.allowNonFinite);
  const t = resolveTarget(model, opts.target, batch.shape[0], () => model.predict(batch, undefined, { allowNonFinite: opts.allowNonFinite }));
  checkFeeds(model, index, t.node);
  const { cam, weights } = camRows(model, 'gradcam', batch, t, index);
  checkFiniteResult(cam.data, cam.shape, `the Grad-CAM map of layer '${model.layers[index].name}'`, opts.allowNonFinite);
  return {
    cam: batched ? cam : cam.reshape(cam.shape.slice(1)), weights: batched ? weights! : weights!.reshape(weights!.shape.slice(1)),
    targetClass: t.classes[0] ?? -1, targetClasses: t.classes,
  };
}

/** A layer with a (C, H, W) output, which every CAM needs; the message lists them. */
export function checkCamLayer(model: Model, name: unknown): Layer {
  const layer = checkLayer(model, name);
  if (layer.outputShape.length !== 3) {
    throw argumentError(`layer '${layer.name}' has output ${formatShape(layer.outputShape)}; choose a layer with a (C, H, W) output: ${model.layers.filter((l) => l.outputShape.length === 3).map((l) => l.name).join(', ')}`);
  }
  return layer;
}

/** Node `layer` must lie on a path to the target's node, or its gradient would be zero. */
export function checkFeeds(model: Model, layer: number, node: number): void {
  if (!model.ancestors(node).includes(layer)) {
    throw argumentError(`layer '${model.layers[layer].name}' does not feed '${model.layers[node].name}', the target's node; choose a layer before it`);
  }
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
