import { Tensor, formatShape } from '../tensor.ts';
import type { Layer } from '../layers/layer.ts';
import { IdentityLayer } from '../layers/shape-layers.ts';
import { NoiseLayer, type NoiseKind } from '../layers/noise.ts';
import { AffineLayer } from '../layers/affine.ts';
import { LayerNormalizationLayer } from '../layers/layer-norm.ts';
import { Cropping2DLayer, PermuteLayer, UpSampling2DLayer } from '../layers/resample.ts';
import type { SpecReader } from './build.ts';

/** LayerNormalization, Rescaling, Normalization, the inference-time identities, UpSampling2D, Cropping2D, Permute. */
export function buildNormShape(s: SpecReader): Layer {
  const { spec, inputShape } = s;
  switch (spec.type) {
    case 'LayerNormalization': {
      const axes = spec.params.axes as number[];
      if (axes.some((a) => a >= inputShape.length)) s.fail(`axes ${JSON.stringify(axes)} are not all axes of its ${formatShape(inputShape)} input`);
      const kept = inputShape.map((_, a) => axes.includes(a));
      return new LayerNormalizationLayer(spec.name, inputShape, {
        axes, epsilon: spec.params.epsilon as number, gamma: broadcastWeight(s, 'gamma', kept), beta: broadcastWeight(s, 'beta', kept),
      });
    }
    case 'Rescaling':
      return rescaling(s);
    case 'Normalization': {
      const mean = broadcastWeight(s, 'mean') ?? s.fail("weight 'mean' is missing");
      const variance = broadcastWeight(s, 'variance') ?? s.fail("weight 'variance' is missing");
      if (!mean.shape.every((d, a) => d === variance.shape[a])) s.fail(`mean ${formatShape(mean.shape)} and variance ${formatShape(variance.shape)} differ in shape`);
      const epsilon = spec.params.epsilon as number;
      const scale = Tensor.zeros(mean.shape);
      const shift = Tensor.zeros(mean.shape);
      for (let i = 0; i < mean.size; i++) {
        // Keras divides by max(sqrt(variance), epsilon), not sqrt(variance + epsilon).
        const std = Math.max(Math.sqrt(variance.data[i]), epsilon);
        scale.data[i] = spec.params.invert ? std : 1 / std;
        shift.data[i] = spec.params.invert ? mean.data[i] : -mean.data[i] / std;
      }
      return new AffineLayer(spec.name, 'Normalization', inputShape, scale, shift, { mean, variance });
    }
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
      return noiseLayer(s);
    case 'ActivityRegularization':
      return new IdentityLayer(spec.name, spec.type, inputShape);
    case 'UpSampling2D':
      s.requireRank(3);
      return new UpSampling2DLayer(spec.name, inputShape, {
        size: s.pair('size'), interpolation: spec.params.interpolation === 'bilinear' ? 'bilinear' : 'nearest', halfPixel: spec.params.halfPixel !== false,
      });
    case 'Cropping2D': {
      s.requireRank(3);
      const [top, bottom, left, right] = spec.params.cropping as number[];
      if (top + bottom >= inputShape[1] || left + right >= inputShape[2]) s.fail(`cropping ${formatShape([top, bottom, left, right])} (top, bottom, left, right) leaves nothing of its ${formatShape(inputShape)} input`);
      return new Cropping2DLayer(spec.name, inputShape, { top, bottom, left, right });
    }
    case 'Permute': {
      const perm = spec.params.perm as number[];
      if (perm.length !== inputShape.length) s.fail(`perm ${JSON.stringify(perm)} does not permute the axes of its ${formatShape(inputShape)} input`);
      if (inputShape.length === 1) return new IdentityLayer(spec.name, 'Permute', inputShape);
      s.requireRank(3);
      return new PermuteLayer(spec.name, inputShape, perm);
    }
    default:
      return s.fail('is not a normalization or shape layer');
  }
}

/**
 * A weight that broadcasts over the input: the input's rank, each axis the input's size or 1
 * (`kept` given: its size exactly on the kept axes, 1 elsewhere). Null when the spec has none.
 */
function broadcastWeight(s: SpecReader, key: string, kept?: readonly boolean[]): Tensor | null {
  const t = s.spec.weights[key];
  if (!t) return null;
  const { inputShape } = s;
  const fits = t.rank === inputShape.length && t.shape.every((d, a) => (kept ? d === (kept[a] ? inputShape[a] : 1) : d === 1 || d === inputShape[a]));
  if (!fits) {
    const need = kept ? formatShape(inputShape.map((d, a) => (kept[a] ? d : 1))) : `each axis of ${formatShape(inputShape)} or 1`;
    s.fail(`weight '${key}' has shape ${formatShape(t.shape)} but ${need} is needed for its ${formatShape(inputShape)} input`);
  }
  return t;
}

/** x * scale + offset; a list of scales or offsets runs along `axis`. */
function rescaling(s: SpecReader): Layer {
  const { spec, inputShape } = s;
  const axis = (spec.params.axis as number | undefined) ?? 0;
  if (axis >= inputShape.length) s.fail(`axis ${axis} is not an axis of its ${formatShape(inputShape)} input`);
  const shape = inputShape.map((d, a) => (a === axis ? d : 1));
  const along = (key: 'scale' | 'offset'): Tensor => {
    const v = spec.params[key] as number | number[];
    const values = Array.isArray(v) ? v : [v];
    if (values.length !== 1 && values.length !== inputShape[axis]) {
      s.fail(`${key} has ${values.length} values but axis ${axis} of its ${formatShape(inputShape)} input has ${inputShape[axis]}`);
    }
    return new Tensor(shape, Array.from({ length: inputShape[axis] }, (_, i) => values[values.length === 1 ? 0 : i]));
  };
  return new AffineLayer(spec.name, 'Rescaling', inputShape, along('scale'), along('offset'));
}

/** Dropout and the layers that add noise while training (the identity at inference). */
export function noiseLayer(s: SpecReader): NoiseLayer {
  const { spec, inputShape } = s;
  const amount = spec.type === 'GaussianNoise' ? spec.params.stddev : spec.params.rate;
  if (spec.type === 'SpatialDropout2D') s.requireRank(3);
  return new NoiseLayer(spec.name, spec.type as NoiseKind, inputShape, typeof amount === 'number' ? amount : 0);
}
