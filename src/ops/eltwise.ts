import { Tensor } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';
import { describe } from '../check.ts';
import { requireSameShape, requireTensor } from './shape-checks.ts';

const RELU_RULES: readonly ReluRule[] = ['salinet', 'deconvnet', 'guided'];

function unary(op: string, x: Tensor, kernel: (x: Float32Array, y: Float32Array) => void): Tensor {
  requireTensor(op, 'input', x);
  const y = Tensor.zeros(x.shape);
  kernel(x.data, y.data);
  return y;
}

function binary(op: string, a: Tensor, aName: string, b: Tensor, bName: string, kernel: (a: Float32Array, b: Float32Array, out: Float32Array) => void): Tensor {
  requireSameShape(op, a, aName, b, bName);
  const out = Tensor.zeros(a.shape);
  kernel(a.data, b.data, out.data);
  return out;
}

export const relu = (x: Tensor): Tensor => unary('relu', x, (a, y) => kernels().relu(a, y));
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, (a, y) => kernels().sigmoid(a, y));
export const tanh = (x: Tensor): Tensor => unary('tanh', x, (a, y) => kernels().tanh(a, y));

/** Maps a backward signal r through a ReLU whose pre-activation was z, by the backward net's rule. */
export const reluBackward = (rule: ReluRule, r: Tensor, z: Tensor): Tensor => {
  if (!RELU_RULES.includes(rule)) throw new ConvscopeError('E_ARGUMENT', `reluBackward: unknown rule ${typeof rule === 'string' ? `'${rule}'` : describe(rule)}; valid: ${RELU_RULES.join(', ')}`);
  return binary(`reluBackward(${rule})`, r, 'signal', z, 'pre-activation', (a, b, out) => kernels().reluBackward(rule, a, b, out));
};

/** r * sigmoid'(z), given a = sigmoid(z). */
export const sigmoidBackward = (r: Tensor, a: Tensor): Tensor =>
  binary('sigmoidBackward', r, 'signal', a, 'output', (x, y, out) => kernels().sigmoidBackward(x, y, out));

/** r * tanh'(z), given a = tanh(z). */
export const tanhBackward = (r: Tensor, a: Tensor): Tensor =>
  binary('tanhBackward', r, 'signal', a, 'output', (x, y, out) => kernels().tanhBackward(x, y, out));

export const add = (a: Tensor, b: Tensor): Tensor => binary('add', a, 'a', b, 'b', (x, y, out) => kernels().add(x, y, out));
export const mul = (a: Tensor, b: Tensor): Tensor => binary('mul', a, 'a', b, 'b', (x, y, out) => kernels().mul(x, y, out));
export const scale = (a: Tensor, s: number): Tensor => {
  if (typeof s !== 'number' || !Number.isFinite(s)) throw new ConvscopeError('E_ARGUMENT', `scale: the factor must be a finite number, not ${describe(s)}`);
  return unary('scale', a, (x, y) => kernels().scale(x, s, y));
};
