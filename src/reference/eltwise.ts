import type { ReluRule } from '../runtime/kernel-set.ts';

export function relu(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

export function reluBackward(rule: ReluRule, r: Float32Array, z: Float32Array, out: Float32Array): void {
  for (let i = 0; i < r.length; i++) {
    const passes = rule === 'salinet' ? z[i] > 0 : rule === 'deconvnet' ? r[i] > 0 : r[i] > 0 && z[i] > 0;
    out[i] = passes ? r[i] : 0;
  }
}

export function sigmoid(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
}

export function tanh(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
}

export function sigmoidBackward(r: Float32Array, a: Float32Array, out: Float32Array): void {
  for (let i = 0; i < r.length; i++) out[i] = r[i] * a[i] * (1 - a[i]);
}

export function tanhBackward(r: Float32Array, a: Float32Array, out: Float32Array): void {
  for (let i = 0; i < r.length; i++) out[i] = r[i] * (1 - a[i] * a[i]);
}

export function add(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
}

export function mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
}

export function scale(a: Float32Array, s: number, out: Float32Array): void {
  for (let i = 0; i < a.length; i++) out[i] = a[i] * s;
}
