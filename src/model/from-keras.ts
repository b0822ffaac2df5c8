import { Tensor, formatShape, sizeOf } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { checkMemory } from '../limits.ts';
import type { KerasLayerFile, KerasModelFile } from '../io/keras-h5.ts';
import type { ActivationName } from '../layers/activation-fns.ts';
import { buildLayer } from './build.ts';
import { KerasConfig } from './keras-config.ts';
import { describe } from './spec-schema.ts';
import { withSource } from './with-source.ts';
import { LAYER_TYPES, type LayerSpec, type LayerType, type ModelSpec } from './spec.ts';

type DataFormat = 'channels_first' | 'channels_last';

const SUPPORTED = ['InputLayer', ...LAYER_TYPES].join(', ');

/**
 * Converts a Keras model as read from HDF5 into the engine's channels-first spec. For a
 * channels_last model the conv kernels are transposed and, where Keras flattens a feature map
 * in (H, W, C) order, the rows of the Dense that consumes it (and of a BatchNormalization in
 * between) are permuted, so that outputs equal Keras's while the engine flattens (C, H, W).
 */
export function specFromKeras(file: KerasModelFile): ModelSpec {
  return withSource(file.provenance.source, () => convert(file));
}

function convert(file: KerasModelFile): ModelSpec {
  if (file.backend && file.backend !== 'tensorflow') {
    throw new ConvscopeError('E_UNSUPPORTED', `the model was saved with the '${file.backend}' backend; convscope reads TensorFlow-backend Keras models (its kernel layout)`);
  }
  const unsupported = file.layers.find((l) => l.className !== 'InputLayer' && !(LAYER_TYPES as readonly string[]).includes(l.className));
  if (unsupported) {
    throw new ConvscopeError('E_UNSUPPORTED', `layer '${unsupported.name}' is a ${unsupported.className}, which convscope does not support; supported layers: ${SUPPORTED}`);
  }
  const dataFormat = modelDataFormat(file.layers);
  let shape = modelInputShape(file.layers, dataFormat);
  const inputShape = [...shape];
  // Checked here as well as in Model: the Flatten and Reshape index maps below are as large as the tensors.
  checkMemory(4 * sizeOf(shape), `the model's input ${formatShape(shape)}`);
  const layers: LayerSpec[] = [];
  let pendingRows: Int32Array | null = null; // engine index -> Keras index of a flattened map

  for (const layer of file.layers) {
    if (layer.className === 'InputLayer') continue;
    const ctx = new KerasLayer(layer, dataFormat);
    let spec: LayerSpec;
    switch (layer.className as LayerType) {
      case 'Conv2D':
        spec = ctx.conv2d();
        break;
      case 'Dense':
        spec = ctx.dense(pendingRows);
        pendingRows = null;
        break;
      case 'MaxPooling2D':
      case 'AveragePooling2D':
        spec = ctx.pool();
        break;
      case 'BatchNormalization':
        spec = ctx.batchNorm(shape, pendingRows);
        break;
      case 'Flatten':
        spec = ctx.plain();
        spec.params = { kerasOrder: shape.length === 3 && ctx.flattensHwc() ? 'hwc' : 'chw' };
        if (spec.params.kerasOrder === 'hwc') pendingRows = chwToHwcIndex(shape);
        break;
      case 'Dropout':
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        spec = ctx.plain();
        break;
      case 'Activation':
        spec = ctx.plain(ctx.activation());
        break;
      case 'ZeroPadding2D':
        spec = ctx.zeroPadding();
        break;
      case 'Reshape':
        if (pendingRows) ctx.fail('a Reshape of a feature map flattened in (H, W, C) order is not supported', 'E_UNSUPPORTED');
        spec = ctx.reshape(shape);
        break;
      default:
        throw new ConvscopeError('E_UNSUPPORTED', `layer '${layer.name}' is a ${layer.className}, which convscope does not support; supported layers: ${SUPPORTED}`);
    }
    if (pendingRows && !['Flatten', 'Dropout', 'Activation', 'BatchNormalization', 'Dense'].includes(spec.type)) pendingRows = null;
    shape = [...buildLayer(spec, shape).outputShape];
    checkMemory(4 * sizeOf(shape), `the output ${formatShape(shape)} of layer '${spec.name}'`);
    layers.push(spec);
  }
  if (layers.length === 0) throw new ConvscopeError('E_FORMAT', 'the model has no layers');
  return {
    name: file.name,
    dataFormat,
    inputShape,
    layers,
    provenance: { source: file.provenance.source, sha256: file.provenance.sha256, kerasVersion: file.kerasVersion, backend: file.backend },
  };
}

function modelDataFormat(layers: KerasLayerFile[]): DataFormat {
  for (const l of layers) {
    const f = new KerasConfig(l.name, l.className, l.config).declaredDataFormat();
    if (f) return f;
  }
  return 'channels_last';
}

function modelInputShape(layers: KerasLayerFile[], dataFormat: DataFormat): number[] {
  const first = layers[0];
  if (first === undefined) throw new ConvscopeError('E_FORMAT', 'the model has no layers');
  const raw = first.config.batch_input_shape;
  if (raw === undefined && first.config.batch_shape !== undefined) {
    throw new ConvscopeError('E_UNSUPPORTED', `layer '${first.name}' declares its input as Keras 3 does (batch_shape); convscope reads Keras 2 and tf.keras 2 .h5 files`);
  }
  if (!Array.isArray(raw) || raw.length < 2 || !raw.slice(1).every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw new ConvscopeError(
      'E_FORMAT',
      `layer '${first.name}' (${first.className}): config.batch_input_shape: expected [null, ...fixed positive sizes] (the model's input shape), got ${describe(raw)}`,
    );
  }
  const s = raw.slice(1) as number[];
  if (s.length === 3) return dataFormat === 'channels_last' ? [s[2], s[0], s[1]] : s;
  if (s.length === 1) return s;
  throw new ConvscopeError('E_UNSUPPORTED', `the model's input shape ${formatShape(s)} is not an image (H, W, C) / (C, H, W) or a vector`);
}

/** For a (C, H, W) map: index i of the engine's flatten -> index of the same value in Keras's (H, W, C) flatten. */
export function chwToHwcIndex([c, h, w]: number[]): Int32Array {
  const out = new Int32Array(c * h * w);
  for (let ci = 0; ci < c; ci++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(ci * h + y) * w + x] = (y * w + x) * c + ci;
  return out;
}

/** Keras-order index -> engine-order index of a per-sample shape (the inverse map, for Reshape). */
function kerasOrder(shape: number[], dataFormat: DataFormat): Int32Array {
  const n = sizeOf(shape);
  if (shape.length === 3 && dataFormat === 'channels_last') return chwToHwcIndex(shape);
  return Int32Array.from({ length: n }, (_, i) => i);
}

class KerasLayer extends KerasConfig {
  constructor(readonly layer: KerasLayerFile, readonly dataFormat: DataFormat) {
    super(layer.name, layer.className, layer.config);
    const f = this.declaredDataFormat();
    if (f && f !== dataFormat) this.fail(`data_format ${f} differs from the model's ${dataFormat}; mixed data formats are not supported`, 'E_UNSUPPORTED');
  }

  weight(key: string): Tensor {
    const w = this.layer.weights[key];
    if (!w) this.fail(`the file has no '${key}' weight for it`);
    return new Tensor(w.shape, w.data);
  }

  base(type: LayerType, activation: ActivationName = 'linear'): LayerSpec {
    return { name: this.layer.name, type, activation, params: {}, weights: {} };
  }

  plain(activation: ActivationName = 'linear'): LayerSpec {
    return this.base(this.layer.className as LayerType, activation);
  }

  flattensHwc(): boolean {
    // Keras 2.1+ writes data_format into Flatten's config, and for channels_first it permutes to
    // channels-last before flattening; 2.0.x has no data_format and flattens as stored.
    return this.dataFormat === 'channels_last' || this.config.data_format === 'channels_first';
  }

  conv2d(): LayerSpec {
    const spec = this.base('Conv2D', this.activation());
    const kernel = this.weight('kernel');
    if (kernel.rank !== 4) this.fail(`kernel has shape ${formatShape(kernel.shape)}; a (KH, KW, Cin, Cout) kernel is needed`);
    const filters = this.optionalPositiveInt('filters');
    if (filters !== undefined && filters !== kernel.shape[3]) this.fail(`kernel has shape ${formatShape(kernel.shape)} but the layer has ${filters} filters`);
    const size = this.config.kernel_size === undefined ? undefined : this.pair('kernel_size');
    if (size && (size[0] !== kernel.shape[0] || size[1] !== kernel.shape[1])) this.fail(`kernel has shape ${formatShape(kernel.shape)} but config.kernel_size is ${formatShape(size)}`);
    if ((this.optionalPositiveInt('groups') ?? 1) !== 1) this.fail(`grouped convolutions (groups ${String(this.config.groups)}) are not supported`, 'E_UNSUPPORTED');
    spec.weights.kernel = hwioToOihw(kernel);
    if (this.flag('use_bias', true)) spec.weights.bias = this.weight('bias');
    spec.params = { strides: this.pair('strides', [1, 1]), dilation: this.pair('dilation_rate', [1, 1]), padding: this.padding() };
    return spec;
  }

  dense(pendingRows: Int32Array | null): LayerSpec {
    const spec = this.base('Dense', this.activation());
    let kernel = this.weight('kernel');
    if (kernel.rank !== 2) this.fail(`kernel has shape ${formatShape(kernel.shape)}; an (in, out) kernel is needed`);
    const units = this.optionalPositiveInt('units');
    if (units !== undefined && units !== kernel.shape[1]) this.fail(`kernel has shape ${formatShape(kernel.shape)} but the layer has ${units} units`);
    if (pendingRows) {
      if (pendingRows.length !== kernel.shape[0]) this.fail(`kernel has ${kernel.shape[0]} rows but its input has ${pendingRows.length} values`);
      kernel = permuteRows(kernel, pendingRows);
    }
    spec.weights.kernel = kernel;
    if (this.flag('use_bias', true)) spec.weights.bias = this.weight('bias');
    return spec;
  }

  pool(): LayerSpec {
    const spec = this.plain();
    const pool = this.pair('pool_size', [2, 2]);
    spec.params = { pool, strides: this.pair('strides', pool), padding: this.padding() };
    return spec;
  }

  batchNorm(shape: number[], pendingRows: Int32Array | null): LayerSpec {
    const spec = this.base('BatchNormalization');
    const axis = this.config.axis;
    const rank = shape.length + 1;
    const single = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
    if (!Number.isSafeInteger(single)) this.failKey('axis', 'an integer (the channel axis)');
    const kerasAxis = (single as number) < 0 ? (single as number) + rank : single;
    const channelAxis = rank === 2 ? 1 : this.dataFormat === 'channels_last' ? 3 : 1;
    if (kerasAxis !== channelAxis) this.fail(`normalises axis ${describe(axis)}, not the channel axis ${channelAxis}; only per-channel BatchNormalization is supported`, 'E_UNSUPPORTED');
    const keys = ['moving_mean', 'moving_variance'];
    if (this.flag('scale', true)) keys.push('gamma');
    if (this.flag('center', true)) keys.push('beta');
    for (const key of keys) {
      const w = this.weight(key);
      spec.weights[key] = pendingRows ? permuteRows(w, pendingRows) : w;
    }
    spec.params = { epsilon: this.number('epsilon', 1e-3, 0) };
    return spec;
  }

  zeroPadding(): LayerSpec {
    const spec = this.plain();
    const p = this.config.padding;
    let pads: number[] | null = null;
    if (typeof p === 'number') pads = [p, p, p, p];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number')) pads = [p[0], p[0], p[1], p[1]];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2)) pads = [p[0][0], p[0][1], p[1][0], p[1][1]];
    if (!pads || !pads.every((v) => Number.isSafeInteger(v) && v >= 0)) this.failKey('padding', 'n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers');
    spec.params = { padding: pads };
    return spec;
  }

  reshape(inputShape: number[]): LayerSpec {
    const spec = this.plain();
    const raw = this.integers('target_shape');
    const total = sizeOf(inputShape);
    const known = raw.filter((d) => d !== -1).reduce((a: number, b: number) => a * b, 1);
    const target = raw.map((d: number) => (d === -1 ? total / known : d));
    if (sizeOf(target) !== total || !target.every((d) => Number.isInteger(d) && d > 0)) this.fail(`cannot reshape ${formatShape(inputShape)} to ${describe(raw)}`);
    if (target.length !== 1 && target.length !== 3) this.fail(`reshapes to ${formatShape(target)}; only vectors and (H, W, C) / (C, H, W) maps are supported`, 'E_UNSUPPORTED');
    const outShape = target.length === 3 && this.dataFormat === 'channels_last' ? [target[2], target[0], target[1]] : target;
    const inKeras = kerasOrder(inputShape, this.dataFormat); // engine index -> Keras index
    const outKeras = kerasOrder(outShape, this.dataFormat);
    const engineOfKeras = new Int32Array(total);
    inKeras.forEach((k, j) => (engineOfKeras[k] = j));
    const gather = Array.from(outKeras, (k) => engineOfKeras[k]);
    const identity = gather.every((j, i) => j === i);
    spec.params = { targetShape: outShape, gather: identity ? null : gather };
    return spec;
  }
}

function hwioToOihw(k: Tensor): Tensor {
  const [kh, kw, cin, cout] = k.shape;
  const out = Tensor.zeros([cout, cin, kh, kw]);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out.data[((o * cin + i) * kh + y) * kw + x] = k.data[((y * kw + x) * cin + i) * cout + o];
  }
  return out;
}

/** out row i = in row rows[i] (for 1-D tensors: element i = element rows[i]). */
function permuteRows(t: Tensor, rows: Int32Array): Tensor {
  const width = t.rank === 1 ? 1 : t.shape[1];
  const out = Tensor.zeros(t.shape);
  for (let i = 0; i < rows.length; i++) out.data.set(t.data.subarray(rows[i] * width, rows[i] * width + width), i * width);
  return out;
}
