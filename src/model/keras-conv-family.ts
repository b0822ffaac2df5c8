import { Tensor, formatShape } from '../tensor.ts';
import { KerasLayer, hwioToOihw } from './keras-layer.ts';
import type { LayerSpec } from './spec.ts';

// Keras's conv family in the engine's layout. Keras 2 names the depthwise weight
// 'depthwise_kernel' in both layers; Keras 3 calls DepthwiseConv2D's 'kernel'.

/** Keras (KH, KW, Cin, M) to the engine's (Cin*M, 1, KH, KW): output channel ci*M + m, as Keras orders them. */
export function depthwiseToEngine(k: Tensor): Tensor {
  const [kh, kw, cin, mult] = k.shape;
  const out = Tensor.zeros([cin * mult, 1, kh, kw]);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) {
    out.data[((c * mult + m) * kh + y) * kw + x] = k.data[((y * kw + x) * cin + c) * mult + m];
  }
  return out;
}

function depthwiseKernel(k: KerasLayer): Tensor {
  const key = k.hasWeight('depthwise_kernel') || !k.hasWeight('kernel') ? 'depthwise_kernel' : 'kernel';
  const kernel = k.weight(key);
  if (kernel.rank !== 4) k.fail(`${key} has shape ${formatShape(kernel.shape)}; a (KH, KW, Cin, depth_multiplier) kernel is needed`);
  const mult = k.optionalPositiveInt('depth_multiplier');
  if (mult !== undefined && mult !== kernel.shape[3]) k.fail(`${key} has shape ${formatShape(kernel.shape)} but the layer has depth_multiplier ${mult}`);
  checkKernelSize(k, kernel);
  return depthwiseToEngine(kernel);
}

function checkKernelSize(k: KerasLayer, kernel: Tensor): void {
  const size = k.config.kernel_size === undefined ? undefined : k.pair('kernel_size');
  if (size && (size[0] !== kernel.shape[0] || size[1] !== kernel.shape[1])) k.fail(`kernel has shape ${formatShape(kernel.shape)} but config.kernel_size is ${formatShape(size)}`);
}

function window(k: KerasLayer): LayerSpec['params'] {
  return { strides: k.pair('strides', [1, 1]), dilation: k.pair('dilation_rate', [1, 1]), padding: k.padding() };
}

export function depthwiseConv2d(k: KerasLayer): LayerSpec {
  const spec = k.base('DepthwiseConv2D', k.activation());
  spec.weights.kernel = depthwiseKernel(k);
  if (k.flag('use_bias', true)) spec.weights.bias = k.weight('bias');
  spec.params = window(k);
  return spec;
}

export function separableConv2d(k: KerasLayer): LayerSpec {
  const spec = k.base('SeparableConv2D', k.activation());
  spec.weights.depthwise_kernel = depthwiseKernel(k);
  const pointwise = k.weight('pointwise_kernel');
  if (pointwise.rank !== 4 || pointwise.shape[0] !== 1 || pointwise.shape[1] !== 1) k.fail(`pointwise_kernel has shape ${formatShape(pointwise.shape)}; a (1, 1, Cin*M, filters) kernel is needed`);
  const filters = k.optionalPositiveInt('filters');
  if (filters !== undefined && filters !== pointwise.shape[3]) k.fail(`pointwise_kernel has shape ${formatShape(pointwise.shape)} but the layer has ${filters} filters`);
  spec.weights.pointwise_kernel = hwioToOihw(pointwise);
  if (k.flag('use_bias', true)) spec.weights.bias = k.weight('bias');
  spec.params = window(k);
  return spec;
}

/** Keras's (KH, KW, Cout, Cin) kernel is the HWIO kernel of the conv it transposes (Cout in, Cin out). */
export function conv2dTranspose(k: KerasLayer): LayerSpec {
  const spec = k.base('Conv2DTranspose', k.activation());
  const kernel = k.weight('kernel');
  if (kernel.rank !== 4) k.fail(`kernel has shape ${formatShape(kernel.shape)}; a (KH, KW, filters, Cin) kernel is needed`);
  const filters = k.optionalPositiveInt('filters');
  if (filters !== undefined && filters !== kernel.shape[2]) k.fail(`kernel has shape ${formatShape(kernel.shape)} but the layer has ${filters} filters`);
  checkKernelSize(k, kernel);
  if ((k.optionalPositiveInt('groups') ?? 1) !== 1) k.fail(`grouped transposed convolutions (groups ${String(k.config.groups)}) are not supported`, 'E_UNSUPPORTED');
  spec.weights.kernel = hwioToOihw(kernel);
  if (k.flag('use_bias', true)) spec.weights.bias = k.weight('bias');
  spec.params = { ...window(k), outputPadding: outputPadding(k) };
  return spec;
}

function outputPadding(k: KerasLayer): [number, number] | null {
  const v = k.config.output_padding;
  if (v === undefined || v === null) return null;
  const ok = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
  return k.failKey('output_padding', 'null, a non-negative integer or two of them');
}
