import { formatShape, sizeOf, type Tensor } from '../tensor.ts';
import type { Layer } from '../layers/layer.ts';
import { Conv2DLayer } from '../layers/conv2d.ts';
import { DenseLayer, ChannelDenseLayer } from '../layers/dense.ts';
import { MaxPooling2DLayer, AveragePooling2DLayer } from '../layers/pooling.ts';
import { GlobalAveragePooling2DLayer, GlobalMaxPooling2DLayer } from '../layers/global-pooling.ts';
import { BatchNormalizationLayer } from '../layers/batch-norm.ts';
import { LayerScaleLayer } from '../layers/layer-scale.ts';
import { IdentityLayer, FlattenLayer, ReshapeLayer, ZeroPadding2DLayer } from '../layers/shape-layers.ts';
import { ACTIVATION_LAYER_TYPES, CONV_FAMILY_TYPES, MERGE_TYPES, NORM_SHAPE_TYPES, isOfFamily, type LayerSpec } from './spec.ts';
import { buildMerge } from './build-merge.ts';
import { buildConvFamily } from './build-conv-family.ts';
import { buildActivationLayer } from './build-activation.ts';
import { buildNormShape, noiseLayer } from './build-norm-shape.ts';


import { ConvscopeError, type ErrorCode } from '../errors.ts';

/** Reads a layer spec's params and weights, with messages that name the layer. */
export class SpecReader {
  readonly inputShape: readonly number[];

  constructor(readonly spec: LayerSpec, readonly inputShapes: readonly (readonly number[])[]) {
    this.inputShape = inputShapes[0];
  }

  /** E_FORMAT: the spec does not fit together (a damaged file); E_UNSUPPORTED: it uses what the engine lacks. */
  fail(message: string, code: ErrorCode = 'E_FORMAT'): never {
    throw new ConvscopeError(code, `layer '${this.spec.name}' (${this.spec.type}): ${message}`);
  }

  pair(key: string): [number, number] {
    const v = this.spec.params[key];
    if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x > 0)) {
      this.fail(`${key} must be two positive integers, not ${JSON.stringify(v)}`);
    }
    return [v[0], v[1]];
  }

  padding(): 'valid' | 'same' {
    const v = this.spec.params.padding;
    if (v !== 'valid' && v !== 'same') this.fail(`padding '${String(v)}' is not supported; valid choices: valid, same`, 'E_UNSUPPORTED');
    return v;
  }

  weight(key: string, shape: readonly number[]): Tensor {
    const t = this.spec.weights[key];
    if (!t) this.fail(`weight '${key}' is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      this.fail(`weight '${key}' has shape ${formatShape(t.shape)} but ${formatShape(shape)} is needed for its ${formatShape(this.inputShape)} input`);
    }
    return t;
  }

  optionalWeight(key: string, shape: readonly number[]): Tensor | null {
    return this.spec.weights[key] ? this.weight(key, shape) : null;
  }

  requireRank(rank: number): void {
    if (this.inputShape.length !== rank) {
      this.fail(`needs ${rank === 3 ? 'a (C, H, W) feature map' : 'a (K) vector'} as input but gets ${formatShape(this.inputShape)}`);
    }
  }
}

/**
 * Builds one node for the per-sample shapes of the tensors it takes, checking its weights and
 * params against them.
 */
export function buildLayer(spec: LayerSpec, inputShapes: readonly (readonly number[])[]): Layer {
  const reader = new SpecReader(spec, inputShapes);
  const count = isOfFamily(spec.type, MERGE_TYPES) ? Math.max(inputShapes.length, 2) : 1;
  if (inputShapes.length !== count) {
    reader.fail(count === 1 ? `takes one input, not ${inputShapes.length}` : `merges two or more inputs, not ${inputShapes.length}`);
  }
  const layer = buildChecked(reader);
  if (layer.activation === 'softmax' && layer.outputShape.length !== 1) {
    reader.fail(`softmax is supported on vector outputs only, and this layer outputs ${formatShape(layer.outputShape)}`, 'E_UNSUPPORTED');
  }
  return layer;
}

function buildChecked(s: SpecReader): Layer {
  const { spec, inputShape } = s;
  switch (spec.type) {
    case 'InputLayer':
      return new IdentityLayer(spec.name, 'InputLayer', inputShape);
    case 'Model':
      return new IdentityLayer(spec.name, 'Model', inputShape);
    case 'LayerScale':
      return new LayerScaleLayer(spec.name, inputShape, s.weight('gamma', [inputShape[0]]));
    case 'Conv2D': {
      s.requireRank(3);
      const k = spec.weights.kernel;
      if (!k || k.rank !== 4) s.fail('kernel must be 4-D');
      const kernel = s.weight('kernel', [k.shape[0], inputShape[0], k.shape[2], k.shape[3]]);
      const bias = s.optionalWeight('bias', [k.shape[0]]);
      const layer = new Conv2DLayer(spec.name, inputShape, {
        kernel, bias, strides: s.pair('strides'), dilation: s.pair('dilation'), padding: s.padding(), activation: spec.activation,
      });
      if (layer.outputShape.some((d) => d <= 0)) s.fail(`a ${k.shape[2]}x${k.shape[3]} kernel does not fit its ${formatShape(inputShape)} input`);
      return layer;
    }
    case 'Dense': {
      if (inputShape.length !== 3) s.requireRank(1);
      const k = spec.weights.kernel;
      if (!k || k.rank !== 2) s.fail('kernel must be 2-D');
      const kernel = s.weight('kernel', [inputShape[0], k.shape[1]]);
      const bias = s.optionalWeight('bias', [k.shape[1]]);
      // On a (C, H, W) map a Dense acts on the channels at each position (Keras's last axis of a channels_last map).
      if (inputShape.length === 3) return new ChannelDenseLayer(spec.name, inputShape, kernel, bias, spec.activation);
      return new DenseLayer(spec.name, inputShape, kernel, bias, spec.activation);
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      s.requireRank(3);
      const config = { pool: s.pair('pool'), strides: s.pair('strides'), padding: s.padding() };
      const layer = spec.type === 'MaxPooling2D' ? new MaxPooling2DLayer(spec.name, inputShape, config) : new AveragePooling2DLayer(spec.name, inputShape, config);
      if (layer.outputShape.some((d) => d <= 0)) s.fail(`a ${config.pool[0]}x${config.pool[1]} window does not fit its ${formatShape(inputShape)} input`);
      return layer;
    }
    case 'BatchNormalization': {
      const c = [inputShape[0]];
      const epsilon = spec.params.epsilon;
      if (typeof epsilon !== 'number' || !(epsilon >= 0)) s.fail('epsilon must be a non-negative number');
      return new BatchNormalizationLayer(spec.name, inputShape, {
        gamma: s.optionalWeight('gamma', c), beta: s.optionalWeight('beta', c),
        movingMean: s.weight('moving_mean', c), movingVariance: s.weight('moving_variance', c), epsilon,
        momentum: typeof spec.params.momentum === 'number' ? spec.params.momentum : 0.99,
      });
    }
    case 'Flatten':
      return new FlattenLayer(spec.name, inputShape, spec.params.kerasOrder === 'hwc' ? 'hwc' : 'chw');
    case 'Dropout':
      return noiseLayer(s);
    case 'Activation':
      return new IdentityLayer(spec.name, 'Activation', inputShape, spec.activation);
    case 'ZeroPadding2D': {
      s.requireRank(3);
      const p = spec.params.padding;
      if (!Array.isArray(p) || p.length !== 4 || !p.every((v) => Number.isInteger(v) && v >= 0)) s.fail('padding must be [top, bottom, left, right]');
      return new ZeroPadding2DLayer(spec.name, inputShape, { top: p[0], bottom: p[1], left: p[2], right: p[3] });
    }
    case 'GlobalAveragePooling2D':
      s.requireRank(3);
      return new GlobalAveragePooling2DLayer(spec.name, inputShape, spec.params.keepdims === true);
    case 'GlobalMaxPooling2D':
      s.requireRank(3);
      return new GlobalMaxPooling2DLayer(spec.name, inputShape, spec.params.keepdims === true);
    case 'Reshape': {
      const target = spec.params.targetShape;
      if (!Array.isArray(target) || sizeOf(target) !== sizeOf(inputShape)) s.fail(`cannot reshape ${formatShape(inputShape)} to ${JSON.stringify(target)}`);
      const gather = Array.isArray(spec.params.gather) ? Int32Array.from(spec.params.gather) : null;
      return new ReshapeLayer(spec.name, inputShape, target, gather);
    }

  }
  if (isOfFamily(spec.type, MERGE_TYPES)) return buildMerge(s);
  if (isOfFamily(spec.type, CONV_FAMILY_TYPES)) return buildConvFamily(s);
  if (isOfFamily(spec.type, ACTIVATION_LAYER_TYPES)) return buildActivationLayer(s);
  if (isOfFamily(spec.type, NORM_SHAPE_TYPES)) return buildNormShape(s);
  return s.fail(`type '${spec.type}' has no builder`, 'E_UNSUPPORTED');
}

