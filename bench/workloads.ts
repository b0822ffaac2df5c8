import { Tensor, kerasPadding2d, type Padding2d } from '../src/tensor.ts';
import { conv2d, conv2dBackwardData } from '../src/ops/conv2d.ts';
import { depthwiseConv2d, depthwiseConv2dBackwardData } from '../src/ops/depthwise-conv2d.ts';
import { maxPool2d } from '../src/ops/pool2d.ts';
import { matmul } from '../src/ops/matmul.ts';

export interface ConvShape {
  h: number; w: number; kh: number; kw: number; stride: number; cin: number; cout: number; padding: 'same' | 'valid';
}

/** A workload's operands, in convscope's layout (NCHW, weights (Cout,Cin,KH,KW)), for a peer to copy into its own. */
export type WorkloadInputs =
  | { kernel: 'matmul'; m: number; n: number; k: number; a: Tensor; b: Tensor }
  | { kernel: 'conv2d'; conv: ConvShape; pad: Padding2d; oh: number; ow: number; x: Tensor; weight: Tensor; bias: Tensor }
  | { kernel: 'conv2d_backward_data'; conv: ConvShape; pad: Padding2d; oh: number; ow: number; dy: Tensor; weight: Tensor }
  | { kernel: 'depthwise_conv2d'; conv: ConvShape; pad: Padding2d; oh: number; ow: number; x: Tensor; weight: Tensor; bias: Tensor }
  | { kernel: 'depthwise_conv2d_backward_data'; conv: ConvShape; pad: Padding2d; oh: number; ow: number; dy: Tensor; weight: Tensor }
  | { kernel: 'max_pool2d_switches'; c: number; h: number; w: number; pool: number; x: Tensor };

export type KernelName = WorkloadInputs['kernel'];

/** What a workload computes, in convscope's layout: values, and for max-pool the switches (row * W + col within each plane). */
export interface Output {
  values: Float32Array;
  switches?: Int32Array;
}

/** A named kernel workload: `run` goes through the public op, on whatever kernel set is current. */
export interface Workload {
  kernel: KernelName;
  shape: string;
  /** 0 where GFLOP/s means nothing (max-pool): such rows are reported in ms. */
  flops: number;
  inputs: WorkloadInputs;
  run: () => Output;
}

function random(shape: number[], seed: number): Tensor {
  let s = seed >>> 0;
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    t.data[i] = s / 2 ** 31 - 1;
  }
  return t;
}

function matmulWorkload(m: number, n: number, k: number): Workload {
  const a = random([m, k], 1);
  const b = random([k, n], 2);
  return {
    kernel: 'matmul', shape: `M,N,K=${m},${n},${k}`, flops: 2 * m * n * k,
    inputs: { kernel: 'matmul', m, n, k, a, b },
    run: () => ({ values: matmul(a, b).data }),
  };
}

function convName(s: ConvShape): string {
  return `H,W,KH,KW,S,Cin,Cout=${s.h},${s.w},${s.kh},${s.kw},${s.stride},${s.cin},${s.cout} ${s.padding}`;
}

function convWorkloads(conv: ConvShape): [Workload, Workload] {
  const x = random([1, conv.cin, conv.h, conv.w], 3);
  const weight = random([conv.cout, conv.cin, conv.kh, conv.kw], 4);
  const bias = random([conv.cout], 5);
  const pad = kerasPadding2d(conv.padding, [conv.h, conv.w], [conv.kh, conv.kw], [conv.stride, conv.stride]);
  const opts = { stride: [conv.stride, conv.stride] as const, padding: pad };
  const dy = conv2d(x, weight, bias, opts);
  const flops = 2 * dy.size * conv.cin * conv.kh * conv.kw;
  const [oh, ow] = dy.shape.slice(2);
  return [
    {
      kernel: 'conv2d', shape: convName(conv), flops,
      inputs: { kernel: 'conv2d', conv, pad, oh, ow, x, weight, bias },
      run: () => ({ values: conv2d(x, weight, bias, opts).data }),
    },
    {
      kernel: 'conv2d_backward_data', shape: convName(conv), flops,
      inputs: { kernel: 'conv2d_backward_data', conv, pad, oh, ow, dy, weight },
      run: () => ({ values: conv2dBackwardData(dy, weight, [conv.h, conv.w], opts).data }),
    },
  ];
}

/** A depthwise conv (depth multiplier 1, so cout = cin) and its adjoint; weight (Cin, 1, KH, KW). */
function depthwiseWorkloads(conv: ConvShape): [Workload, Workload] {
  const x = random([1, conv.cin, conv.h, conv.w], 7);
  const weight = random([conv.cout, 1, conv.kh, conv.kw], 8);
  const bias = random([conv.cout], 9);
  const pad = kerasPadding2d(conv.padding, [conv.h, conv.w], [conv.kh, conv.kw], [conv.stride, conv.stride]);
  const opts = { stride: [conv.stride, conv.stride] as const, padding: pad };
  const dy = depthwiseConv2d(x, weight, bias, opts);
  const flops = 2 * dy.size * conv.kh * conv.kw;
  const [oh, ow] = dy.shape.slice(2);
  return [
    {
      kernel: 'depthwise_conv2d', shape: convName(conv), flops,
      inputs: { kernel: 'depthwise_conv2d', conv, pad, oh, ow, x, weight, bias },
      run: () => ({ values: depthwiseConv2d(x, weight, bias, opts).data }),
    },
    {
      kernel: 'depthwise_conv2d_backward_data', shape: convName(conv), flops,
      inputs: { kernel: 'depthwise_conv2d_backward_data', conv, pad, oh, ow, dy, weight },
      run: () => ({ values: depthwiseConv2dBackwardData(dy, weight, conv.cin, [conv.h, conv.w], opts).data }),
    },
  ];
}

function maxPoolWorkload(c: number, h: number, w: number): Workload {
  const x = random([1, c, h, w], 6);
  return {
    kernel: 'max_pool2d_switches', shape: `C,H,W,K,S=${c},${h},${w},2,2`, flops: 0,
    inputs: { kernel: 'max_pool2d_switches', c, h, w, pool: 2, x },
    run: () => {
      const { y, switches } = maxPool2d(x, { kernel: [2, 2] });
      return { values: y.data, switches };
    },
  };
}

/** The issue's benchmark shapes: VGG16's conv blocks 2-4 and its first layer, the MNIST model's second conv, MobileNetV2's depthwise convs, and VGG16 block 1's pool. */
export function workloads(): Workload[] {
  const convs: ConvShape[] = [
    { h: 56, w: 56, kh: 3, kw: 3, stride: 1, cin: 64, cout: 64, padding: 'same' },
    { h: 28, w: 28, kh: 3, kw: 3, stride: 1, cin: 128, cout: 128, padding: 'same' },
    { h: 14, w: 14, kh: 3, kw: 3, stride: 1, cin: 256, cout: 256, padding: 'same' },
    { h: 224, w: 224, kh: 3, kw: 3, stride: 1, cin: 3, cout: 64, padding: 'same' },
    { h: 12, w: 12, kh: 5, kw: 5, stride: 1, cin: 16, cout: 32, padding: 'valid' },
  ];
  const byConv = convs.map(convWorkloads);
  // MobileNetV2's 3x3 depthwise convs: block 2 (stride 2), block 3, block 10 and block 16
  const depthwise: ConvShape[] = [
    { h: 112, w: 112, kh: 3, kw: 3, stride: 2, cin: 96, cout: 96, padding: 'same' },
    { h: 56, w: 56, kh: 3, kw: 3, stride: 1, cin: 144, cout: 144, padding: 'same' },
    { h: 14, w: 14, kh: 3, kw: 3, stride: 1, cin: 384, cout: 384, padding: 'same' },
    { h: 7, w: 7, kh: 3, kw: 3, stride: 1, cin: 960, cout: 960, padding: 'same' },
  ];
  const byDepthwise = depthwise.map(depthwiseWorkloads);
  return [
    matmulWorkload(256, 256, 256),
    matmulWorkload(512, 512, 512),
    ...byConv.map((pair) => pair[0]),
    ...byConv.map((pair) => pair[1]),
    ...byDepthwise.map((pair) => pair[0]),
    ...byDepthwise.map((pair) => pair[1]),
    maxPoolWorkload(64, 112, 112),
  ];
}
