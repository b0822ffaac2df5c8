import { Tensor, formatShape } from '../tensor.ts';
import { relu, reluBackward, sigmoid, sigmoidBackward, tanh, tanhBackward, mul } from '../ops/eltwise.ts';
import { activation, activationBackward as kernelActivationBackward } from '../ops/activations.ts';
import { softmax } from '../ops/softmax.ts';
import type { KernelActivation, ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';
import {
  applyPointwise, pointwiseBackward, elu, leakyRelu, SELU, SOFTPLUS, SOFTSIGN, HARD_SIGMOID_KERAS2, HARD_SIGMOID_KERAS3, EXPONENTIAL,
  type Pointwise,
} from './pointwise.ts';

/**
 * The engine's activations, by the names a spec uses. Where Keras's definitions differ between
 * versions or options, each definition has a name of its own: hard_sigmoid_keras2
 * (max(0, min(1, 0.2x + 0.5))) and hard_sigmoid_keras3 (relu6(x + 3) / 6); gelu (exact, erf) and
 * gelu_tanh (the tanh approximation). elu has alpha 1, leaky_relu a slope of 0.2 (Keras 3's
 * leaky_relu activation); layers with other parameters have layer types of their own.
 */
export const ACTIVATIONS = [
  'linear', 'relu', 'sigmoid', 'tanh', 'softmax',
  'relu6', 'swish', 'hard_swish', 'gelu', 'gelu_tanh',
  'elu', 'selu', 'softplus', 'softsign', 'hard_sigmoid_keras2', 'hard_sigmoid_keras3', 'exponential', 'leaky_relu',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export function isActivationName(name: unknown): name is ActivationName {
  return typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
}

const KERNEL: Partial<Record<ActivationName, KernelActivation>> = {
  relu6: 'relu6', swish: 'swish', hard_swish: 'hard_swish', gelu: 'gelu', gelu_tanh: 'gelu_tanh',
};

const POINTWISE: Partial<Record<ActivationName, Pointwise>> = {
  elu: elu(1), selu: SELU, softplus: SOFTPLUS, softsign: SOFTSIGN, exponential: EXPONENTIAL, leaky_relu: leakyRelu(0.2),
  hard_sigmoid_keras2: HARD_SIGMOID_KERAS2, hard_sigmoid_keras3: HARD_SIGMOID_KERAS3,
};

/**
 * The engine's name for an activation as a Keras file names it: Keras 2 and 3's names and
 * aliases (swish/silu, hard_swish/hard_silu), tfjs's hardSigmoid; hard_sigmoid by the Keras
 * version whose definition applies. Undefined for a name the engine lacks.
 */
export function activationFromKeras(name: string, kerasMajor: 2 | 3): ActivationName | undefined {
  switch (name) {
    case 'silu':
      return 'swish';
    case 'hard_silu':
      return 'hard_swish';
    case 'hard_sigmoid':
    case 'hardSigmoid':
      return kerasMajor === 3 ? 'hard_sigmoid_keras3' : 'hard_sigmoid_keras2';
    case 'hard_sigmoid_keras2':
    case 'hard_sigmoid_keras3':
    case 'gelu_tanh':
      return undefined;
    default:
      return isActivationName(name) ? name : undefined;
  }
}

/** The names activationFromKeras accepts, for messages. */
export const KERAS_ACTIVATIONS = [
  'linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'relu6', 'swish', 'silu', 'hard_swish', 'hard_silu', 'gelu',
  'elu', 'selu', 'softplus', 'softsign', 'hard_sigmoid', 'exponential', 'leaky_relu',
];

/** Whether a backward net's rule applies to the activation (SEMANTICS.md's ReLU-like row). */
export function isReluLike(name: ActivationName): boolean {
  return name === 'relu' || name === 'relu6';
}

export function applyActivation(name: ActivationName, z: Tensor): Tensor {
  const kernel = KERNEL[name];
  if (kernel) return activation(kernel, z);
  const pointwise = POINTWISE[name];
  if (pointwise) return applyPointwise(pointwise, z);
  switch (name) {
    case 'relu':
      return relu(z);
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return tanh(z);
    case 'softmax':
      if (z.rank !== 2) throw new ConvscopeError('E_UNSUPPORTED', `a softmax activation is supported on vector outputs (N, K) only, not on ${formatShape(z.shape)}`);
      return softmax(z);
    default:
      return z;
  }
}

/**
 * Maps a backward signal r on an activation's output to its input (SEMANTICS.md): relu and relu6
 * by the backward net's rule. DeconvNet passes every other element-wise activation through
 * unchanged; SaliNet and DeSaliNet multiply by its derivative. A softmax met inside a walk is
 * mapped by its Jacobian, a * (r - sum(r * a)), under every rule (it is not element-wise).
 */
export function activationBackward(name: ActivationName, rule: ReluRule, r: Tensor, z: Tensor, a: Tensor): Tensor {
  if (name === 'linear') return r;
  if (name === 'softmax') return softmaxBackward(r, a);
  if (rule === 'deconvnet' && !isReluLike(name)) return r;
  const kernel = KERNEL[name];
  if (kernel) return kernelActivationBackward(kernel, rule, r, z);
  const pointwise = POINTWISE[name];
  if (pointwise) return pointwiseBackward(pointwise, rule, r, z, a);
  switch (name) {
    case 'relu':
      return reluBackward(rule, r, z);
    case 'sigmoid':
      return sigmoidBackward(r, a);
    case 'tanh':
      return tanhBackward(r, a);
    default:
      throw new Error(`activationBackward: no rule for '${name}'`);
  }
}

/** The Jacobian transpose of a row-wise softmax (N, K) with output a, applied to r. */
function softmaxBackward(r: Tensor, a: Tensor): Tensor {
  const ra = mul(r, a);
  const k = a.shape[1];
  const out = Tensor.zeros(a.shape);
  for (let row = 0; row < a.shape[0]; row++) {
    let dot = 0;
    for (let j = 0; j < k; j++) dot += ra.data[row * k + j];
    for (let j = 0; j < k; j++) out.data[row * k + j] = a.data[row * k + j] * (r.data[row * k + j] - dot);
  }
  return out;
}
