import { Tensor, kerasPadding2d } from '../src/tensor.ts';
import { conv2d, conv2dBackwardData } from '../src/ops/conv2d.ts';
import { maxPool2d } from '../src/ops/pool2d.ts';
import { matmul } from '../src/ops/matmul.ts';

/** A named kernel workload: `run` goes through the public op, on whatever kernel set is current. */
export interface Workload {
  kernel: string;
  shape: string;
  flops: number;
  run: () => void;
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
  return { kernel: 'matmul', shape: `M,N,K=${m},${n},${k}`, flops: 2 * m * n * k, run: () => void matmul(a, b) };
}

interface ConvShape {
  h: number; w: number; kh: number; kw: number; stride: number; cin: number; cout: number; padding: 'same' | 'valid';
}

function convName(s: ConvShape): string {
  return `H,W,KH,KW,S,Cin,Cout=${s.h},${s.w},${s.kh},${s.kw},${s.stride},${s.cin},${s.cout} ${s.padding}`;
}

function convWorkloads(s: ConvShape): Workload[] {
  const x = random([1, s.cin, s.h, s.w], 3);
  const weight = random([s.cout, s.cin, s.kh, s.kw], 4);
  const bias = random([s.cout], 5);
  const opts = { stride: [s.stride, s.stride] as const, padding: kerasPadding2d(s.padding, [s.h, s.w], [s.kh, s.kw], [s.stride, s.stride]) };
  const y = conv2d(x, weight, bias, opts);
  const flops = 2 * y.size * s.cin * s.kh * s.kw;
  return [
    { kernel: 'conv2d', shape: convName(s), flops, run: () => void conv2d(x, weight, bias, opts) },
    { kernel: 'conv2d_backward_data', shape: convName(s), flops, run: () => void conv2dBackwardData(y, weight, [s.h, s.w], opts) },
  ];
}

function maxPoolWorkload(c: number, h: number, w: number): Workload {
  const x = random([1, c, h, w], 6);
  return { kernel: 'max_pool2d_switches', shape: `C,H,W,K,S=${c},${h},${w},2,2`, flops: 0, run: () => void maxPool2d(x, { kernel: [2, 2] }) };
}

export function workloads(): Workload[] {
  const convs: ConvShape[] = [
    { h: 56, w: 56, kh: 3, kw: 3, stride: 1, cin: 64, cout: 64, padding: 'same' },
    { h: 224, w: 224, kh: 3, kw: 3, stride: 1, cin: 3, cout: 64, padding: 'same' },
    { h: 28, w: 28, kh: 3, kw: 3, stride: 1, cin: 128, cout: 128, padding: 'same' },
    { h: 12, w: 12, kh: 5, kw: 5, stride: 1, cin: 16, cout: 32, padding: 'valid' },
  ];
  const list = [matmulWorkload(256, 256, 256), matmulWorkload(512, 512, 512)];
  const byKernel = convs.map(convWorkloads);
  list.push(...byKernel.map((pair) => pair[0]), ...byKernel.map((pair) => pair[1]));
  list.push(maxPoolWorkload(64, 112, 112));
  return list;
}
