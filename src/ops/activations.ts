import { Tensor } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import { KERNEL_ACTIVATIONS, RELU_RULES, type KernelActivation, type ReluRule } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';
import { describe } from '../check.ts';
import { requireSameShape, requireTensor } from './shape-checks.ts';

function checkFn(op: string, fn: KernelActivation): void {
  if (!KERNEL_ACTIVATIONS.includes(fn)) {
    throw new ConvscopeError('E_ARGUMENT', `${op}: unknown activation ${typeof fn === 'string' ? `'${fn}'` : describe(fn)}; valid: ${KERNEL_ACTIVATIONS.join(', ')}`);
  }
}

/** y = f(x) for an activation with a kernel of its own: relu6, swish, hard_swish, gelu, gelu_tanh. */
export function activation(fn: KernelActivation, x: Tensor): Tensor {
  checkFn('activation', fn);
  requireTensor(`activation(${fn})`, 'input', x);
  const y = Tensor.zeros(x.shape);
  kernels().activation(fn, x.data, y.data);
  return y;
}

/**
 * r * f'(z) for the activation whose pre-activation was z; relu6 by the backward net's rule
 * (SEMANTICS.md: deconvnet max(r, 0), guided max(r, 0) * f'(z)), the smooth ones by their derivative.
 */
export function activationBackward(fn: KernelActivation, rule: ReluRule, r: Tensor, z: Tensor): Tensor {
  checkFn('activationBackward', fn);
  if (!RELU_RULES.includes(rule)) throw new ConvscopeError('E_ARGUMENT', `activationBackward: unknown rule ${typeof rule === 'string' ? `'${rule}'` : describe(rule)}; valid: ${RELU_RULES.join(', ')}`);
  requireSameShape(`activationBackward(${fn})`, r, 'signal', z, 'pre-activation');
  const out = Tensor.zeros(r.shape);
  kernels().activationBackward(fn, rule, r.data, z.data, out.data);
  return out;
}
