import { ConvscopeError, type ErrorCode } from '../errors.ts';
import { ACTIVATIONS, isActivationName, type ActivationName } from '../layers/activation-fns.ts';
import { LAYER_TYPES, type LayerSpec, type LayerType, type ModelProvenance } from './spec.ts';

/**
 * The one schema of a model spec, whichever way it arrives: a model.json file (weights as
 * {shape, offset, length} entries) or a spec built in memory (weights as Tensors). It checks
 * every field the model builder reads, with the key path and what was expected, so that a
 * damaged spec is refused before a weight is read or a layer is built. Shapes between layers
 * (a kernel's Cin against its input) are the builder's to check; this sees one layer at a time.
 */

/** Throws for the value at `path`: `FILE: layers[2].params.strides: expected two positive integers, got "x"`. */
export interface SchemaFail {
  (path: string, expected: string, got?: unknown): never;
  /** A problem that is not one wrong value: `FILE: path: text`. */
  say(path: string, text: string): never;
}

export function schemaFail(file: string, code: ErrorCode): SchemaFail {
  const say = (path: string, text: string): never => {
    throw new ConvscopeError(code, `${file}: ${path}: ${text}`);
  };
  const fail = (path: string, expected: string, got?: unknown): never =>
    say(path, got === undefined ? `missing; expected ${expected}` : `expected ${expected}, got ${describe(got)}`);
  return Object.assign(fail, { say });
}

/** A short, printable form of any value (never the word 'undefined'). */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length > 6 ? `a list of ${value.length} values` : `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return value.constructor === Object ? 'an object' : `a ${value.constructor?.name ?? 'value'}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A layer or class name that prints on one line in a message: not empty, no control characters. */
export function isPlainName(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !/[\u0000-\u001f\u007f]/.test(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPair = (v: unknown): boolean => Array.isArray(v) && v.length === 2 && v.every(isPositiveInt);

interface ParamRule {
  expected: string;
  ok: (v: unknown) => boolean;
  optional?: boolean;
}

const FINITE: ParamRule = { expected: 'a finite number', ok: (v) => typeof v === 'number' && Number.isFinite(v) };
const PAIR: ParamRule = { expected: 'two positive integers', ok: isPair };
/** A dropout rate or a moving-average momentum: in [0, 1]. */
const RATE: ParamRule = { expected: 'a number in [0, 1]', ok: (v) => typeof v === 'number' && v >= 0 && v <= 1 };
const WINDOW_PADDING: ParamRule = { expected: "'valid' or 'same'", ok: (v) => v === 'valid' || v === 'same' };

interface LayerRule {
  params: Record<string, ParamRule>;
  /** The weights the builder reads; `layout` describes their shapes for messages. */
  weights: { required: string[]; optional: string[]; layout: string };
  /** Whether the layer applies its `activation` (the others must say 'linear'). */
  activates?: boolean;
}

/** Global pooling's keepdims: a (C, 1, 1) map rather than a (C) vector (Keras 3, tf.keras >= 2.6). */
const KEEPDIMS: ParamRule = { expected: 'true or false', ok: (v) => typeof v === 'boolean', optional: true };

const NO_WEIGHTS = { required: [], optional: [], layout: '' };

const MERGE = { params: {}, weights: NO_WEIGHTS };

const RULES: Record<LayerType, LayerRule> = {
  // --- core layers ---
  InputLayer: { params: {}, weights: NO_WEIGHTS },
  Model: { params: {}, weights: NO_WEIGHTS },
  LayerScale: { params: {}, weights: { required: ['gamma'], optional: [], layout: 'gamma (C)' } },
  Conv2D: {
    params: { strides: PAIR, dilation: PAIR, padding: WINDOW_PADDING },
    weights: { required: ['kernel'], optional: ['bias'], layout: 'kernel (Cout, Cin, KH, KW), bias (Cout)' },
    activates: true,
  },
  Dense: { params: {}, weights: { required: ['kernel'], optional: ['bias'], layout: 'kernel (in, out), bias (out)' }, activates: true },
  MaxPooling2D: { params: { pool: PAIR, strides: PAIR, padding: WINDOW_PADDING }, weights: NO_WEIGHTS },
  AveragePooling2D: { params: { pool: PAIR, strides: PAIR, padding: WINDOW_PADDING }, weights: NO_WEIGHTS },
  BatchNormalization: {
    params: {
      epsilon: { expected: 'a non-negative number', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 },
      momentum: { ...RATE, optional: true },
    },
    weights: { required: ['moving_mean', 'moving_variance'], optional: ['gamma', 'beta'], layout: 'four (C) vectors' },
  },
  Flatten: { params: { kerasOrder: { expected: "'chw' or 'hwc'", ok: (v) => v === 'chw' || v === 'hwc', optional: true } }, weights: NO_WEIGHTS },
  Dropout: { params: { rate: { ...RATE, optional: true } }, weights: NO_WEIGHTS },
  Activation: { params: {}, weights: NO_WEIGHTS, activates: true },
  ZeroPadding2D: {
    params: { padding: { expected: 'four non-negative integers [top, bottom, left, right]', ok: (v) => Array.isArray(v) && v.length === 4 && v.every(isCount) } },
    weights: NO_WEIGHTS,
  },
  GlobalAveragePooling2D: { params: { keepdims: KEEPDIMS }, weights: NO_WEIGHTS },
  GlobalMaxPooling2D: { params: { keepdims: KEEPDIMS }, weights: NO_WEIGHTS },
  Reshape: {
    params: {
      targetShape: { expected: 'a list of 1 or 3 positive integers', ok: (v) => Array.isArray(v) && (v.length === 1 || v.length === 3) && v.every(isPositiveInt) },
      gather: { expected: 'null or a list of integers', ok: (v) => v === null || (Array.isArray(v) && v.every(isCount)), optional: true },
    },
    weights: NO_WEIGHTS,
  },
  // --- merge layers ---
  Add: MERGE,
  Subtract: MERGE,
  Multiply: MERGE,
  Average: MERGE,
  Maximum: MERGE,
  Minimum: MERGE,
  Concatenate: { params: { axis: { expected: 'an axis of the per-sample tensor (0 is channels)', ok: isCount } }, weights: NO_WEIGHTS },
  // --- conv family ---
  DepthwiseConv2D: {
    params: { strides: PAIR, dilation: PAIR, padding: WINDOW_PADDING },
    weights: { required: ['kernel'], optional: ['bias'], layout: 'kernel (Cin*M, 1, KH, KW), bias (Cin*M)' },
    activates: true,
  },
  SeparableConv2D: {
    params: { strides: PAIR, dilation: PAIR, padding: WINDOW_PADDING },
    weights: { required: ['depthwise_kernel', 'pointwise_kernel'], optional: ['bias'], layout: 'depthwise_kernel (Cin*M, 1, KH, KW), pointwise_kernel (Cout, Cin*M, 1, 1), bias (Cout)' },
    activates: true,
  },
  Conv2DTranspose: {
    params: {
      strides: PAIR, dilation: PAIR, padding: WINDOW_PADDING,
      outputPadding: { expected: 'null or two non-negative integers', ok: (v) => v === null || (Array.isArray(v) && v.length === 2 && v.every(isCount)), optional: true },
    },
    weights: { required: ['kernel'], optional: ['bias'], layout: 'kernel (Cin, Cout, KH, KW), bias (Cout)' },
    activates: true,
  },
  // --- activation, normalization and shape layers ---
  ReLU: {
    params: {
      negativeSlope: nonNegative(),
      maxValue: { expected: 'null or a non-negative number', ok: (v) => v === null || nonNegative().ok(v) },
      threshold: nonNegative(),
    },
    weights: NO_WEIGHTS,
  },
  LeakyReLU: { params: { negativeSlope: FINITE }, weights: NO_WEIGHTS },
  ELU: { params: { alpha: FINITE }, weights: NO_WEIGHTS },
  ThresholdedReLU: { params: { theta: nonNegative() }, weights: NO_WEIGHTS },
  PReLU: { params: {}, weights: { required: ['alpha'], optional: [], layout: "alpha: the input's shape (channels-first), 1 on each shared axis" } },
  Softmax: { params: { axis: { expected: 'an axis of the per-sample tensor (0 is channels)', ok: isCount } }, weights: NO_WEIGHTS },
  LayerNormalization: {
    params: { axes: { expected: 'a list of distinct axes of the per-sample tensor (0 is channels)', ok: isAxisList }, epsilon: nonNegative() },
    weights: { required: [], optional: ['gamma', 'beta'], layout: "the input's rank, each axis its size where normalised over, else 1" },
  },
  Rescaling: {
    params: { scale: numbers(), offset: numbers(), axis: { expected: 'the axis (0 is channels) a list of scales or offsets runs along', ok: isCount, optional: true } },
    weights: NO_WEIGHTS,
  },
  Normalization: {
    params: { invert: { expected: 'true or false', ok: (v) => typeof v === 'boolean' }, epsilon: nonNegative() },
    weights: { required: ['mean', 'variance'], optional: [], layout: "the input's rank, each axis its size where kept, else 1" },
  },
  SpatialDropout2D: { params: { rate: { ...RATE, optional: true } }, weights: NO_WEIGHTS },
  GaussianNoise: { params: { stddev: { expected: 'a non-negative number', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, optional: true } }, weights: NO_WEIGHTS },
  GaussianDropout: { params: { rate: { ...RATE, optional: true } }, weights: NO_WEIGHTS },
  ActivityRegularization: { params: {}, weights: NO_WEIGHTS },
  UpSampling2D: {
    params: {
      size: PAIR,
      interpolation: { expected: "'nearest' or 'bilinear'", ok: (v) => v === 'nearest' || v === 'bilinear' },
      halfPixel: { expected: 'true or false (bilinear: half-pixel centres as in tf.image.resize, the default)', ok: (v) => typeof v === 'boolean', optional: true },
    },
    weights: NO_WEIGHTS,
  },
  Cropping2D: {
    params: { cropping: { expected: 'four non-negative integers [top, bottom, left, right]', ok: (v) => Array.isArray(v) && v.length === 4 && v.every(isCount) } },
    weights: NO_WEIGHTS,
  },
  Permute: { params: { perm: { expected: 'a permutation of the per-sample axes, e.g. [0, 2, 1]', ok: isPermutation } }, weights: NO_WEIGHTS },
};

/** A layer as the schema passed it: everything of a LayerSpec but the weights' values. */
export interface CheckedLayer extends Omit<LayerSpec, 'weights'> {
  weightShapes: Record<string, number[]>;
}

/** Checks one weight's stored form at `path` and returns its shape (every axis a positive integer). */
export type WeightShapeOf = (weight: unknown, path: string) => number[];

export interface CheckedHeader {
  name: string;
  dataFormat: 'channels_first' | 'channels_last';
  inputShape: number[];
  provenance: ModelProvenance;
  outputs?: string[];
}

export function checkSpecHeader(spec: Record<string, unknown>, fail: SchemaFail): CheckedHeader {
  const { name, dataFormat, inputShape, provenance, outputs } = spec;
  if (outputs !== undefined && (!Array.isArray(outputs) || outputs.length === 0 || !outputs.every(isPlainName))) fail('outputs', 'a non-empty list of node names', outputs);
  if (typeof name !== 'string') fail('name', 'a string', name);
  if (dataFormat !== 'channels_first' && dataFormat !== 'channels_last') fail('dataFormat', "'channels_first' or 'channels_last'", dataFormat);
  if (!Array.isArray(inputShape) || (inputShape.length !== 1 && inputShape.length !== 3) || !inputShape.every(isPositiveInt)) {
    fail('inputShape', 'a list of 1 or 3 positive integers ((K) or (C, H, W))', inputShape);
  }
  if (!isRecord(provenance)) return fail('provenance', 'an object with a source', provenance);
  if (typeof provenance.source !== 'string') fail('provenance.source', 'a string', provenance.source);
  for (const key of ['sha256', 'kerasVersion', 'backend', 'convertedBy', 'licence']) {
    if (provenance[key] !== undefined && typeof provenance[key] !== 'string') fail(`provenance.${key}`, 'a string', provenance[key]);
  }
  return {
    name: name as string, dataFormat, inputShape: [...(inputShape as number[])], provenance: provenance as unknown as ModelProvenance,
    ...(outputs === undefined ? {} : { outputs: [...(outputs as string[])] }),
  };
}

/** Checks `layers` (a non-empty list, names unique) and each layer in it. */
export function checkSpecLayers(layers: unknown, fail: SchemaFail, weightShapeOf: WeightShapeOf): CheckedLayer[] {
  if (!Array.isArray(layers) || layers.length === 0) return fail('layers', 'a non-empty list of layers', layers);
  const seen = new Map<string, number>();
  return layers.map((raw, i) => {
    const layer = checkLayer(raw, `layers[${i}]`, fail, weightShapeOf);
    const first = seen.get(layer.name);
    if (first !== undefined) fail.say(`layers[${i}].name`, `'${layer.name}' is also the name of layers[${first}]; layer names must be unique`);
    seen.set(layer.name, i);
    return layer;
  });
}

export function checkLayer(raw: unknown, path: string, fail: SchemaFail, weightShapeOf: WeightShapeOf): CheckedLayer {
  if (!isRecord(raw)) return fail(path, 'a layer object', raw);
  const { name, type, activation, params, weights, inputs } = raw;
  if (!isPlainName(name)) fail(`${path}.name`, 'a non-empty string without control characters', name);
  if (typeof type !== 'string' || !(LAYER_TYPES as readonly string[]).includes(type)) fail(`${path}.type`, `one of ${LAYER_TYPES.join(', ')}`, type);
  const rule = RULES[type as LayerType];
  if (!isActivationName(activation)) fail(`${path}.activation`, `one of ${ACTIVATIONS.join(', ')}`, activation);
  if (!rule.activates && activation !== 'linear') fail(`${path}.activation`, `'linear' (a ${type} layer applies no activation)`, activation);
  if (inputs !== undefined && (!Array.isArray(inputs) || !inputs.every(isPlainName))) fail(`${path}.inputs`, 'a list of node names', inputs);
  return {
    name: name as string,
    type: type as LayerType,
    ...(inputs === undefined ? {} : { inputs: [...(inputs as string[])] }),
    activation: activation as ActivationName,
    params: checkParams(params, `${path}.params`, type as LayerType, rule, fail),
    weightShapes: checkWeights(weights, `${path}.weights`, type as LayerType, rule, fail, weightShapeOf),
  };
}

function checkParams(params: unknown, path: string, type: LayerType, rule: LayerRule, fail: SchemaFail): LayerSpec['params'] {
  if (!isRecord(params)) return fail(path, 'an object', params);
  const known = Object.keys(rule.params);
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) fail.say(`${path}.${key}`, `a ${type} layer has no param '${key}'; ${known.length ? `its params: ${known.join(', ')}` : 'it takes none'}`);
  }
  for (const [key, p] of Object.entries(rule.params)) {
    const v = params[key];
    if (v === undefined ? !p.optional : !p.ok(v)) fail(`${path}.${key}`, p.expected, v);
  }
  const gather = params.gather;
  if (type === 'Reshape' && Array.isArray(gather)) checkGather(gather, params.targetShape as number[], `${path}.gather`, fail);
  return params as LayerSpec['params'];
}

/** A Reshape's gather must be a permutation of its values: anything else reads outside them or drops some. */
function checkGather(gather: number[], target: number[], path: string, fail: SchemaFail): void {
  const n = target.reduce((a, b) => a * b, 1);
  if (gather.length !== n) fail.say(path, `has ${gather.length} indices but the target shape holds ${n} values`);
  const seen = new Uint8Array(n);
  for (const [i, j] of gather.entries()) {
    if (!(j < n) || seen[j]) fail(`${path}[${i}]`, `an index below ${n} not used before (a permutation)`, j);
    seen[j] = 1;
  }
}

function checkWeights(
  weights: unknown, path: string, type: LayerType, rule: LayerRule, fail: SchemaFail, weightShapeOf: WeightShapeOf,
): Record<string, number[]> {
  if (!isRecord(weights)) return fail(path, 'an object', weights);
  const { required, optional, layout } = rule.weights;
  const allowed = [...required, ...optional];
  const shapes: Record<string, number[]> = {};
  for (const key of Object.keys(weights)) {
    if (!allowed.includes(key)) fail.say(`${path}.${key}`, `a ${type} layer has no weight '${key}'; ${allowed.length ? `its weights: ${allowed.join(', ')}` : 'it has none'}`);
    shapes[key] = weightShapeOf(weights[key], `${path}.${key}`);
  }
  for (const key of required) if (!(key in shapes)) fail(`${path}.${key}`, `the ${key} weight every ${type} layer has: ${layout}`);
  const shapeFail = (key: string, expected: string) => fail(`${path}.${key}.shape`, expected, shapes[key]);
  if (type === 'Conv2D' || type === 'Dense') {
    const rank = type === 'Conv2D' ? 4 : 2;
    if (shapes.kernel.length !== rank) shapeFail('kernel', type === 'Conv2D' ? '4 axes (Cout, Cin, KH, KW)' : '2 axes (in, out)');
    const out = type === 'Conv2D' ? shapes.kernel[0] : shapes.kernel[1];
    if (shapes.bias && (shapes.bias.length !== 1 || shapes.bias[0] !== out)) shapeFail('bias', `[${out}] (one per output of the kernel)`);
  }
  if (type === 'BatchNormalization') {
    const c = shapes.moving_mean;
    for (const key of Object.keys(shapes)) {
      if (shapes[key].length !== 1 || (c.length === 1 && shapes[key][0] !== c[0])) shapeFail(key, c.length === 1 ? `[${c[0]}] (one value per channel, like moving_mean)` : 'one axis (C)');
    }
  }
  return shapes;
}

// --- activation, normalization and shape layers: helpers (hoisted, so RULES can use them) ---
function isAxisList(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every(isCount) && new Set(v).size === v.length;
}

function isPermutation(v: unknown): boolean {
  return isAxisList(v) && (v as number[]).every((a) => a < (v as number[]).length);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function nonNegative(): ParamRule {
  return { expected: 'a non-negative number', ok: (v) => isFiniteNumber(v) && v >= 0 };
}

function numbers(): ParamRule {
  return { expected: 'a number or a non-empty list of numbers', ok: (v) => isFiniteNumber(v) || (Array.isArray(v) && v.length > 0 && v.every(isFiniteNumber)) };
}
