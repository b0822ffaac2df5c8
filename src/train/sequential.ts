import { argumentError, checkChoice, checkInteger, checkNumberList, checkOptions, describe } from '../check.ts';
import { ConvscopeError } from '../errors.ts';
import { seededRandom } from '../methods/random.ts';
import type { KerasLayerFile, KerasModelFile, KerasWeight } from '../io/keras-model.ts';
import { KerasLayer, type DataFormat } from '../model/keras-layer.ts';
import { convertKerasLayer } from '../model/keras-converters.ts';
import { buildLayer } from '../model/build.ts';
import { specFromKeras } from '../model/from-keras.ts';
import { Model } from '../model/model.ts';

/** One layer as Keras's Python API or its config names it: the class and its config keys (snake_case, Keras defaults for the rest). */
export interface SequentialLayer {
  type: string;
  name?: string;
  [key: string]: unknown;
}

export interface SequentialOptions {
  /** One sample's shape in Keras's order: (H, W, C) for channels_last, (C, H, W) for channels_first, (K) for vectors. */
  inputShape: number[];
  /** Default 'channels_last' (Keras's). */
  dataFormat?: DataFormat;
  /** Seeds the Glorot-uniform kernels; default 1. */
  seed?: number;
  name?: string;
}

const GLOROT = { class_name: 'GlorotUniform', config: { seed: null } };
const ZEROS = { class_name: 'Zeros', config: {} };
const ONES = { class_name: 'Ones', config: {} };

/** Each trainable class's weights in Keras's layout and creation order, for input channels c (a vector's length). */
const WEIGHTS: Record<string, (config: Record<string, any>, c: number) => WeightPlan[]> = {
  Conv2D: (k, c) => [['kernel', [...k.kernel_size, c, k.filters], 'glorot'], ...bias(k, k.filters)],
  Dense: (k, c) => [['kernel', [c, k.units], 'glorot'], ...bias(k, k.units)],
  DepthwiseConv2D: (k, c) => [['depthwise_kernel', [...k.kernel_size, c, k.depth_multiplier], 'glorot'], ...bias(k, c * k.depth_multiplier)],
  SeparableConv2D: (k, c) => [
    ['depthwise_kernel', [...k.kernel_size, c, k.depth_multiplier], 'glorot'],
    ['pointwise_kernel', [1, 1, c * k.depth_multiplier, k.filters], 'glorot'], ...bias(k, k.filters),
  ],
  Conv2DTranspose: (k, c) => [['kernel', [...k.kernel_size, k.filters, c], 'glorot'], ...bias(k, k.filters)],
  BatchNormalization: (k, c) => [...scaleCenter(k, c), ['moving_mean', [c], 'zeros'], ['moving_variance', [c], 'ones']],
  LayerNormalization: (k, c) => scaleCenter(k, c),
};

type WeightPlan = [string, number[], 'glorot' | 'zeros' | 'ones'];

function scaleCenter(k: Record<string, any>, c: number): WeightPlan[] {
  return [...(k.scale ? [['gamma', [c], 'ones'] as WeightPlan] : []), ...(k.center ? [['beta', [c], 'zeros'] as WeightPlan] : [])];
}

function bias(k: Record<string, any>, n: number): WeightPlan[] {
  return k.use_bias ? [['bias', [n], 'zeros']] : [];
}

/** Keras 2's config defaults for the classes whose weights sequential creates. */
const DEFAULTS: Record<string, Record<string, unknown>> = {
  Conv2D: {
    strides: [1, 1], padding: 'valid', dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: true,
    kernel_initializer: GLOROT, bias_initializer: ZEROS, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
  },
  Dense: { activation: 'linear', use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null },
  DepthwiseConv2D: { strides: [1, 1], padding: 'valid', depth_multiplier: 1, dilation_rate: [1, 1], activation: 'linear', use_bias: true, depthwise_initializer: GLOROT, bias_initializer: ZEROS },
  SeparableConv2D: {
    strides: [1, 1], padding: 'valid', depth_multiplier: 1, dilation_rate: [1, 1], activation: 'linear', use_bias: true,
    depthwise_initializer: GLOROT, pointwise_initializer: GLOROT, bias_initializer: ZEROS,
  },
  Conv2DTranspose: { strides: [1, 1], padding: 'valid', output_padding: null, dilation_rate: [1, 1], activation: 'linear', use_bias: true, kernel_initializer: GLOROT, bias_initializer: ZEROS },
  BatchNormalization: { momentum: 0.99, epsilon: 0.001, center: true, scale: true, beta_initializer: ZEROS, gamma_initializer: ONES, moving_mean_initializer: ZEROS, moving_variance_initializer: ONES },
  LayerNormalization: { axis: -1, epsilon: 0.001, center: true, scale: true, beta_initializer: ZEROS, gamma_initializer: ONES },
  MaxPooling2D: { pool_size: [2, 2], padding: 'valid', strides: null },
  AveragePooling2D: { pool_size: [2, 2], padding: 'valid', strides: null },
  Dropout: { rate: 0.5, noise_shape: null, seed: null },
};

/** Keys given as an integer n that Keras stores as [n, n]. */
const PAIRS = ['kernel_size', 'strides', 'dilation_rate', 'pool_size'];
const USES_DATA_FORMAT = ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'ZeroPadding2D', 'UpSampling2D', 'Cropping2D'];

/**
 * A Keras Sequential model from a list of layers, with fresh weights as Keras initialises them
 * (Glorot-uniform kernels, zero biases, BatchNormalization's ones and zeros), seeded. It keeps
 * the Keras description it was built from (model.spec.keras), so it can be saved as a Keras .h5.
 *
 *   const model = sequential([
 *     { type: 'Conv2D', filters: 16, kernel_size: 5, activation: 'relu' },
 *     { type: 'MaxPooling2D' },
 *     { type: 'Flatten' },
 *     { type: 'Dense', units: 10, activation: 'softmax' },
 *   ], { inputShape: [28, 28, 1] });
 */
export function sequential(layers: SequentialLayer[], options: SequentialOptions): Model {
  const opts = checkOptions(options);
  if (!Array.isArray(layers) || layers.length === 0) throw argumentError(`sequential needs a non-empty list of layers, not ${describe(layers)}`);
  checkNumberList(opts.inputShape, 'inputShape', [1, 3]);
  opts.inputShape.forEach((d, i) => checkInteger(d, `inputShape[${i}]`, 1));
  const dataFormat = opts.dataFormat ?? 'channels_last';
  checkChoice(dataFormat, 'dataFormat', ['channels_last', 'channels_first']);
  const seed = opts.seed ?? 1;
  checkInteger(seed, 'seed', 0, 2 ** 32 - 1);
  const random = seededRandom(seed);
  const names = new Map<string, number>();
  const modelName = opts.name ?? 'sequential';
  const first = layers[0]?.name ?? autoName(layers[0]?.type ?? 'layer', names, false);
  const input: KerasLayerFile = {
    name: `${first}_input`, className: 'InputLayer', weights: {}, calls: [],
    config: { batch_input_shape: [null, ...opts.inputShape], dtype: 'float32', sparse: false, ragged: false, name: `${first}_input` },
  };
  let shape: readonly number[] = engineShape(opts.inputShape, dataFormat);
  const files: KerasLayerFile[] = [input];
  layers.forEach((entry, i) => {
    const file = kerasLayer(entry, i, dataFormat, shape, names, random);
    const spec = convertKerasLayer(new KerasLayer(file, dataFormat, 2), [shape]);
    shape = buildLayer(spec, [shape]).outputShape;
    files.push(file);
  });
  const keras: KerasModelFile = {
    name: modelName, kind: 'Sequential', layers: files, inputs: [], outputs: [], format: 'keras2-h5', kerasVersion: '2.15.0', backend: 'tensorflow',
    provenance: { source: modelName, kerasVersion: '2.15.0', backend: 'tensorflow', sha256: '' },
  };
  return new Model(specFromKeras(keras), modelName);
}

export interface MnistCnnOptions {
  /** The two dropout rates; default the shipped file's, 0.4 and 0.3. */
  dropout?: [number, number];
  /** Put a Keras Rescaling(scale) layer first (named 'rescaling'): e.g. 1/255 trains on 0..1 from 0..255 pixels. */
  rescale?: number;
}

/**
 * The architecture of the shipped MNIST CNN (weights/mnist-cnn, from test/fixtures/models/mnist_model.h5),
 * with fresh weights.
 */
export function mnistCnn(seed = 1, options: MnistCnnOptions = {}): Model {
  const [first, second] = options.dropout ?? [0.4, 0.3];
  return sequential([
    ...(options.rescale === undefined ? [] : [{ type: 'Rescaling', name: 'rescaling', scale: options.rescale, offset: 0 }]),
    { type: 'Conv2D', name: 'conv1', filters: 16, kernel_size: 5, activation: 'relu' },
    { type: 'MaxPooling2D', name: 'pool1' },
    { type: 'Conv2D', name: 'conv2', filters: 32, kernel_size: 5, activation: 'relu' },
    { type: 'MaxPooling2D', name: 'pool2' },
    { type: 'Dropout', name: 'conv4_dropout', rate: first },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Dense', name: 'dense1', units: 128, activation: 'relu' },
    { type: 'Dropout', name: 'dense1_dropout', rate: second },
    { type: 'Dense', name: 'dense2', units: 64, activation: 'relu' },
    { type: 'Dense', name: 'out', units: 10, activation: 'softmax' },
  ], { inputShape: [28, 28, 1], seed, name: 'mnist_cnn' });
}

function kerasLayer(
  entry: SequentialLayer, index: number, dataFormat: DataFormat, shape: readonly number[], names: Map<string, number>, random: () => number,
): KerasLayerFile {
  if (entry === null || typeof entry !== 'object' || typeof entry.type !== 'string') {
    throw argumentError(`layers[${index}] must be { type: 'Conv2D', ...config }, not ${describe(entry)}`);
  }
  const { type, name: given, ...rest } = entry;
  const name = given ?? autoName(type, names, true);
  const config: Record<string, unknown> = { name, trainable: true, dtype: 'float32', ...DEFAULTS[type], ...rest };
  for (const key of PAIRS) if (typeof config[key] === 'number') config[key] = [config[key], config[key]];
  if (USES_DATA_FORMAT.includes(type)) config.data_format = dataFormat;
  if (type === 'BatchNormalization' && config.axis === undefined) config.axis = shape.length === 3 && dataFormat === 'channels_first' ? 1 : -1;
  const weights: Record<string, KerasWeight> = {};
  const make = WEIGHTS[type];
  if (make) {
    for (const [key, wshape, init] of make(config, shape[0])) {
      if (!wshape.every((d) => Number.isSafeInteger(d) && d > 0)) {
        throw new ConvscopeError('E_ARGUMENT', `layer '${name}' (${type}): its config gives the weight '${key}' the shape [${wshape.join(', ')}]; check filters, units, kernel_size and depth_multiplier`);
      }
      weights[key] = initialWeight(wshape, init, random);
    }
  }
  return { name, className: type, config, weights, calls: [] };
}

function initialWeight(shape: number[], init: 'glorot' | 'zeros' | 'ones', random: () => number): KerasWeight {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  if (init === 'ones') data.fill(1);
  if (init === 'glorot') {
    // Keras's fans: the last two axes are (in, out), the others the receptive field.
    const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const limit = Math.sqrt(6 / ((shape[shape.length - 2] + shape[shape.length - 1]) * receptive));
    for (let i = 0; i < data.length; i++) data[i] = (2 * random() - 1) * limit;
  }
  return { shape, data };
}

/** Keras's automatic layer names: conv2d, conv2d_1, ... (snake_case of the class, counted). */
function autoName(type: string, names: Map<string, number>, count: boolean): string {
  // Keras's to_snake_case.
  const base = type.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  const n = names.get(base) ?? 0;
  if (count) names.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** A Keras-order shape as the engine's channels-first shape. */
function engineShape(shape: number[], dataFormat: DataFormat): number[] {
  return shape.length === 3 && dataFormat === 'channels_last' ? [shape[2], shape[0], shape[1]] : [...shape];
}
