import { Tensor, formatShape } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { kernels } from '../runtime/backend.ts';
import type { ConvGeometry } from '../runtime/kernel-set.ts';
import { convGeometry, type Conv2dOptions } from './conv2d.ts';
import { asBatch, batchShape, requireShape, requireTensor, requirePair } from './shape-checks.ts';

/** The geometry of a depthwise conv of cin channels with a (cin*M, 1, KH, KW) weight. */
function depthwiseGeometry(op: string, n: number, cin: number, h: number, w: number, weightShape: readonly number[], opts: Conv2dOptions | undefined): ConvGeometry {
  const [cout, one, kh, kw] = weightShape;
  if (weightShape.length !== 4 || one !== 1) throw new ConvscopeError('E_SHAPE', `${op}: weight must be (Cin*M, 1, KH, KW) but has shape ${formatShape(weightShape)}`);
  if (cin === 0 || cout % cin !== 0) throw new ConvscopeError('E_SHAPE', `${op}: input has ${cin} channels but the weight has ${cout} filters, not a multiple of them`);
  return convGeometry(op, n, cin, h, w, [cout, cin, kh, kw], opts);
}

/**
 * Depthwise cross-correlation (PyTorch's conv2d with groups = Cin; Keras's DepthwiseConv2D):
 * x (N,Cin,H,W) or (Cin,H,W), weight (Cin*M, 1, KH, KW), bias (Cin*M); output channel ci*M + m
 * is input channel ci correlated with filter ci*M + m.
 */
export function depthwiseConv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts?: Conv2dOptions): Tensor {
  const op = 'depthwiseConv2d';
  requireTensor(op, 'input', x);
  requireTensor(op, 'weight', weight);
  const { n, c, h, w, batched } = asBatch(op, 'input', x.shape);
  const g = depthwiseGeometry(op, n, c, h, w, weight.shape, opts);
  if (bias) requireShape(op, 'bias', bias, [g.cout]);
  const y = Tensor.zeros(batchShape(batched, n, g.cout, g.oh, g.ow));
  kernels().depthwiseConv2d(g, x.data, weight.data, bias ? bias.data : null, y.data);
  return y;
}

/** The adjoint of depthwiseConv2d (no bias), for an input of size inputHW with `cin` channels. dy is (N,Cin*M,OH,OW) or (Cin*M,OH,OW). */
export function depthwiseConv2dBackwardData(dy: Tensor, weight: Tensor, cin: number, inputHW: readonly [number, number], opts?: Conv2dOptions): Tensor {
  const op = 'depthwiseConv2dBackwardData';
  requireTensor(op, 'dy', dy);
  requireTensor(op, 'weight', weight);
  requirePair(op, 'inputHW', inputHW, null, 1);
  const { n, c, h, w, batched } = asBatch(op, 'dy', dy.shape);
  const g = depthwiseGeometry(op, n, cin, inputHW[0], inputHW[1], weight.shape, opts);
  if (c !== g.cout || h !== g.oh || w !== g.ow) {
    throw new ConvscopeError('E_SHAPE', `${op}: dy has shape ${formatShape(dy.shape)} but the depthwise conv of a ${inputHW[0]}x${inputHW[1]} input gives ${formatShape(batchShape(batched, n, g.cout, g.oh, g.ow))}`);
  }
  const dx = Tensor.zeros(batchShape(batched, n, cin, g.h, g.w));
  kernels().depthwiseConv2dBackwardData(g, dy.data, weight.data, dx.data);
  return dx;
}

/**
 * Filter and bias gradients of sum(dy * depthwiseConv2d(x, weight)) for a weight of shape
 * kernelShape (Cin*M, 1, KH, KW), summed over the batch: dw has kernelShape, db (Cin*M).
 * x is (N,Cin,H,W) or (Cin,H,W); dy (N,Cin*M,OH,OW) or (Cin*M,OH,OW).
 */
export function depthwiseConv2dBackwardFilter(x: Tensor, dy: Tensor, kernelShape: readonly number[], opts?: Conv2dOptions): { dw: Tensor; db: Tensor } {
  const op = 'depthwiseConv2dBackwardFilter';
  requireTensor(op, 'input', x);
  requireTensor(op, 'dy', dy);
  if (!Array.isArray(kernelShape)) throw new ConvscopeError('E_ARGUMENT', `${op}: kernelShape must be the weight's shape (Cin*M, 1, KH, KW) but is ${String(kernelShape)}`);
  const xs = asBatch(op, 'input', x.shape);
  const ds = asBatch(op, 'dy', dy.shape);
  if (xs.n !== ds.n) throw new ConvscopeError('E_SHAPE', `${op}: input has batch ${xs.n} but dy has batch ${ds.n}`);
  const g = depthwiseGeometry(op, xs.n, xs.c, xs.h, xs.w, kernelShape, opts);
  if (ds.c !== g.cout || ds.h !== g.oh || ds.w !== g.ow) {
    throw new ConvscopeError('E_SHAPE', `${op}: dy has shape ${formatShape(dy.shape)} but the depthwise conv gives ${formatShape(batchShape(ds.batched, ds.n, g.cout, g.oh, g.ow))}`);
  }
  const dw = Tensor.zeros(kernelShape);
  const db = Tensor.zeros([g.cout]);
  kernels().depthwiseConv2dBackwardFilter(g, x.data, dy.data, dw.data, db.data);
  return { dw, db };
}
