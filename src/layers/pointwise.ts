import { Tensor } from '../tensor.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';

/**
 * An element-wise function computed in TypeScript, with its derivative: the rarer activations
 * and the parametrised activation layers (ReLU, LeakyReLU, ELU, ThresholdedReLU). The hot ones
 * (relu6, swish, hard_swish, gelu) run on kernels of their own (src/ops/activations.ts).
 */
export interface Pointwise {
  /** ReLU-like (SEMANTICS.md's table): a backward net's rule applies; otherwise DeconvNet passes the signal unchanged. */
  readonly reluLike: boolean;
  f(x: number): number;
  /** f'(z), given z and a = f(z). */
  df(z: number, a: number): number;
}

export function applyPointwise(p: Pointwise, z: Tensor): Tensor {
  const y = Tensor.zeros(z.shape);
  const { data } = y;
  for (let i = 0; i < data.length; i++) data[i] = p.f(z.data[i]);
  return y;
}

/**
 * Maps a signal r on the output to the input. ReLU-like: SaliNet r*f'(z), DeconvNet max(r, 0),
 * DeSaliNet / guided max(r, 0)*f'(z); any other: DeconvNet r, the others r*f'(z).
 */
export function pointwiseBackward(p: Pointwise, rule: ReluRule, r: Tensor, z: Tensor, a: Tensor): Tensor {
  if (rule === 'deconvnet' && !p.reluLike) return r;
  const out = Tensor.zeros(r.shape);
  const { data } = out;
  const clamp = p.reluLike && rule !== 'salinet';
  const scaled = rule !== 'deconvnet';
  for (let i = 0; i < data.length; i++) {
    const signal = clamp && !(r.data[i] > 0) ? 0 : r.data[i];
    data[i] = scaled ? signal * p.df(z.data[i], a.data[i]) : signal;
  }
  return out;
}

export interface ReluOptions {
  negativeSlope: number;
  /** null: no upper clip. */
  maxValue: number | null;
  threshold: number;
}

/**
 * Keras's relu(x, negative_slope, max_value, threshold), as the ReLU layer computes it
 * (keras/src/activations/activations.py; Keras 2's backend.relu is the same): x above the
 * threshold (clipped at max_value), negative_slope * (x - threshold) below it, 0 at it. The
 * derivative is 1 strictly between the threshold and max_value, negative_slope below the
 * threshold, 0 elsewhere. ReLU-like when negative_slope is 0 (SEMANTICS.md).
 */
export function reluWith({ negativeSlope, maxValue, threshold }: ReluOptions): Pointwise {
  const max = maxValue ?? Infinity;
  return {
    reluLike: negativeSlope === 0,
    f: (x) => (x > threshold ? Math.min(x, max) : negativeSlope * (x - threshold)),
    df: (z) => (z > threshold ? (z < max ? 1 : 0) : z < threshold ? negativeSlope : 0),
  };
}

/** x for x > 0, slope * x otherwise (Keras leaky_relu, LeakyReLU, PyTorch leaky_relu). */
export function leakyRelu(slope: number): Pointwise {
  return { reluLike: false, f: (x) => (x > 0 ? x : slope * x), df: (z) => (z > 0 ? 1 : slope) };
}

/** x for x > 0, alpha * (exp(x) - 1) otherwise (Keras elu, ELU). */
export function elu(alpha: number): Pointwise {
  return { reluLike: false, f: (x) => (x > 0 ? x : alpha * Math.expm1(x)), df: (z) => (z > 0 ? 1 : alpha * Math.exp(z)) };
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const SELU: Pointwise = {
  reluLike: false,
  f: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  df: (z) => SELU_SCALE * (z > 0 ? 1 : SELU_ALPHA * Math.exp(z)),
};

/** log(1 + exp(x)), computed without overflow as max(x, 0) + log1p(exp(-|x|)); the derivative is sigmoid(z). */
export const SOFTPLUS: Pointwise = {
  reluLike: false,
  f: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
  df: (z) => sigmoid(z),
};

export const SOFTSIGN: Pointwise = {
  reluLike: false,
  f: (x) => x / (1 + Math.abs(x)),
  df: (z) => 1 / (1 + Math.abs(z)) ** 2,
};

/** Keras 2 (and tfjs): max(0, min(1, 0.2x + 0.5)). */
export const HARD_SIGMOID_KERAS2: Pointwise = {
  reluLike: false,
  f: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1),
  df: (z) => (z > -2.5 && z < 2.5 ? 0.2 : 0),
};

/** Keras 3 (and PyTorch's hardsigmoid): relu6(x + 3) / 6. */
export const HARD_SIGMOID_KERAS3: Pointwise = {
  reluLike: false,
  f: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  df: (z) => (z > -3 && z < 3 ? 1 / 6 : 0),
};

export const EXPONENTIAL: Pointwise = { reluLike: false, f: Math.exp, df: (_z, a) => a };
