import { Tensor, formatShape } from '../tensor.ts';
import { describe } from './spec-schema.ts';
import type { KerasLayer } from './keras-layer.ts';
import type { LayerSpec } from './spec.ts';

/**
 * Keras's activation layers to engine specs: ReLU, LeakyReLU, ELU, ThresholdedReLU, PReLU,
 * Softmax. Parameters and defaults as Keras 2 (tf.keras) and Keras 3 write and read them.
 */
export function convertActivationLayer(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.plain();
  switch (k.className) {
    case 'ReLU': {
      const max = k.config.max_value;
      if (max !== undefined && max !== null && !(typeof max === 'number' && max >= 0)) k.failKey('max_value', 'null or a non-negative number');
      spec.params = { negativeSlope: k.number('negative_slope', 0, 0), maxValue: (max ?? null) as number | null, threshold: k.number('threshold', 0, 0) };
      return spec;
    }
    case 'LeakyReLU':
      // Keras 2 names the slope alpha, Keras 3 negative_slope; both default to 0.3.
      spec.params = { negativeSlope: finite(k, k.config.negative_slope === undefined ? 'alpha' : 'negative_slope', 0.3) };
      return spec;
    case 'ELU':
      spec.params = { alpha: finite(k, 'alpha', 1) };
      return spec;
    case 'ThresholdedReLU':
      spec.params = { theta: k.number('theta', 1, 0) };
      return spec;
    case 'PReLU':
      spec.weights.alpha = preluAlpha(k, shape);
      return spec;
    case 'Softmax':
      if (Array.isArray(k.config.axis) && k.config.axis.length > 1) k.fail(`a softmax over several axes (${describe(k.config.axis)}) is not supported; one axis is`, 'E_UNSUPPORTED');
      spec.params = { axis: k.engineAxis('axis', shape.length, -1) };
      return spec;
    default:
      return k.fail('is not an activation layer');
  }
}

function finite(k: KerasLayer, key: string, fallback: number): number {
  const v = k.config[key];
  if (v === undefined) return fallback;
  return typeof v === 'number' && Number.isFinite(v) ? v : k.failKey(key, 'a number');
}

/**
 * PReLU's alpha is stored in the shape of the layer's Keras input without the batch axis, with 1
 * on each shared axis ((H, W, C) for a channels_last map); the engine's is channels-first.
 */
function preluAlpha(k: KerasLayer, shape: readonly number[]): Tensor {
  const alpha = k.weight('alpha');
  const kerasShape = shape.length === 3 && k.dataFormat === 'channels_last' ? [shape[1], shape[2], shape[0]] : [...shape];
  const fits = alpha.rank === kerasShape.length && alpha.shape.every((d, i) => d === kerasShape[i] || d === 1);
  if (!fits) {
    k.fail(`alpha has shape ${formatShape(alpha.shape)}, which does not fit its input ${formatShape(kerasShape)} (shared_axes ${describe(k.config.shared_axes ?? null)})`);
  }
  if (kerasShape.length !== 3 || k.dataFormat !== 'channels_last') return alpha;
  const [h, w, c] = alpha.shape;
  const out = Tensor.zeros([c, h, w]);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ci = 0; ci < c; ci++) out.data[(ci * h + y) * w + x] = alpha.data[(y * w + x) * c + ci];
  return out;
}
