import { Tensor, formatShape } from '../tensor.ts';
import { relu, reluBackward, sigmoid, sigmoidBackward, tanh, tanhBackward, mul } from '../ops/eltwise.ts';
import { softmax } from '../ops/softmax.ts';
import type { ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';

export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export function isActivationName(name: unknown): name is ActivationName {
  return typeof name === 'string' && (ACTIVATIONS as readonly string[]).includes(name);
}

export function applyActivation(name: ActivationName, z: Tensor): Tensor {
  switch (name) {
    case 'linear':
      return z;
    case 'relu':
      return relu(z);
    case 'sigmoid':
      return sigmoid(z);
    case 'tanh':
      return tanh(z);
    case 'softmax':
      if (z.rank !== 2) throw new ConvscopeError('E_UNSUPPORTED', `a softmax activation is supported on vector outputs (N, K) only, not on ${formatShape(z.shape)}`);
      return softmax(z);
  }
}

/**
 * Maps a backward signal r on an activation's output to its input (SEMANTICS.md): ReLU by the
 * backward net's rule. DeconvNet passes every other activation through unchanged; SaliNet and
 * DeSaliNet multiply by the derivative (sigmoid, tanh), and for a softmax met inside a walk by
 * its Jacobian, a * (r - sum(r * a)).
 */
export function activationBackward(name: ActivationName, rule: ReluRule, r: Tensor, z: Tensor, a: Tensor): Tensor {
  if (rule === 'deconvnet' && name !== 'relu') return r;
  switch (name) {
    case 'linear':
      return r;
    case 'relu':
      return reluBackward(rule, r, z);
    case 'sigmoid':
      return sigmoidBackward(r, a);
    case 'tanh':
      return tanhBackward(r, a);
    case 'softmax': {
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
  }
}
