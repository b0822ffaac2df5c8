import { formatShape, sizeOf } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { describe } from './spec-schema.ts';
import { KerasLayer, chwToHwcIndex, hwioToOihw, type DataFormat } from './keras-layer.ts';
import { ACTIVATION_LAYER_TYPES, NORM_SHAPE_TYPES, isOfFamily, type LayerSpec } from './spec.ts';
import * as convFamily from './keras-conv-family.ts';
import { convertActivationLayer } from './keras-activation-converters.ts';
import { convertNormShape } from './keras-norm-shape.ts';

/**
 * Each supported Keras layer class to its engine spec. `inputShapes` are the engine's
 * (channels-first, per-sample) shapes of the tensors the layer is called on.
 *
 * The families with converters of their own (spec.ts lists their types) are routed after the switch.
 */
export function convertKerasLayer(k: KerasLayer, inputShapes: readonly (readonly number[])[]): LayerSpec {
  const shape = inputShapes[0];
  switch (k.className) {
    case 'Conv2D':
      return conv2d(k);
    case 'Dense':
      if (shape.length === 3 && k.dataFormat === 'channels_first') {
        k.fail("is applied to a channels_first map, where Keras's Dense acts on its last axis (the width); convscope runs Dense on vectors and on channels_last maps (their channels)", 'E_UNSUPPORTED');
      }
      return dense(k);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return pool(k);
    case 'BatchNormalization':
      return batchNorm(k, shape);
    case 'Flatten': {
      const spec = k.plain();
      spec.params = { kerasOrder: shape.length === 3 && flattensHwc(k) ? 'hwc' : 'chw' };
      return spec;
    }
    case 'Dropout': {
      const spec = k.plain();
      spec.params = { rate: k.number('rate', 0.5, 0) };
      return spec;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      const spec = k.plain();
      if (k.flag('keepdims', false)) spec.params = { keepdims: true };
      return spec;
    }
    case 'Activation':
      return k.plain(k.activation());
    case 'ZeroPadding2D':
      return zeroPadding(k);
    case 'LayerScale': {
      // keras.applications.convnext's LayerScale scales Keras's last axis: the channels of a channels_last map.
      if (shape.length === 3 && k.dataFormat === 'channels_first') k.fail("scales the last axis, the width of a channels_first map; convscope runs it on channels_last maps and vectors", 'E_UNSUPPORTED');
      const spec = k.plain();
      spec.weights.gamma = k.weight('gamma');
      return spec;
    }
    case 'Reshape':
      return reshape(k, shape);

    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
      return k.plain();
    case 'Concatenate': {
      const spec = k.plain();
      spec.params = { axis: k.engineAxis('axis', shape.length, -1) };
      return spec;
    }

    case 'DepthwiseConv2D':
      return convFamily.depthwiseConv2d(k);
    case 'SeparableConv2D':
      return convFamily.separableConv2d(k);
    case 'Conv2DTranspose':
      return convFamily.conv2dTranspose(k);
  }
  if (isOfFamily(k.className, ACTIVATION_LAYER_TYPES)) return convertActivationLayer(k, shape);
  if (isOfFamily(k.className, NORM_SHAPE_TYPES)) return convertNormShape(k, shape);
  throw new ConvscopeError('E_UNSUPPORTED', `layer '${k.layerName}' is a ${k.className}, which convscope does not support`);
}

function flattensHwc(k: KerasLayer): boolean {
  // Keras 2.1+ writes data_format into Flatten's config, and for channels_first it permutes to
  // channels-last before flattening; 2.0.x has no data_format and flattens as stored.
  return k.dataFormat === 'channels_last' || k.config.data_format === 'channels_first';
}

function conv2d(k: KerasLayer): LayerSpec {
  const spec = k.base('Conv2D', k.activation());
  const kernel = k.weight('kernel');
  if (kernel.rank !== 4) k.fail(`kernel has shape ${formatShape(kernel.shape)}; a (KH, KW, Cin, Cout) kernel is needed`);
  const filters = k.optionalPositiveInt('filters');
  if (filters !== undefined && filters !== kernel.shape[3]) k.fail(`kernel has shape ${formatShape(kernel.shape)} but the layer has ${filters} filters`);
  const size = k.config.kernel_size === undefined ? undefined : k.pair('kernel_size');
  if (size && (size[0] !== kernel.shape[0] || size[1] !== kernel.shape[1])) k.fail(`kernel has shape ${formatShape(kernel.shape)} but config.kernel_size is ${formatShape(size)}`);
  const groups = k.optionalPositiveInt('groups') ?? 1;
  if (groups !== 1) {
    // One input channel per group (Keras 3's ConvNeXt writes its depthwise convs so) is a depthwise conv:
    // output channel o reads input channel floor(o / M), the engine's DepthwiseConv2D order.
    if (kernel.shape[2] !== 1 || kernel.shape[3] % groups !== 0) {
      k.fail(`grouped convolutions (groups ${groups}) are supported with one input channel per group (a depthwise conv) only`, 'E_UNSUPPORTED');
    }
    spec.type = 'DepthwiseConv2D';
  }
  spec.weights.kernel = hwioToOihw(kernel);
  if (k.flag('use_bias', true)) spec.weights.bias = k.weight('bias');
  spec.params = { strides: k.pair('strides', [1, 1]), dilation: k.pair('dilation_rate', [1, 1]), padding: k.padding() };
  return spec;
}

function dense(k: KerasLayer): LayerSpec {
  const spec = k.base('Dense', k.activation());
  const kernel = k.weight('kernel');
  if (kernel.rank !== 2) k.fail(`kernel has shape ${formatShape(kernel.shape)}; an (in, out) kernel is needed`);
  const units = k.optionalPositiveInt('units');
  if (units !== undefined && units !== kernel.shape[1]) k.fail(`kernel has shape ${formatShape(kernel.shape)} but the layer has ${units} units`);
  spec.weights.kernel = kernel;
  if (k.flag('use_bias', true)) spec.weights.bias = k.weight('bias');
  return spec;
}

function pool(k: KerasLayer): LayerSpec {
  const spec = k.plain();
  const size = k.pair('pool_size', [2, 2]);
  spec.params = { pool: size, strides: k.pair('strides', size), padding: k.padding() };
  return spec;
}

function batchNorm(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.base('BatchNormalization');
  const axis = k.config.axis;
  const rank = shape.length + 1;
  const single = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (!Number.isSafeInteger(single)) k.failKey('axis', 'an integer (the channel axis)');
  const kerasAxis = (single as number) < 0 ? (single as number) + rank : single;
  const channelAxis = rank === 2 ? 1 : k.dataFormat === 'channels_last' ? 3 : 1;
  if (kerasAxis !== channelAxis) k.fail(`normalises axis ${describe(axis)}, not the channel axis ${channelAxis}; only per-channel BatchNormalization is supported`, 'E_UNSUPPORTED');
  const keys = ['moving_mean', 'moving_variance'];
  if (k.flag('scale', true)) keys.push('gamma');
  if (k.flag('center', true)) keys.push('beta');
  for (const key of keys) spec.weights[key] = k.weight(key);
  spec.params = { epsilon: k.number('epsilon', 1e-3, 0), momentum: k.number('momentum', 0.99, 0) };
  return spec;
}

function zeroPadding(k: KerasLayer): LayerSpec {
  const spec = k.plain();
  const p = k.config.padding;
  let pads: number[] | null = null;
  if (typeof p === 'number') pads = [p, p, p, p];
  else if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number')) pads = [p[0], p[0], p[1], p[1]];
  else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2)) pads = [p[0][0], p[0][1], p[1][0], p[1][1]];
  if (!pads || !pads.every((v) => Number.isSafeInteger(v) && v >= 0)) k.failKey('padding', 'n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers');
  spec.params = { padding: pads };
  return spec;
}

/** Keras-order index -> engine-order index of a per-sample shape (identity but for channels_last maps). */
function kerasOrder(shape: readonly number[], dataFormat: DataFormat): Int32Array {
  if (shape.length === 3 && dataFormat === 'channels_last') return chwToHwcIndex(shape);
  return Int32Array.from({ length: sizeOf(shape) }, (_, i) => i);
}

function reshape(k: KerasLayer, inputShape: readonly number[]): LayerSpec {
  const spec = k.plain();
  const raw = k.integers('target_shape');
  const total = sizeOf(inputShape);
  const known = raw.filter((d) => d !== -1).reduce((a: number, b: number) => a * b, 1);
  const target = raw.map((d: number) => (d === -1 ? total / known : d));
  if (sizeOf(target) !== total || !target.every((d) => Number.isInteger(d) && d > 0)) k.fail(`cannot reshape ${formatShape(inputShape)} to ${describe(raw)}`);
  if (target.length !== 1 && target.length !== 3) k.fail(`reshapes to ${formatShape(target)}; only vectors and (H, W, C) / (C, H, W) maps are supported`, 'E_UNSUPPORTED');
  const outShape = target.length === 3 && k.dataFormat === 'channels_last' ? [target[2], target[0], target[1]] : target;
  const inKeras = kerasOrder(inputShape, k.dataFormat); // engine index -> Keras index
  const outKeras = kerasOrder(outShape, k.dataFormat);
  const engineOfKeras = new Int32Array(total);
  inKeras.forEach((ki, j) => (engineOfKeras[ki] = j));
  const gather = Array.from(outKeras, (ki) => engineOfKeras[ki]);
  const identity = gather.every((j, i) => j === i);
  spec.params = { targetShape: outShape, gather: identity ? null : gather };
  return spec;
}
