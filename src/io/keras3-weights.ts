/**
 * Keras 3's names for a layer's variables, in the order its build() creates them; Keras 3
 * stores them in that order as `vars/0`, `vars/1`, ... in a `.keras` archive's model.weights.h5
 * (Layer.save_own_variables: trainable variables first, then the others, each in creation order).
 * Returned under the short names Keras 2 gives them, which the converters read: Keras 3 calls a
 * DepthwiseConv2D's kernel 'kernel' (Keras 2: 'depthwise_kernel').
 */
import type { KerasLayerFile } from './keras-model.ts';

/** The Keras 2 short names of a layer's `vars/<i>`, or undefined for a class whose variables convscope does not know. */
export function keras3VariableNames(layer: Pick<KerasLayerFile, 'className' | 'config'>): string[] | undefined {
  const c = layer.config;
  const bias = c.use_bias === false ? [] : ['bias'];
  switch (layer.className) {
    case 'Conv1D':
    case 'Conv2D':
    case 'Conv3D':
    case 'Dense':
    case 'Conv2DTranspose':
      return ['kernel', ...bias];
    case 'DepthwiseConv2D':
      return ['depthwise_kernel', ...bias];
    case 'SeparableConv2D':
      return ['depthwise_kernel', 'pointwise_kernel', ...bias];
    case 'BatchNormalization':
      return [...(c.scale === false ? [] : ['gamma']), ...(c.center === false ? [] : ['beta']), 'moving_mean', 'moving_variance'];
    case 'LayerNormalization':
      return [...(c.scale === false ? [] : ['gamma']), ...(c.center === false ? [] : ['beta'])];
    case 'PReLU':
      return ['alpha'];
    case 'Normalization':
      // Given mean and variance in its config, the layer has no variables.
      return c.mean === null || c.mean === undefined ? ['mean', 'variance', 'count'] : [];
    default:
      return undefined;
  }
}

/** A Keras 3 variable's name in a legacy `.h5` ('conv/kernel', 'seq/dw/kernel') -> the Keras 2 short name. */
export function keras3ShortName(className: string, name: string): string {
  return className === 'DepthwiseConv2D' && name === 'kernel' ? 'depthwise_kernel' : name;
}

/**
 * keras.src.utils.naming.to_snake_case: the name under which saving_lib stores a layer of a
 * container ('Conv2D' -> 'conv2d', 'BatchNormalization' -> 'batch_normalization', 'PReLU' -> 'p_re_lu').
 */
export function toSnakeCase(name: string): string {
  const plain = name.replace(/\W+/g, '');
  return plain.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * The group of each layer in a model's `layers` container (saving_lib._save_container_state):
 * its class in snake case, `_1`, `_2`, ... for the second and later of a class. A Sequential's
 * container leaves out its InputLayer (Sequential.layers does), a Functional's keeps it; both
 * leave out keras.ops operations (read as Rescaling nodes by keras3-config.ts).
 */
export function containerPaths(layers: readonly Pick<KerasLayerFile, 'className' | 'config'>[], sequential: boolean): (string | undefined)[] {
  const used = new Map<string, number>();
  return layers.map((l) => {
    if (sequential && l.className === 'InputLayer') return undefined;
    if (typeof l.config.operation === 'string') return undefined; // a keras.ops call: Functional.layers leaves it out
    const base = toSnakeCase(l.className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}
