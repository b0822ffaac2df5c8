import { Tensor, formatShape, sizeOf } from '../tensor.ts';
import { describe } from './spec-schema.ts';
import type { KerasLayer } from './keras-layer.ts';
import type { LayerSpec } from './spec.ts';

/**
 * Keras LayerNormalization, Rescaling, Normalization, the layers that are the identity at
 * inference, UpSampling2D, Cropping2D and Permute to engine specs. `shape` is the engine's
 * (channels-first, per-sample) shape of the layer's input.
 */
export function convertNormShape(k: KerasLayer, shape: readonly number[]): LayerSpec {
  switch (k.className) {
    case 'LayerNormalization':
      return layerNorm(k, shape);
    case 'Rescaling':
      return rescaling(k, shape);
    case 'Normalization':
      return normalization(k, shape);
    case 'UpSampling2D':
      return upSampling(k);
    case 'Cropping2D':
      return cropping(k);
    case 'Permute':
      return permute(k, shape);
    case 'SpatialDropout2D':
    case 'GaussianDropout': {
      const spec = k.plain();
      spec.params = { rate: k.number('rate', 0.5, 0) };
      return spec;
    }
    case 'GaussianNoise': {
      const spec = k.plain();
      spec.params = { stddev: k.number('stddev', 0, 0) };
      return spec;
    }
    default:
      return k.plain();
  }
}

/** The Keras per-sample axis (1-based, as Keras counts with the batch axis 0) of each engine axis. */
function kerasAxisOfEngine(k: KerasLayer, rank: number): number[] {
  if (rank === 3 && k.dataFormat === 'channels_last') return [3, 1, 2];
  return Array.from({ length: rank }, (_, e) => e + 1);
}

/** The per-sample shape as Keras holds it: (H, W, C) for a channels_last map. */
function kerasShape(k: KerasLayer, shape: readonly number[]): number[] {
  const ofEngine = kerasAxisOfEngine(k, shape.length);
  const out = new Array<number>(shape.length);
  ofEngine.forEach((ka, e) => (out[ka - 1] = shape[e]));
  return out;
}

/**
 * A config's axis or list of axes (null: none) as sorted, distinct Keras axes 1..rank, the batch
 * axis refused.
 */
function kerasAxes(k: KerasLayer, key: string, rank: number, fallback: number | null): number[] {
  const raw = k.config[key] === undefined ? fallback : k.config[key];
  const list = raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  if (!list.every((a) => Number.isSafeInteger(a))) return k.failKey(key, 'an integer axis or a list of them');
  const axes = [...new Set((list as number[]).map((a) => (a < 0 ? a + rank + 1 : a)))].sort((a, b) => a - b);
  if (axes.some((a) => a < 1 || a > rank)) {
    k.fail(`config.${key}: ${describe(raw)} is not a list of axes of its (batch, ${rank === 3 ? (k.dataFormat === 'channels_last' ? 'H, W, C' : 'C, H, W') : 'features'}) input (the batch axis cannot be one)`, 'E_UNSUPPORTED');
  }
  return axes;
}

/**
 * A Keras parameter over the `kept` Keras axes (its values in row-major order over them, as Keras
 * reshapes it to its broadcast shape) as an engine tensor: the input's rank, 1 on the other axes.
 */
function engineBroadcast(k: KerasLayer, name: string, values: ArrayLike<number>, kept: readonly number[], shape: readonly number[]): Tensor {
  const ks = kerasShape(k, shape);
  const kb = ks.map((d, a) => (kept.includes(a + 1) ? d : 1));
  if (values.length !== sizeOf(kb)) k.fail(`${name} has ${values.length} values but its axes ${describe(kept)} of the ${formatShape(ks)} input hold ${sizeOf(kb)}`);
  const ofEngine = kerasAxisOfEngine(k, shape.length);
  const eb = ofEngine.map((ka) => kb[ka - 1]);
  const kStrides = kb.map((_, a) => kb.slice(a + 1).reduce((p, d) => p * d, 1));
  const out = Tensor.zeros(eb);
  const coord = new Array<number>(eb.length).fill(0);
  for (let i = 0; i < out.size; i++) {
    out.data[i] = values[coord.reduce((j, c, e) => j + c * kStrides[ofEngine[e] - 1], 0)];
    for (let e = eb.length - 1; e >= 0; e--) {
      if (++coord[e] < eb[e]) break;
      coord[e] = 0;
    }
  }
  return out;
}

function engineAxes(k: KerasLayer, kerasAxesList: readonly number[], rank: number): number[] {
  const ofEngine = kerasAxisOfEngine(k, rank);
  return kerasAxesList.map((ka) => ofEngine.indexOf(ka)).sort((a, b) => a - b);
}

function layerNorm(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.base('LayerNormalization');
  if (k.flag('rms_scaling', false)) k.fail('rms_scaling is not supported; valid choice: rms_scaling false', 'E_UNSUPPORTED');
  const axes = kerasAxes(k, 'axis', shape.length, -1);
  if (axes.length === 0) k.failKey('axis', 'an axis or a list of axes to normalise over');
  for (const [key, on] of [['gamma', k.flag('scale', true)], ['beta', k.flag('center', true)]] as const) {
    if (on) spec.weights[key] = engineBroadcast(k, key, k.weight(key).data, axes, shape);
  }
  spec.params = { axes: engineAxes(k, axes, shape.length), epsilon: k.number('epsilon', 1e-3, 0) };
  return spec;
}

/** A number, a (nested) list of numbers, or Keras 3's serialized numpy array, flattened. */
function numberList(k: KerasLayer, key: string, fallback: number): number[] {
  let v = k.config[key];
  if (v === undefined || v === null) return [fallback];
  if (typeof v === 'object' && !Array.isArray(v) && (v as { class_name?: unknown }).class_name === '__numpy__') {
    v = ((v as { config?: { value?: unknown } }).config ?? {}).value;
  }
  const flat = Array.isArray(v) ? v.flat(Infinity) : [v];
  if (flat.length === 0 || !flat.every((x) => typeof x === 'number' && Number.isFinite(x))) return k.failKey(key, 'a number or a list of numbers');
  return flat as number[];
}

/**
 * x * scale + offset. A list broadcasts along Keras's last axis (the channels of a channels_last
 * map); Keras 3 puts a list of scales on the channel axis of a channels_first map.
 */
function rescaling(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.plain();
  const scale = numberList(k, 'scale', 1);
  const offset = numberList(k, 'offset', 0);
  const last = kerasAxisOfEngine(k, shape.length).indexOf(shape.length);
  const channels = k.kerasMajor === 3 && shape.length === 3 && k.dataFormat === 'channels_first' ? 0 : last;
  const scaleAxis = scale.length > 1 ? channels : null;
  const offsetAxis = offset.length > 1 ? last : null;
  if (scaleAxis !== null && offsetAxis !== null && scaleAxis !== offsetAxis) {
    k.fail('a list of scales on the channel axis with a list of offsets on the last axis is not supported', 'E_UNSUPPORTED');
  }
  const axis = scaleAxis ?? offsetAxis ?? 0;
  for (const [key, values] of [['scale', scale], ['offset', offset]] as const) {
    if (values.length !== 1 && values.length !== shape[axis]) k.fail(`config.${key} has ${values.length} values for an axis of ${shape[axis]}`);
  }
  spec.params = { scale: scale.length === 1 ? scale[0] : scale, offset: offset.length === 1 ? offset[0] : offset, axis };
  return spec;
}

/**
 * (x - mean) / max(sqrt(variance), 1e-7) per index of the kept axes (Keras's backend epsilon);
 * with invert, mean + x * max(sqrt(variance), 1e-7). The mean and variance are the layer's
 * weights, or its config's values when it was built with them.
 */
function normalization(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.plain();
  const axes = kerasAxes(k, 'axis', shape.length, -1);
  const count = sizeOf(kerasShape(k, shape).filter((_, a) => axes.includes(a + 1)));
  const stat = (key: 'mean' | 'variance'): ArrayLike<number> => {
    if (k.config[key] === undefined || k.config[key] === null) return k.weight(key).data;
    const values = numberList(k, key, 0);
    return values.length === 1 ? new Array<number>(count).fill(values[0]) : values;
  };
  spec.weights = { mean: engineBroadcast(k, 'mean', stat('mean'), axes, shape), variance: engineBroadcast(k, 'variance', stat('variance'), axes, shape) };
  spec.params = { invert: k.flag('invert', false), epsilon: 1e-7 };
  return spec;
}

function upSampling(k: KerasLayer): LayerSpec {
  const spec = k.plain();
  const interpolation = k.config.interpolation ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    if (typeof interpolation !== 'string') k.failKey('interpolation', "'nearest' or 'bilinear'");
    k.fail(`interpolation '${interpolation}' is not supported; valid choices: nearest, bilinear`, 'E_UNSUPPORTED');
  }
  spec.params = { size: k.pair('size', [2, 2]), interpolation, ...(interpolation === 'bilinear' ? { halfPixel: k.halfPixelResize } : {}) };
  return spec;
}

function cropping(k: KerasLayer): LayerSpec {
  const spec = k.plain();
  const c = k.config.cropping ?? [[0, 0], [0, 0]];
  let crops: unknown[] | null = null;
  if (typeof c === 'number') crops = [c, c, c, c];
  else if (Array.isArray(c) && c.length === 2 && c.every((v) => typeof v === 'number')) crops = [c[0], c[0], c[1], c[1]];
  else if (Array.isArray(c) && c.length === 2 && c.every((v) => Array.isArray(v) && v.length === 2)) crops = [c[0][0], c[0][1], c[1][0], c[1][1]];
  if (!crops || !crops.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) k.failKey('cropping', 'n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers');
  spec.params = { cropping: crops as number[] };
  return spec;
}

/** Keras's dims (a permutation of the per-sample axes 1..rank) as engine axes, through the data format. */
function permute(k: KerasLayer, shape: readonly number[]): LayerSpec {
  const spec = k.plain();
  const dims = k.integers('dims');
  const rank = shape.length;
  const valid = dims.length === rank && new Set(dims).size === rank && dims.every((d) => d >= 1 && d <= rank);
  if (!valid) k.fail(`config.dims ${describe(dims)} is not a permutation of the axes 1..${rank} of its ${formatShape(kerasShape(k, shape))} input`);
  const ofEngine = kerasAxisOfEngine(k, rank);
  // Output engine axis e holds Keras output axis ofEngine[e], which is Keras input axis dims[ofEngine[e] - 1].
  spec.params = { perm: ofEngine.map((ka) => ofEngine.indexOf(dims[ka - 1])) };
  return spec;
}
