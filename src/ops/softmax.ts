import { Tensor } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import { ConvscopeError } from '../errors.ts';
import { requireTensor } from './shape-checks.ts';

/** Softmax over the last axis. */
export function softmax(x: Tensor): Tensor {
  requireTensor('softmax', 'input', x);
  if (x.rank === 0) throw new ConvscopeError('E_SHAPE', 'softmax: needs at least one axis');
  const cols = x.shape[x.rank - 1];
  const rows = cols === 0 ? 0 : x.size / cols;
  const y = Tensor.zeros(x.shape);
  if (rows > 0) kernels().softmax(rows, cols, x.data, y.data);
  return y;
}
