import type { KerasLayerFile } from './keras-model.ts';

// Keras 3's weight layouts: how its variables are named, and where saving_lib stores each layer's.

/** A Keras 3 variable's name in a legacy `.h5` ('conv/kernel', 'seq/dw/kernel') -> the Keras 2 short name. */
export function keras3ShortName(className: string, name: string): string {
  if (className === 'DepthwiseConv2D' && name === 'kernel') return 'depthwise_kernel';
  // keras.applications' LayerScale adds its one weight without a name, which Keras 3 calls 'variable'
  if (className === 'LayerScale' && /^variable(_\d+)?$/.test(name)) return 'gamma';
  return name;
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
