import { Tensor, formatShape } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import type { BiasAxis } from '../runtime/kernel-set.ts';
import { ConvscopeError } from '../errors.ts';
import { checkBoolean, checkChoice } from '../check.ts';
import { requireShape, requireTensor, requireOptions } from './shape-checks.ts';

export interface MatmulOptions {
  /** Use a (K,M) as its transpose. */
  transA?: boolean;
  /** Use b (N,K) as its transpose. */
  transB?: boolean;
  bias?: Tensor | null;
  /** 'col' (default): bias has N values, one per output column (Dense). 'row': M values. */
  biasAxis?: BiasAxis;
}

/** c (M,N) = op(a) (M,K) x op(b) (K,N) + bias. */
export function matmul(a: Tensor, b: Tensor, options?: MatmulOptions): Tensor {
  const op = 'matmul';
  requireTensor(op, 'a', a);
  requireTensor(op, 'b', b);
  const opts = requireOptions(op, options);
  checkBoolean(opts.transA, `${op}: transA`);
  checkBoolean(opts.transB, `${op}: transB`);
  if (opts.biasAxis !== undefined) checkChoice(opts.biasAxis, 'matmul biasAxis', ['col', 'row'], 'values');
  if (a.rank !== 2 || b.rank !== 2) {
    throw new ConvscopeError('E_SHAPE', `${op}: both operands must be 2-D but have shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== kb) {
    throw new ConvscopeError('E_SHAPE', `${op}: inner dimensions differ: ${formatShape(a.shape)}${transA ? '^T' : ''} x ${formatShape(b.shape)}${transB ? '^T' : ''}`);
  }
  const biasAxis = opts.biasAxis ?? 'col';
  const bias = opts.bias ?? null;
  if (bias) requireShape(op, 'bias', bias, [biasAxis === 'col' ? n : m]);
  const c = Tensor.zeros([m, n]);
  if (m > 0 && n > 0) kernels().matmul(m, n, k, a.data, transA, b.data, transB, bias ? bias.data : null, biasAxis, c.data);
  return c;
}
