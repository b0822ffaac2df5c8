import { Tensor, NO_PADDING, windowOutputLength, formatShape, type Padding2d } from '../tensor.ts';
import { ConvscopeError } from '../errors.ts';
import { kernels } from '../runtime/backend.ts';
import type { ConvGeometry } from '../runtime/kernel-set.ts';
import { asBatch, batchShape, requireShape, requirePositiveInts, requireTensor, requireOptions, requirePair, requirePadding } from './shape-checks.ts';

export interface Conv2dOptions {
  stride?: readonly [number, number];
  dilation?: readonly [number, number];
  /** Explicit padding; see kerasPadding2d for 'same'. */
  padding?: Padding2d;
}

/** Checks the options and the input's spatial size against the kernel, returns the geometry. */
export function convGeometry(op: string, n: number, cin: number, h: number, w: number, kernelShape: readonly number[], options: Conv2dOptions | undefined): ConvGeometry {
  const opts = requireOptions(op, options);
  if (kernelShape.length !== 4) throw new ConvscopeError('E_SHAPE', `${op}: kernel must be (Cout,Cin,KH,KW) but has shape ${formatShape(kernelShape)}`);
  const [cout, wcin, kh, kw] = kernelShape;
  if (wcin !== cin) throw new ConvscopeError('E_SHAPE', `${op}: input has ${cin} channels but the kernel expects ${wcin}`);
  const [strideH, strideW] = requirePair(op, 'stride', opts.stride, [1, 1], 1);
  const [dilationH, dilationW] = requirePair(op, 'dilation', opts.dilation, [1, 1], 1);
  const pad = requirePadding(op, opts.padding, NO_PADDING);
  const oh = windowOutputLength(h, kh, strideH, dilationH, pad.top, pad.bottom);
  const ow = windowOutputLength(w, kw, strideW, dilationW, pad.left, pad.right);
  requirePositiveInts(op, 'kernel size and output channels', [kh, kw, cout]);
  if (oh <= 0 || ow <= 0) {
    throw new ConvscopeError('E_SHAPE', `${op}: a ${kh}x${kw} kernel (dilation ${dilationH}x${dilationW}) does not fit a ${h}x${w} input with padding ${pad.top},${pad.bottom},${pad.left},${pad.right}`);
  }
  return { n, cin, h, w, cout, kh, kw, strideH, strideW, dilationH, dilationW, padTop: pad.top, padLeft: pad.left, oh, ow };
}

/** Cross-correlation as in Keras/PyTorch: x (N,Cin,H,W) or (Cin,H,W), weight (Cout,Cin,KH,KW), bias (Cout). */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, opts?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  requireTensor(op, 'input', x);
  requireTensor(op, 'weight', weight);
  const { n, c, h, w, batched } = asBatch(op, 'input', x.shape);
  const g = convGeometry(op, n, c, h, w, weight.shape, opts);
  if (bias) requireShape(op, 'bias', bias, [g.cout]);
  const y = Tensor.zeros(batchShape(batched, n, g.cout, g.oh, g.ow));
  kernels().conv2d(g, x.data, weight.data, bias ? bias.data : null, y.data);
  return y;
}

/**
 * The adjoint of conv2d (transposed convolution with the same kernel), cropped to the input
 * size `inputHW` the forward conv had. dy is (N,Cout,OH,OW) or (Cout,OH,OW).
 */
export function conv2dBackwardData(dy: Tensor, weight: Tensor, inputHW: readonly [number, number], opts?: Conv2dOptions): Tensor {
  const op = 'conv2dBackwardData';
  requireTensor(op, 'dy', dy);
  requireTensor(op, 'weight', weight);
  requirePair(op, 'inputHW', inputHW, null, 1);
  const { n, c, h, w, batched } = asBatch(op, 'dy', dy.shape);
  const cin = weight.rank === 4 ? weight.shape[1] : 0;
  const g = convGeometry(op, n, cin, inputHW[0], inputHW[1], weight.shape, opts);
  if (c !== g.cout || h !== g.oh || w !== g.ow) {
    throw new ConvscopeError('E_SHAPE', `${op}: dy has shape ${formatShape(dy.shape)} but the conv of a ${inputHW[0]}x${inputHW[1]} input gives ${formatShape(batchShape(batched, n, g.cout, g.oh, g.ow))}`);
  }
  const dx = Tensor.zeros(batchShape(batched, n, cin, g.h, g.w));
  kernels().conv2dBackwardData(g, dy.data, weight.data, dx.data);
  return dx;
}

/** Weight and bias gradients of sum(dy * conv2d(x, weight)) for a kernel of size kernelHW, summed over the batch. */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, kernelHW: readonly [number, number], opts?: Conv2dOptions): { dw: Tensor; db: Tensor } {
  const op = 'conv2dBackwardFilter';
  requireTensor(op, 'input', x);
  requireTensor(op, 'dy', dy);
  requirePair(op, 'kernelHW', kernelHW, null, 1);
  const xs = asBatch(op, 'input', x.shape);
  const ds = asBatch(op, 'dy', dy.shape);
  if (xs.n !== ds.n) throw new ConvscopeError('E_SHAPE', `${op}: input has batch ${xs.n} but dy has batch ${ds.n}`);
  const g = convGeometry(op, xs.n, xs.c, xs.h, xs.w, [ds.c, xs.c, kernelHW[0], kernelHW[1]], opts);
  if (ds.h !== g.oh || ds.w !== g.ow) {
    throw new ConvscopeError('E_SHAPE', `${op}: dy has shape ${formatShape(dy.shape)} but the conv gives ${formatShape(batchShape(ds.batched, ds.n, g.cout, g.oh, g.ow))}`);
  }
  const dw = Tensor.zeros([g.cout, g.cin, g.kh, g.kw]);
  const db = Tensor.zeros([g.cout]);
  kernels().conv2dBackwardFilter(g, x.data, dy.data, dw.data, db.data);
  return { dw, db };
}
