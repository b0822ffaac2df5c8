import type { KerasLayerFile } from './keras-model.ts';
import type { Fail } from './keras-graph.ts';
import { describe } from '../model/spec-schema.ts';

/**
 * The short names of a layer's weights as its config calls for them, in the order Keras creates
 * them (a Keras 3 archive stores them in that order as `vars/0`, `vars/1`, ...: trainable first,
 * each in creation order), for the classes convscope knows; undefined for the others. Keras 3
 * calls a DepthwiseConv2D's kernel 'kernel', Keras 2 'depthwise_kernel': a layer already holding
 * a 'kernel' is expected to have that, any other the Keras 2 name.
 */
export function kerasWeightNames(layer: Pick<KerasLayerFile, 'name' | 'className' | 'config' | 'weights'>, fail: Fail): string[] | undefined {
  const flag = (key: string): boolean => {
    const v = layer.config[key];
    if (v !== undefined && typeof v !== 'boolean') fail(`layer '${layer.name}' (${layer.className}): config.${key}: expected true or false, got ${describe(v)}`);
    return v !== false;
  };
  switch (layer.className) {
    case 'Conv2D':
    case 'Dense':
      return flag('use_bias') ? ['kernel', 'bias'] : ['kernel'];
    case 'BatchNormalization':
      return [...(flag('scale') ? ['gamma'] : []), ...(flag('center') ? ['beta'] : []), 'moving_mean', 'moving_variance'];
    case 'LayerScale':
      return ['gamma'];
    case 'InputLayer':
    case 'MaxPooling2D':
    case 'AveragePooling2D':
    case 'Flatten':
    case 'Dropout':
    case 'Activation':
    case 'ZeroPadding2D':
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
    case 'Reshape':
      return [];
    // --- conv family ---
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      // Keras 3 calls DepthwiseConv2D's weight 'kernel'
      const depthwise = layer.className === 'DepthwiseConv2D' && 'kernel' in layer.weights && !('depthwise_kernel' in layer.weights) ? 'kernel' : 'depthwise_kernel';
      return [depthwise, ...(layer.className === 'SeparableConv2D' ? ['pointwise_kernel'] : []), ...(flag('use_bias') ? ['bias'] : [])];
    }
    case 'Conv2DTranspose':
      return flag('use_bias') ? ['kernel', 'bias'] : ['kernel'];
    // --- end conv family ---

    // --- activation, normalization and shape layers ---
    case 'ReLU':
    case 'LeakyReLU':
    case 'ELU':
    case 'ThresholdedReLU':
    case 'Softmax':
      return [];
    case 'PReLU':
      return ['alpha'];
    case 'LayerNormalization':
      return [...(flag('scale') ? ['gamma'] : []), ...(flag('center') ? ['beta'] : [])];
    case 'Normalization':
      // Built with mean and variance in its config, the layer holds them as constants, not weights.
      return layer.config.mean === undefined || layer.config.mean === null ? ['mean', 'variance', 'count'] : [];
    case 'Rescaling':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'ActivityRegularization':
    case 'UpSampling2D':
    case 'Cropping2D':
    case 'Permute':
      return [];
    // --- end activation, normalization and shape layers ---
    default:
      return undefined;
  }
}

/** The weights a layer has in the file are those its config calls for (when convscope knows its class). */
