import { Tensor, formatShape } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import { ConvscopeError } from '../errors.ts';
import { requireShape, requireTensor } from './shape-checks.ts';

/**
 * y = x * scale[c] + shift[c] along the channel axis: axis 1 of (N,C,...) or axis 0 of (C,...) .
 * Inference-time BatchNormalization is this with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
 */
export function channelAffine(x: Tensor, scale: Tensor, shift: Tensor, axis?: 0 | 1): Tensor {
  const op = 'channelAffine';
  requireTensor(op, 'input', x);
  const channelAxis = axis ?? (x.rank >= 4 || x.rank === 2 ? 1 : 0);
  if (channelAxis !== 0 && channelAxis !== 1) throw new ConvscopeError('E_ARGUMENT', `${op}: the channel axis must be 0 or 1, not ${String(channelAxis)}`);
  if (x.rank <= channelAxis) throw new ConvscopeError('E_SHAPE', `${op}: input ${formatShape(x.shape)} has no axis ${channelAxis}`);
  const channels = x.shape[channelAxis];
  requireShape(op, 'scale', scale, [channels]);
  requireShape(op, 'shift', shift, [channels]);
  const n = channelAxis === 1 ? x.shape[0] : 1;
  const inner = channels === 0 || n === 0 ? 0 : x.size / (n * channels);
  const y = Tensor.zeros(x.shape);
  if (y.size > 0) kernels().channelAffine(n, channels, inner, x.data, scale.data, shift.data, y.data);
  return y;
}
