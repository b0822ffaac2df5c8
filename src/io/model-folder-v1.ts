import { Tensor } from '../tensor.ts';
import { chwToHwcIndex } from '../model/keras-layer.ts';
import type { ModelSpec } from '../model/spec.ts';
import { buildLayer } from '../model/build.ts';

/**
 * A version-1 folder flattened channels_last maps in (C, H, W) order and permuted the rows of
 * the Dense (and BatchNormalization) layers after such a Flatten to match. Version 2 flattens in
 * Keras's (H, W, C) order, so those rows go back to Keras's order.
 */
export function upgradeVersion1(spec: ModelSpec): ModelSpec {
  if (!spec.layers.some((l) => l.type === 'Flatten' && l.params.kerasOrder === 'hwc')) return spec;
  let shape: readonly number[] = spec.inputShape;
  let keras: Int32Array | null = null; // engine (v1) row -> Keras row, while the flattened vector passes
  const layers = spec.layers.map((layer) => {
    let out = layer;
    if (layer.type === 'Flatten' && layer.params.kerasOrder === 'hwc' && shape.length === 3) keras = chwToHwcIndex(shape);
    else if (keras && (layer.type === 'Dense' || layer.type === 'BatchNormalization')) {
      const rows = keras;
      out = { ...layer, weights: Object.fromEntries(Object.entries(layer.weights).map(([key, t]) => [key, key === 'bias' && layer.type === 'Dense' ? t : unpermute(t, rows)])) };
      if (layer.type === 'Dense') keras = null;
    } else if (keras && layer.type !== 'Dropout' && layer.type !== 'Activation') keras = null;
    shape = buildLayer(layer, [shape]).outputShape;
    return out;
  });
  return { ...spec, layers };
}

/** Row rows[i] of the result is row i of t. */
function unpermute(t: Tensor, rows: Int32Array): Tensor {
  const width = t.rank === 1 ? 1 : t.size / t.shape[0];
  const out = Tensor.zeros(t.shape);
  for (let i = 0; i < rows.length; i++) out.data.set(t.data.subarray(i * width, (i + 1) * width), rows[i] * width);
  return out;
}
