import { Tensor, NO_PADDING, windowOutputLength, formatShape, sameShape, type Padding2d } from '../tensor.ts';
import { kernels } from '../runtime/backend.ts';
import { ConvscopeError } from '../errors.ts';
import type { PoolGeometry } from '../runtime/kernel-set.ts';
import { asBatch, batchShape, requireTensor, requireOptions, requirePair, requirePadding } from './shape-checks.ts';

export interface Pool2dOptions {
  kernel: readonly [number, number];
  /** Defaults to the kernel size, as in Keras and PyTorch. */
  stride?: readonly [number, number];
  /** Padded positions never win a max and are not counted in an average (Keras 'same'). */
  padding?: Padding2d;
}

/** Switches: for each output value, the index (row * W + col) of its window's maximum within its input plane. */
export interface MaxPoolResult {
  y: Tensor;
  switches: Int32Array;
}

function poolGeometry(op: string, planes: number, h: number, w: number, options: Pool2dOptions): PoolGeometry {
  const opts = requireOptions(op, options);
  const [kh, kw] = requirePair(op, 'kernel', opts.kernel, null, 1);
  const [strideH, strideW] = requirePair(op, 'stride', opts.stride, [kh, kw], 1);
  const pad = requirePadding(op, opts.padding, NO_PADDING);
  if (pad.top >= kh || pad.bottom >= kh || pad.left >= kw || pad.right >= kw) {
    throw new ConvscopeError('E_SHAPE', `${op}: padding ${pad.top},${pad.bottom},${pad.left},${pad.right} must be smaller than the ${kh}x${kw} window`);
  }
  const oh = windowOutputLength(h, kh, strideH, 1, pad.top, pad.bottom);
  const ow = windowOutputLength(w, kw, strideW, 1, pad.left, pad.right);
  if (oh <= 0 || ow <= 0) throw new ConvscopeError('E_SHAPE', `${op}: a ${kh}x${kw} window does not fit a ${h}x${w} input`);
  return { planes, h, w, kh, kw, strideH, strideW, padTop: pad.top, padLeft: pad.left, oh, ow };
}

/** The geometry of a pooling's backward pass, checking that the signal has the pooled shape of inputShape. */
function backwardGeometry(op: string, signal: Tensor, inputShape: readonly number[], opts: Pool2dOptions): PoolGeometry {
  requireTensor(op, 'signal', signal);
  const { n, c, h, w, batched } = asBatch(op, 'input shape', inputShape);
  const g = poolGeometry(op, n * c, h, w, opts);
  const expected = batchShape(batched, n, c, g.oh, g.ow);
  if (!sameShape(signal.shape, expected)) {
    throw new ConvscopeError('E_SHAPE', `${op}: signal has shape ${formatShape(signal.shape)} but pooling ${formatShape(inputShape)} gives ${formatShape(expected)}`);
  }
  return g;
}

/** Max pooling of x (N,C,H,W) or (C,H,W), with the switches that maxUnpool2d needs. Ties go to the first in row-major order. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): MaxPoolResult {
  requireTensor('maxPool2d', 'input', x);
  const { n, c, h, w, batched } = asBatch('maxPool2d', 'input', x.shape);
  const g = poolGeometry('maxPool2d', n * c, h, w, opts);
  const y = Tensor.zeros(batchShape(batched, n, c, g.oh, g.ow));
  const switches = new Int32Array(y.size);
  kernels().maxPool2d(g, x.data, y.data, switches);
  return { y, switches };
}

/** Sends each value of r (the pooled shape) to its window's switch in an input of inputShape, summing where windows overlap. */
export function maxUnpool2d(r: Tensor, switches: Int32Array, inputShape: readonly number[], opts: Pool2dOptions): Tensor {
  const op = 'maxUnpool2d';
  const g = backwardGeometry(op, r, inputShape, opts);
  const { h, w } = g;
  if (!(switches instanceof Int32Array)) throw new ConvscopeError('E_ARGUMENT', `${op}: switches must be the Int32Array maxPool2d returned`);
  if (switches.length !== r.size) throw new ConvscopeError('E_SHAPE', `${op}: ${switches.length} switches for a signal of ${r.size} values`);
  const dx = Tensor.zeros(inputShape);
  // the kernel checks the switches as it reads them
  const bad = kernels().maxUnpool2d(g, r.data, switches, dx.data);
  if (bad >= 0) throw new ConvscopeError('E_SHAPE', `${op}: switch ${bad} is ${switches[bad]}, outside the ${h}x${w} input plane`);
  return dx;
}

/** Average pooling (Keras: padded positions are not counted). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireTensor('avgPool2d', 'input', x);
  const { n, c, h, w, batched } = asBatch('avgPool2d', 'input', x.shape);
  const g = poolGeometry('avgPool2d', n * c, h, w, opts);
  const y = Tensor.zeros(batchShape(batched, n, c, g.oh, g.ow));
  kernels().avgPool2d(g, x.data, y.data);
  return y;
}

/** The adjoint of avgPool2d: each value divided by its window's count and spread over the window. */
export function avgPool2dBackward(dy: Tensor, inputShape: readonly number[], opts: Pool2dOptions): Tensor {
  const g = backwardGeometry('avgPool2dBackward', dy, inputShape, opts);
  const dx = Tensor.zeros(inputShape);
  kernels().avgPool2dBackward(g, dy.data, dx.data);
  return dx;
}
