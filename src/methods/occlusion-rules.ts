// How each node carries a changed rectangle of its inputs to its output, for incremental
// occlusion (occlusion-incremental.ts): through a window (conv, depthwise, separable, pooling) the
// rectangle grows by the receptive field, through a position-wise node (batch norm, activations,
// Add / Multiply / Concatenate of equal-shaped maps) it is the union of the inputs' rectangles,
// through ZeroPadding2D it moves. A node without a rule (global pooling, Dense, Flatten, a merge
// that broadcasts, UpSampling2D) is computed in full, and so is everything after it.
import { Tensor, sameShape, type Padding2d } from '../tensor.ts';
import type { Layer } from '../layers/layer.ts';
import { Conv2DLayer } from '../layers/conv2d.ts';
import { DepthwiseConv2DLayer, type DepthwiseStep } from '../layers/depthwise-conv2d.ts';
import { SeparableConv2DLayer } from '../layers/separable-conv2d.ts';
import { MaxPooling2DLayer, AveragePooling2DLayer } from '../layers/pooling.ts';
import { BatchNormalizationLayer } from '../layers/batch-norm.ts';
import { GlobalAveragePooling2DLayer, GlobalMaxPooling2DLayer } from '../layers/global-pooling.ts';
import { IdentityLayer, ZeroPadding2DLayer } from '../layers/shape-layers.ts';
import { ElementwiseMergeLayer, ConcatenateLayer } from '../layers/merge.ts';
import { applyActivation, type ActivationName } from '../layers/activation-fns.ts';
import { conv2d } from '../ops/conv2d.ts';
import { depthwiseConv2d } from '../ops/depthwise-conv2d.ts';
import { maxPool2d, avgPool2d } from '../ops/pool2d.ts';

export interface WindowRule {
  kind: 'window';
  kernel: readonly [number, number];
  stride: readonly [number, number];
  dilation: readonly [number, number];
  pad: Padding2d;
  /** Output tiles the kernel computes together from (0, 0): patches start and end on them (see WINOGRAD_TILE). */
  align: number;
  /** The node on a crop of its input, with explicit padding where the crop meets the map's border. */
  run(x: Tensor, pad: Padding2d): Tensor;
}

/** Each output position from the same position of each input (all shaped like the output). */
interface PointwiseRule {
  kind: 'pointwise';
  run(xs: readonly Tensor[]): Tensor;
}

/** How a node carries a changed rectangle from its inputs to its output. */
export type PatchRule = WindowRule | PointwiseRule | { kind: 'shift'; top: number; left: number };

/** Whether each output of the node depends on every input position: global pooling, or a node from or to vectors (Flatten, Dense). */
export function mixesAllPositions(layer: Layer): boolean {
  return layer instanceof GlobalAveragePooling2DLayer || layer instanceof GlobalMaxPooling2DLayer || layer.outputShape.length !== 3 || layer.inputShapes.some((s) => s.length !== 3);
}

/** The node's rule; null for a node that mixes all positions or has no rule here (computed in full). */
export function patchRule(layer: Layer): PatchRule | null {
  if (mixesAllPositions(layer)) return null;
  if (layer instanceof Conv2DLayer) {
    const { kernel, bias, strides, dilation } = layer.config;
    return window(layer.activation, kernel.shape, strides, dilation, layer.pad, winogradShaped(kernel.shape, strides, dilation) ? WINOGRAD_TILE : 1,
      (x, padding) => conv2d(x, kernel, bias, { stride: strides, dilation, padding }));
  }
  if (layer instanceof DepthwiseConv2DLayer) return depthwiseWindow(layer.activation, layer.step, (x, padding) => depthwise(x, layer.step, layer.bias, padding));
  if (layer instanceof SeparableConv2DLayer) {
    return depthwiseWindow(layer.activation, layer.depthwise, (x, padding) => conv2d(depthwise(x, layer.depthwise, null, padding), layer.pointwise, layer.bias));
  }
  if (layer instanceof MaxPooling2DLayer || layer instanceof AveragePooling2DLayer) {
    const { kernel, stride = kernel, padding: pad } = layer.options;
    const max = layer instanceof MaxPooling2DLayer;
    return window(layer.activation, [1, 1, ...kernel], stride, [1, 1], pad!, 1,
      (x, padding) => (max ? maxPool2d(x, { kernel, stride, padding }).y : avgPool2d(x, { kernel, stride, padding })));
  }
  if (layer instanceof BatchNormalizationLayer || (layer instanceof IdentityLayer && layer.activation !== 'softmax')) {
    return { kind: 'pointwise', run: (xs) => layer.forward(xs[0]).output };
  }
  const equalShapes = layer.inputShapes.every((s) => sameShape(s, layer.outputShape));
  if ((layer instanceof ElementwiseMergeLayer && equalShapes) || (layer instanceof ConcatenateLayer && layer.axis === 0)) {
    return { kind: 'pointwise', run: (xs) => layer.merge(xs) };
  }
  if (layer instanceof ZeroPadding2DLayer) return { kind: 'shift', top: layer.pad.top, left: layer.pad.left };
  return null;
}

function window(
  activation: ActivationName, kernelShape: readonly number[], stride: readonly [number, number], dilation: readonly [number, number], pad: Padding2d, align: number,
  linear: (x: Tensor, pad: Padding2d) => Tensor,
): WindowRule {
  return { kind: 'window', kernel: [kernelShape[2], kernelShape[3]], stride, dilation, pad, align, run: (x, padding) => applyActivation(activation, linear(x, padding)) };
}

function depthwiseWindow(activation: ActivationName, step: DepthwiseStep, linear: (x: Tensor, pad: Padding2d) => Tensor): WindowRule {
  return window(activation, step.config.kernel.shape, step.config.strides, step.config.dilation, step.pad, 1, linear);
}

function depthwise(x: Tensor, step: DepthwiseStep, bias: Tensor | null, padding: Padding2d): Tensor {
  return depthwiseConv2d(x, step.config.kernel, bias, { stride: step.config.strides, dilation: step.config.dilation, padding });
}

/**
 * A 3x3 stride-1 conv may run on the Winograd path (assembly/f32-conv2d/winograd.ts), which
 * computes outputs in 2x2 tiles from (0, 0): a patch of its output is then computed from an even
 * row and column to an even one (or the map's edge) to get the same bits as the full map. The
 * extra outputs come out with the bits of the cache (a tile's output does not depend, even in
 * rounding, on inputs outside its window), so only the changed part travels on and the widening
 * does not grow from layer to layer.
 */
const WINOGRAD_TILE = 2;

function winogradShaped(kernelShape: readonly number[], strides: readonly number[], dilation: readonly number[]): boolean {
  return kernelShape[2] === 3 && kernelShape[3] === 3 && strides[0] === 1 && strides[1] === 1 && dilation[0] === 1 && dilation[1] === 1;
}
