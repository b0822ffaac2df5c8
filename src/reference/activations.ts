import type { KernelActivation, ReluRule } from '../runtime/kernel-set.ts';
import { normalCdf } from './erf.ts';

const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const relu6 = (x: number): number => Math.min(Math.max(x, 0), 6);

/** The definitions the wasm activation kernels are checked against, in float64. */
const FORWARD: Record<KernelActivation, (x: number) => number> = {
  relu6,
  swish: (x) => x * sigmoid(x),
  hard_swish: (x) => (x * relu6(x + 3)) / 6,
  gelu: (x) => x * normalCdf(x),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(K * (x + C * x ** 3))),
};

const DERIVATIVE: Record<KernelActivation, (z: number) => number> = {
  relu6: (z) => (z > 0 && z < 6 ? 1 : 0),
  swish: (z) => sigmoid(z) * (1 + z * (1 - sigmoid(z))),
  hard_swish: (z) => (z < -3 ? 0 : z <= 3 ? z / 3 + 0.5 : 1),
  gelu: (z) => normalCdf(z) + (z * Math.exp(-z * z / 2)) / Math.sqrt(2 * Math.PI),
  gelu_tanh: (z) => {
    const t = Math.tanh(K * (z + C * z ** 3));
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * K * (1 + 3 * C * z * z);
  },
};

export function activation(fn: KernelActivation, x: Float32Array, y: Float32Array): void {
  const f = FORWARD[fn];
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
}

export function activationBackward(fn: KernelActivation, rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void {
  const d = DERIVATIVE[fn];
  const reluLike = fn === 'relu6';
  for (let i = 0; i < r.length; i++) {
    const signal = reluLike && rule !== 'salinet' ? Math.max(r[i], 0) : r[i];
    out[i] = reluLike && rule === 'deconvnet' ? signal : signal * d(z[i]);
  }
}
